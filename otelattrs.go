package resilient

import (
	"net/http"
	"strconv"
	"time"

	"go.opentelemetry.io/otel/attribute"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

// appendRequestAttrs appends the semconv attributes every span of a call
// shares.
func appendRequestAttrs(attrs []attribute.KeyValue, req *http.Request) []attribute.KeyValue {
	host, port := serverOf(req.URL)
	attrs = append(attrs, semconv.HTTPRequestMethodKey.String(methodOf(req.Method)), semconv.ServerAddress(host))
	if port > 0 {
		attrs = append(attrs, semconv.ServerPort(port))
	}
	return attrs
}

// outcomeAttrs describe an outcome.
func outcomeAttrs(out *Outcome) []attribute.KeyValue {
	return appendOutcomeAttrs(make([]attribute.KeyValue, 0, 3), out)
}

// appendOutcomeAttrs appends the class, code and description of an outcome.
func appendOutcomeAttrs(attrs []attribute.KeyValue, out *Outcome) []attribute.KeyValue {
	attrs = append(attrs, rc.ClassKey.String(out.Class.String()))
	if out.Code != 0 {
		attrs = append(attrs, rc.CodeKey.Int(out.Code))
	}
	return appendDescription(attrs, out)
}

// appendDescription appends the outcome's fixed description, if it has
// one.
func appendDescription(attrs []attribute.KeyValue, out *Outcome) []attribute.KeyValue {
	if d := fixedDescription(out); d != "" {
		attrs = append(attrs, rc.DescriptionKey.String(d))
	}
	return attrs
}

// fixedDescription describes an outcome with fixed text only: the code
// table's description of its code, a documented API 2.0 message, or the
// name of its transport failure; never the server's own words, which may
// echo a phone number.
func fixedDescription(out *Outcome) string {
	switch {
	case out.Code != 0:
		return CodeDescription(out.Code)
	case out.Description != "":
		if _, known := ClassOfMessage(out.Description); known {
			return normMessage(out.Description)
		}
	case out.Err != nil:
		return errorType(out)
	}
	return ""
}

// circuitAttrs describe a circuit's change.
func circuitAttrs(ev CircuitEvent) []attribute.KeyValue {
	attrs := []attribute.KeyValue{rc.ScopeKey.String(string(ev.Scope)),
		rc.FromKey.String(ev.From.String()), rc.ToKey.String(ev.To.String())}
	if ev.To == StateOpen {
		attrs = append(attrs, rc.ClassKey.String(ev.Class.String()),
			rc.RetryAtKey.String(ev.Until.UTC().Format(time.RFC3339Nano)))
		if ev.Code != 0 {
			attrs = append(attrs, rc.CodeKey.Int(ev.Code))
		}
	}
	if ev.Instance != "" {
		attrs = append(attrs, rc.InstanceKey.String(ev.Instance))
	}
	return attrs
}

// retryCause is a retry's low-cardinality cause: network, code_N or http_N.
func retryCause(out *Outcome) string {
	switch {
	case out.Err != nil:
		return "network"
	case out.Code != 0:
		return "code_" + strconv.Itoa(out.Code)
	}
	return "http_" + strconv.Itoa(out.StatusCode)
}

// acceptedAttrs describe an accepted-earlier finding: the duplicate code and
// how many messages it covered.
func acceptedAttrs(out *Outcome, attempt int) []attribute.KeyValue {
	code, n := out.Code, 1
	if out.Recipients != nil {
		n = 0
		for _, rc := range out.Recipients {
			if rc.AcceptedEarlier {
				code, n = rc.Code, n+1
			}
		}
	}
	attrs := []attribute.KeyValue{rc.AttemptKey.Int(attempt), rc.MessagesKey.Int(n)}
	if code != 0 {
		attrs = append(attrs, rc.CodeKey.Int(code))
	}
	return appendDescription(attrs, out)
}
