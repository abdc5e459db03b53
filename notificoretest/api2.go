package notificoretest

import (
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
)

// API 2.0 error messages the server answers with.
const (
	msgUnauthorized   = "Unauthorized"
	msgAccountStatus  = "Unavailable for your account status"
	msgBadPhone       = "Invalid phone number format"
	msgBadPhoneList   = "Invalid list of the phone number"
	msgTextRequired   = "The text field is required."
	msgTooManyRequest = "Too Many Requests"
	msgServerError    = "Server Error"
)

// loginRequest is the body of POST /api/auth/login.
type loginRequest struct {
	APIKey string `json:"api_key"`
}

// loginAnswer is the answer to a successful login.
type loginAnswer struct {
	Bearer string `json:"bearer"`
}

// campaignSend is the body of POST /api/campaigns/sms/send. Other fields
// (sender, reference_id, tariff, ...) are accepted and ignored.
type campaignSend struct {
	Phones []flexString `json:"phones"`
	Text   string       `json:"text"`
}

// campaignAnswer is {"data":{"id":N}}.
type campaignAnswer struct {
	Data struct {
		ID int `json:"id"`
	} `json:"data"`
}

// login answers POST /api/auth/login with a new opaque bearer token for a
// valid key (a blocked one included), or HTTP 401.
func (s *Server) login(q *request) reply {
	var req loginRequest
	if err := json.Unmarshal(q.body, &req); err != nil {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	token := "ntest." + rand.Text()
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, c := s.accountLocked(req.APIKey); c == codeInvalidKey {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	s.tokens[token] = req.APIKey
	return jsonReply(http.StatusOK, loginAnswer{Bearer: token})
}

// bearerKey returns the API key behind the request's bearer token, or "".
func (s *Server) bearerKey(r *http.Request) string {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || token == "" {
		return ""
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.tokens[token]
}

// campaignSend answers POST /api/campaigns/sms/send. Every phone is one
// message of the token's account; balance, blocking, processing time and the
// in-flight cap apply as for API 1.0, with API 2.0 statuses: 401 for a bad
// token, 422 for a bad body, 402 for a blocked account or too small a
// balance, 429 over the in-flight cap.
func (s *Server) campaignSend(q *request) reply {
	key := s.bearerKey(q.r)
	if key == "" {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	switch s.auth(key) {
	case 0:
	case codeBlocked:
		return api2Error(http.StatusPaymentRequired, msgAccountStatus)
	default:
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	var req campaignSend
	if err := json.Unmarshal(q.body, &req); err != nil || len(req.Phones) == 0 {
		return api2Error(http.StatusUnprocessableEntity, msgBadPhoneList)
	}
	if req.Text == "" {
		return api2Error(http.StatusUnprocessableEntity, msgTextRequired)
	}
	items := make([]item, len(req.Phones))
	for i, p := range req.Phones {
		if !validPhone(string(p)) {
			return api2Error(http.StatusUnprocessableEntity, msgBadPhone)
		}
		items[i] = item{msisdn: string(p)}
	}
	switch s.submit(q.r, smsCodes, key, items, nil) {
	case 0:
	case codeBlocked, codeNoFunds:
		return api2Error(http.StatusPaymentRequired, msgAccountStatus)
	case codeInFlightCap:
		return api2Error(http.StatusTooManyRequests, msgTooManyRequest)
	case codeInvalidKey:
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	default:
		return api2Error(http.StatusInternalServerError, msgServerError)
	}
	var ans campaignAnswer
	ans.Data.ID = s.nextTask()
	return jsonReply(http.StatusOK, ans)
}
