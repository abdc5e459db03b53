package notificoretest

import (
	"bytes"
	"net/http"
)

// isAPI2 reports whether sh is one of the API 2.0 shapes.
func (sh Shape) isAPI2() bool {
	return sh == ShapeAPI2 || sh == ShapeAPI2Message || sh == ShapeAPI2Fields
}

// replaces reports whether f answers by itself instead of the normal answer.
func (f *Fault) replaces() bool {
	return f.Body != "" || f.Code != 0 || f.Status >= 300 ||
		(f.Shape.isAPI2() && f.Description != "") ||
		(f.Shape == ShapeAPI2Fields && f.Field != "")
}

// rawReply answers body verbatim, labelled application/json when it looks
// like JSON and sniffed otherwise.
func rawReply(status int, body string) reply {
	ct := "application/json"
	if t := bytes.TrimSpace([]byte(body)); len(t) == 0 || (t[0] != '{' && t[0] != '[') {
		ct = http.DetectContentType([]byte(body))
	}
	return reply{status: status, header: http.Header{"Content-Type": {ct}}, body: []byte(body)}
}

// answer builds the answer of a fault that replaces the normal one.
func (f *Fault) answer() reply {
	status := f.Status
	if status == 0 {
		status = http.StatusOK
	}
	if f.Body != "" {
		return rawReply(status, f.Body)
	}
	desc := f.Description
	if desc == "" {
		desc = describe(f.Code)
	}
	if f.Shape.isAPI2() {
		return f.api2Answer(status, desc)
	}
	if f.Code == 0 {
		return htmlReply(status)
	}
	top := topError{Error: code{n: f.Code, str: f.CodeString}, Description: desc}
	if f.Shape == ShapeWrapped {
		return jsonReply(status, wrappedError{Result: top})
	}
	return jsonReply(status, top)
}

// api2Answer builds the body of a replacing fault with an API 2.0 shape;
// desc is the Description or the description of the Code.
func (f *Fault) api2Answer(status int, desc string) reply {
	if f.Shape == ShapeAPI2Fields {
		field := f.Field
		if field == "" {
			field = "phones.0.number"
		}
		if f.Description == "" && f.Code == 0 {
			desc = "The " + field + " is invalid."
		}
		return api2FieldError(status, field, desc)
	}
	if desc == "" || (f.Code == 0 && f.Description == "") {
		desc = http.StatusText(status)
	}
	if f.Shape == ShapeAPI2 {
		return jsonReply(status, api2Errors{Errors: []api2Message{{Message: desc}}})
	}
	return api2Error(status, desc)
}

// adjust applies the fault's status and headers to an answer.
func (f *Fault) adjust(r reply) reply {
	if f == nil {
		return r
	}
	if r.header == nil {
		r.header = make(http.Header)
	}
	if f.Status != 0 && !f.replaces() {
		r.status = f.Status
	}
	for k, v := range f.Header {
		r.header[http.CanonicalHeaderKey(k)] = append([]string(nil), v...)
	}
	if f.RetryAfter != "" {
		r.header.Set("Retry-After", f.RetryAfter)
	}
	return r
}
