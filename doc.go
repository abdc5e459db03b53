// Package resilient provides an http.RoundTripper for the Notificore (and
// BSG) messaging API that reads every answer the way the API really gives
// it, sorts each failure as transient, permanent or account-level, and then
// retries with back-off, returns at once, or fails fast.
//
// Wrap a client's transport in one line:
//
//	client := &http.Client{Transport: resilient.NewTransport(nil)}
//
// # What a call does
//
// A Transport's RoundTrip runs one call through these steps (call.go); the
// layers nest as circuits(limit(retry(attempt))):
//
//	admit      the account's and the host's circuits: open → fail fast, no I/O
//	take       room under the account's in-flight limit (after a code 11): wait in its queue
//	send       one attempt through the base transport; the body is read, bounded, to classify it
//	reconcile  what earlier attempts imply: a duplicate answered to a resend means accepted earlier
//	record     the outcome on the circuits, the in-flight limit and the fleet
//	judge      return, or retry after a back-off (or a wait in the queue), if resending is safe
//	finish     the answer (rewritten only for accepted-earlier), or an *Error when there is none
//
// # The account is the unit
//
// Notificore's limits are facts about an account: code 11 is its in-flight
// cap, codes 2, 8 and 9 its state. A call's account is its API key (the
// X-API-KEY header in any case), or for a bearer token the account it was
// issued to; WithAccountKey changes the rule. The account circuits, the
// in-flight limits and the facts a Fleet shares all use that identity, a
// 64-bit fingerprint that never holds the credential. A healthy account that
// never answered code 11 costs no memory.
//
// # Telemetry
//
// Every decision is a span event on the call's INTERNAL span (and a log
// record with WithLogger); every attempt a CLIENT span with the HTTP
// semantic conventions. The names and keys are in package resilientconv.
// No span, event, metric or record holds a credential, a phone number, a
// message text, a reference or the server's own error text.
package resilient
