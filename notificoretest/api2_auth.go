package notificoretest

import (
	"encoding/json"
	"net/http"
	"strings"
)

// loginRequest is the body of POST /api/auth/login.
type loginRequest struct {
	APIKey string `json:"api_key"`
}

// loginAnswer is the answer to a successful login or refresh.
type loginAnswer struct {
	Bearer string `json:"bearer"`
}

// isLogin reports whether r is an API 2.0 login.
func isLogin(r *http.Request) bool {
	return strings.TrimSuffix(r.URL.Path, "/") == "/api/auth/login"
}

// loginKey returns the api_key of a login body, or "".
func loginKey(body []byte) string {
	var req loginRequest
	if json.Unmarshal(body, &req) != nil {
		return ""
	}
	return req.APIKey
}

// login answers POST /api/auth/login with a new token for a valid key (a
// blocked one included), or HTTP 401. The request carries no credential
// header.
func (s *Server) login(q *request) reply {
	var req loginRequest
	if err := json.Unmarshal(q.body, &req); err != nil {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	a, c := s.accountLocked(req.APIKey)
	if c == codeInvalidKey {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	return jsonReply(http.StatusOK, loginAnswer{Bearer: s.issueLocked(a)})
}

// refresh answers POST /api/auth/refresh: a valid, unexpired bearer token
// gets a new token for the same account; the old one stays valid until it
// expires. Anything else is HTTP 401.
func (s *Server) refresh(q *request) reply {
	s.mu.Lock()
	defer s.mu.Unlock()
	key := s.validKeyLocked(bearer(q.r))
	a, c := s.accountLocked(key)
	if c == codeInvalidKey {
		return api2Error(http.StatusUnauthorized, msgUnauthorized)
	}
	return jsonReply(http.StatusOK, loginAnswer{Bearer: s.issueLocked(a)})
}
