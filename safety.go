package resilient

import (
	"context"
	"encoding/json"
	"net/http"
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

// idempotentMethod reports the methods whose resend cannot create anything.
// PUT is not among them: Notificore's create calls accept PUT.
func idempotentMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// everyMessageReferenced reports whether a create body names a client
// reference for every message it sends: every JSON object in it that has an
// "msisdn" (a single SMS, each of "phones", each Viber "to" recipient, each
// Number Verifier item) also has a non-empty "reference", and there is at
// least one. Such a request can be resent safely: the API rejects a second
// message with a known reference (codes 23, 43, 63).
func everyMessageReferenced(body []byte) bool {
	var v any
	if json.Unmarshal(body, &v) != nil {
		return false
	}
	n, ok := countReferenced(v)
	return ok && n > 0
}

// countReferenced walks v, counting recipient objects; ok is false when one
// lacks a reference.
func countReferenced(v any) (n int, ok bool) {
	switch v := v.(type) {
	case map[string]any:
		if _, isRecipient := v["msisdn"]; isRecipient {
			if !nonEmpty(v["reference"]) {
				return 0, false
			}
			n++
		}
		for _, child := range v {
			m, ok := countReferenced(child)
			if !ok {
				return 0, false
			}
			n += m
		}
	case []any:
		for _, child := range v {
			m, ok := countReferenced(child)
			if !ok {
				return 0, false
			}
			n += m
		}
	}
	return n, true
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
