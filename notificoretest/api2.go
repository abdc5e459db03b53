package notificoretest

import "net/http"

// API 2.0 error messages the server answers with.
const (
	msgUnauthorized   = "Unauthorized"
	msgAccountStatus  = "Unavailable for your account status"
	msgBadPhone       = "Invalid phone number format"
	msgBadPhoneList   = "Invalid list of the phone number"
	msgTextRequired   = "The text field is required."
	msgTooManyRequest = "Too Many Requests"
	msgServerError    = "Server Error"
	msgRefTaken       = "The reference id has already been taken."
	msgRefTooLong     = "The reference id may not be greater than 32 characters."
	msgRefNotAlnum    = "The reference id may only contain letters and numbers."
)

// api2Handler serves one API 2.0 endpoint for the account of key, once the
// caller's token, the duplicate window and blocking have been checked.
type api2Handler func(s *Server, q *request, key string) reply

// api2Route is one API 2.0 endpoint that needs a bearer token.
type api2Route struct {
	method string
	serve  api2Handler
}

// api2Routes maps a path after "/api/" to its endpoint. Every POST here is
// subject to the duplicate window.
var api2Routes = map[string]api2Route{
	"campaigns/sms/send":            {http.MethodPost, (*Server).campaignSMS},
	"campaigns/sms/send-individual": {http.MethodPost, (*Server).campaignIndividual},
	"campaigns/viber/send":          {http.MethodPost, (*Server).campaignViber},
	"messages/send":                 {http.MethodPost, (*Server).messageSend},
	"2fa/authentications/otp":       {http.MethodPost, (*Server).otpSend},
	"accounts/balance":              {http.MethodGet, (*Server).balance2},
}

// routeAPI2 answers an API 2.0 request; rest is the path after "/api/".
//
// Outside auth/, a request needs a valid, unexpired bearer token (else 401
// Unauthorized); a POST that copies one of the account's requests inside
// the duplicate window is refused with 429; a blocked account gets 402.
func (s *Server) routeAPI2(q *request, rest string) reply {
	switch rest {
	case "auth/login", "auth/refresh":
		if q.r.Method != http.MethodPost {
			return methodNotAllowed(http.MethodPost)
		}
		if rest == "auth/login" {
			return s.login(q)
		}
		return s.refresh(q)
	}
	rt, ok := api2Routes[rest]
	if !ok {
		return htmlReply(http.StatusNotFound)
	}
	if q.r.Method != rt.method {
		return methodNotAllowed(rt.method)
	}
	s.mu.Lock()
	key := s.validKeyLocked(bearer(q.r))
	a, c := s.accountLocked(key)
	dup := c != codeInvalidKey && rt.method == http.MethodPost && s.duplicateLocked(a, rest, q.body)
	s.mu.Unlock()
	switch {
	case c == codeInvalidKey:
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	case dup:
		return duplicateReply()
	case c == codeBlocked:
		return api2Error(http.StatusPaymentRequired, msgAccountStatus)
	}
	return rt.serve(s, q, key)
}

// refError returns the 422 answer to a malformed reference_id in field, or
// false when ref is empty or well formed: up to 32 ASCII letters and digits.
func refError(field, ref string) (reply, bool) {
	switch {
	case ref == "" || validRef(ref):
		return reply{}, false
	case len(ref) > 32:
		return api2FieldError(http.StatusUnprocessableEntity, field, msgRefTooLong), true
	}
	return api2FieldError(http.StatusUnprocessableEntity, field, msgRefNotAlnum), true
}

// balance2Answer is the answer to GET /api/accounts/balance. It carries the
// spec's balance and credit, and amount with the same value as balance.
type balance2Answer struct {
	Data struct {
		Amount   float64 `json:"amount"`
		Balance  float64 `json:"balance"`
		Credit   float64 `json:"credit"`
		Currency string  `json:"currency"`
	} `json:"data"`
}

// balance2 answers GET /api/accounts/balance with what the account's
// remaining messages are worth (a large fixed amount when unlimited).
func (s *Server) balance2(_ *request, key string) reply {
	s.mu.Lock()
	a, c := s.accountLocked(key)
	amount := 1000000.0
	if c == 0 && !a.unlimited {
		amount = euros(a.balance)
	}
	s.mu.Unlock()
	if c != 0 {
		return api2Error(http.StatusPaymentRequired, msgAccountStatus)
	}
	var ans balance2Answer
	ans.Data.Amount, ans.Data.Balance, ans.Data.Currency = amount, amount, "EUR"
	return jsonReply(http.StatusOK, ans)
}
