// Package notificoretest provides a fake Notificore (BSG) messaging API for
// tests, in the style of net/http/httptest.
//
// NewServer starts a Server on a loopback address (NewTLSServer: HTTPS).
// Point a client at Server.RESTURL (API 1.0) or Server.API2URL (API 2.0),
// send requests, then inspect what the server saw with Requests, Log,
// Accepted and Messages. Close it when done, or let Start (StartTLS) do it
// at the end of the test:
//
//	srv := notificoretest.Start(t, notificoretest.WithKey("test_key"))
//
// Server.Handler is the same fake as an http.Handler, for mounting in a
// server of your own.
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
// # API 2.0 (under /api), as BSG's published OpenAPI spec documents it
//
// POST /api/auth/login with {"api_key":"..."} and no credential header
// answers {"bearer":"<token>"}. The token is JWT-shaped: header
// {"typ":"JWT","alg":"RS256"}, claims {"iat":..,"exp":iat+3600,"roles":[],
// "id":N,"sub":"N"} where N is the account's number (1 for the first key
// registered or seen, 2 for the next, ...), and a random signature. Every
// login and every POST /api/auth/refresh (with a valid token) issues a new
// token for the same account; a token expires on the server's Clock an
// hour after it was issued. WithOpaqueTokens issues opaque tokens instead.
//
// Every other call sends "Authorization: Bearer <token>":
//
//   - POST /api/campaigns/sms/send and /api/campaigns/viber/send:
//     {"phones":[{"number":..,"reference_id":..}],"text":..}; numbers may be
//     JSON numbers or strings, and a plain list of numbers is accepted too
//   - POST /api/campaigns/sms/send-individual:
//     {"messages":[{"phone":..,"text":..,"sender":..,"reference_id":..}]}
//   - POST /api/messages/send: {"channels":["sms"],"phone":{"number":..,
//     "reference_id":..},"sms":{"text":..}}
//   - POST /api/2fa/authentications/otp: {"recipient":..,"channel":"sms"};
//     HTTP 201 with {"id":"<uuid>","status":"pending",...}; it has no
//     client ID
//   - GET /api/accounts/balance: {"data":{"amount":..,"balance":..,
//     "credit":0,"currency":"EUR"}}
//
// The other sends answer {"data":{"id":N,"status":..,...}}. Each phone is one message
// of the token's account, and a request is accepted or refused as a whole.
// Errors are {"message":"...","errors":[]} with a real HTTP status, or, for
// a bad field, {"message":"The given data was invalid.","errors":{"<field>":
// ["..."]}}:
//
//   - 401 {"message":"Unauthorized","errors":[]}: no, unknown or expired token
//   - 402 {"message":"Unavailable for your account status","errors":[]}:
//     blocked account or too small a balance
//   - 422 "Invalid list of the phone number", "The text field is required.",
//     "Invalid phone number format", and field errors for reference_id,
//     channels and channel
//   - 422 field "phones.<i>.reference_id" (send-individual:
//     "messages.<i>.reference_id", messages/send: "phone.reference_id")
//     "The reference id has already been taken." for a reference_id the
//     account already used in API 2.0; see WithReferenceIDRejection
//   - 429 {"message":"Too Many Requests","errors":[]}: over WithMaxInFlight
//   - 429 {"message":"Too many duplicate request detected"}: a copy of a
//     recent request, with WithDuplicateWindow
//
// API 2.0 reference_ids are unique per account across its API 2.0 kinds,
// apart from API 1.0 references; API 2.0 messages are not found by API 1.0
// lookups.
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
// an error status, an error code in one of the APIs' body shapes, a raw
// body, extra headers such as Retry-After, a delay, per-recipient errors,
// or a dropped connection before or after the request is processed. A fault
// may be limited to a path, an HTTP method and an account (Fault.APIKey).
// Only the head of the queue can match, so a head that never matches holds
// every later fault back; Server.Pending shows the queue.
//
// # Time
//
// Processing time, Fault delays, the duplicate window and token lifetimes
// run on a Clock, the wall clock unless WithClock installs another. With a
// fake clock a test releases a create held for its processing time by
// advancing the clock, without sleeping.
//
// # Concurrency
//
// Every method of Server is safe for concurrent use, also while requests are
// being served, and requests are served concurrently. The server starts no
// goroutines of its own besides those of its httptest.Server, and Close ends
// them all.
package notificoretest
