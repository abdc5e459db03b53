package resilient

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
)

type idempotentKey struct{}

// MarkIdempotent returns a copy of ctx that marks every request made with it
// as safe to resend even after it may have been processed: the caller vouches
// that a second copy will not send a second message.
func MarkIdempotent(ctx context.Context) context.Context {
	return context.WithValue(ctx, idempotentKey{}, true)
}

func markedIdempotent(ctx context.Context) bool {
	v, _ := ctx.Value(idempotentKey{}).(bool)
	return v
}

// resendSafety is what a call found out about resending its request.
type resendSafety struct {
	idem int8 // 0 unknown, 1 idempotent, -1 not
}

// safe reports whether sending req again cannot send a message twice after
// out: the body can be replayed, and the failed attempt was never processed
// or the request is idempotent (by method, by the caller's mark, or because
// every message of its body names a client ID; never an OTP send).
func (s *resendSafety) safe(req *http.Request, body *bodySource, out *Outcome, limit int64) bool {
	if !body.replayable {
		return false
	}
	if !out.Ambiguous {
		return true
	}
	if s.idem == 0 {
		s.idem = -1
		switch {
		case idempotentMethod(req.Method) || markedIdempotent(req.Context()):
			s.idem = 1
		case isOTP(req.URL.Path):
		default:
			if b, ok := body.bytes(limit); ok && everyMessageReferenced(b) {
				s.idem = 1
			}
		}
	}
	return s.idem == 1
}

// idempotentMethod reports the methods whose resend cannot create anything.
// PUT is not among them: Notificore's create calls accept PUT.
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// everyMessageReferenced reports whether a create body names a client ID
// for every message it sends, and sends at least one: every API 1.0
// recipient object (one with an "msisdn": a single SMS, each of "phones",
// each Viber "to", each Number Verifier item) has a non-empty "reference",
// and every API 2.0 recipient (an object with a "number", as in "phones" and
// messages/send's "phone", or with a plain "phone", as in send-individual's
// "messages") has a non-empty "reference_id". A list of bare numbers, an OTP
// "recipient" and a send to groups name no client ID. Such a request can be
// resent safely: the API rejects a second message with a known reference
// (codes 23, 43, 63; API 2.0: a rejected reference_id).
func everyMessageReferenced(body []byte) bool {
	n, all := 0, true
	walkRecipients(body, func(ref any) {
		n++
		all = all && nonEmpty(ref)
	})
	return all && n > 0
}

// countRecipients counts the messages a create body sends.
func countRecipients(body []byte) int {
	n := 0
	walkRecipients(body, func(any) { n++ })
	return n
}

// walkRecipients calls visit with the client ID (nil when none) of every
// recipient of a create body.
func walkRecipients(body []byte, visit func(ref any)) {
	var v any
	if json.Unmarshal(body, &v) == nil {
		walk(v, "", visit)
	}
}

func walk(v any, key string, visit func(ref any)) {
	switch v := v.(type) {
	case map[string]any:
		if ref, isRecipient := recipientRef(v); isRecipient {
			visit(v[ref])
		} else if _, otp := v["recipient"]; otp {
			visit(nil)
		}
		for k, child := range v {
			walk(child, k, visit)
		}
	case []any:
		for _, child := range v {
			if _, isObject := child.(map[string]any); !isObject && (key == "phones" || key == "to") {
				visit(nil) // a bare number
				continue
			}
			walk(child, key, visit)
		}
	}
}

// recipientRef reports whether object v is a recipient, and the key of its
// client ID.
func recipientRef(v map[string]any) (string, bool) {
	if _, ok := v["msisdn"]; ok {
		return "reference", true
	}
	if _, ok := v["number"]; ok {
		return "reference_id", true
	}
	switch v["phone"].(type) {
	case string, float64:
		return "reference_id", true
	}
	return "", false
}

func nonEmpty(v any) bool {
	switch v := v.(type) {
	case string:
		return v != ""
	case float64:
		return true
	}
	return false
}

// isOTP reports whether path is API 2.0's one-time-password send, which has
// no client ID: resending it sends a second code.
func isOTP(path string) bool { return strings.Contains(path, "/2fa/") }
