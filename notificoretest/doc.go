// Package notificoretest provides a fake Notificore (BSG) messaging API for
// tests, in the style of net/http/httptest.
//
// NewServer starts a Server on a loopback address. Point a client at
// Server.RESTURL (API 1.0) or Server.URL+"/api" (API 2.0), send requests,
// then inspect what the server saw with Requests, Log, Accepted and
// Messages. Close it when done:
//
//	srv := notificoretest.NewServer(notificoretest.WithKey("test_key"))
//	defer srv.Close()
//
// # API 1.0 (under /rest, key in the X-API-KEY header)
//
//   - GET /common/balance
//   - PUT or POST /sms/create (single, destination "phone"; bulk,
//     destination "phones"), /viber/create, /hlr/create
//   - GET /sms/{id}, /sms/reference/{ref}, and the same for viber and hlr
//
// Business errors arrive with HTTP 200 and the code in the body, as the real
// API does: 1 invalid key, 2 blocked, 8 not enough funds, 11 too many
// messages in flight, 12 more than 50 numbers, 21/41/61 invalid phone,
// 23/43/63 reference already used, 24/44/64 malformed JSON, 26/46 empty
// text, 27/47/65 invalid reference, 62 missing HLR reference, 20/40/60 not
// found (as a JSON string). Per-recipient codes of a bulk create are inside
// its result array; whole-request codes are top-level. The request's
// Content-Type is ignored. An unknown path answers a real HTTP 404 with an
// HTML body.
//
// # API 2.0 (under /api)
//
// POST /auth/login trades an API key for a bearer token; POST
// /campaigns/sms/send, with "Authorization: Bearer <token>", sends one SMS
// to each of its "phones". Errors are {"errors":[{"message":"..."}]} with a
// real HTTP status.
//
// # Accounts
//
// A server built without WithKey, WithBalance or WithBlocked accepts any
// non-empty key, each as its own account with an unlimited balance. Every
// accepted message costs one unit of balance and gets a new numeric id.
// References must be unique per account and per kind (sms, viber, hlr).
//
// # Faults
//
// Server.Script queues Faults that answer the next matching requests with
// an error status, an error code in one of the API's body shapes, a raw
// body, extra headers such as Retry-After, a delay, per-recipient errors,
// or a dropped connection before or after the request is processed.
//
// # Concurrency
//
// Every method of Server is safe for concurrent use, also while requests are
// being served, and requests are served concurrently. The server starts no
// goroutines of its own besides those of its httptest.Server, and Close ends
// them all.
package notificoretest
