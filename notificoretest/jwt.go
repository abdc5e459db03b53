package notificoretest

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// tokenLifetime is how long an API 2.0 token is valid: exp = iat + 1h.
const tokenLifetime = time.Hour

// token is what an API 2.0 bearer token stands for.
type token struct {
	key string
	exp time.Time // zero: the token never expires (WithOpaqueTokens)
}

// jwtHeader is base64url({"typ":"JWT","alg":"RS256"}), the header of BSG's
// tokens.
var jwtHeader = base64.RawURLEncoding.EncodeToString([]byte(`{"typ":"JWT","alg":"RS256"}`))

// claims is the payload of a token. BSG's tokens carry iat, exp, roles and
// the account's number as id; sub repeats it as a string.
type claims struct {
	IssuedAt  int64    `json:"iat"`
	ExpiresAt int64    `json:"exp"`
	Roles     []string `json:"roles"`
	ID        int      `json:"id"`
	Subject   string   `json:"sub"`
}

// WithOpaqueTokens makes API 2.0 logins and refreshes issue opaque random
// tokens, which carry no claims and never expire, instead of JWT-shaped
// ones. It is for tests that need a token a client cannot decode.
func WithOpaqueTokens() Option {
	return optionFunc(func(c *config) { c.opaqueTokens = true })
}

// issueLocked returns a new token for the account a, different from every
// token issued before. The caller holds s.mu.
func (s *Server) issueLocked(a *account) string {
	if s.opaqueTokens {
		tok := "ntest." + rand.Text()
		s.tokens[tok] = token{key: a.key}
		return tok
	}
	now := s.clock.Now()
	exp := now.Add(tokenLifetime)
	payload, _ := json.Marshal(claims{
		IssuedAt:  now.Unix(),
		ExpiresAt: exp.Unix(),
		Roles:     []string{},
		ID:        a.num,
		Subject:   strconv.Itoa(a.num),
	})
	sig := make([]byte, 256) // the size of an RS256 signature
	_, _ = rand.Read(sig)
	tok := jwtHeader + "." + base64.RawURLEncoding.EncodeToString(payload) + "." +
		base64.RawURLEncoding.EncodeToString(sig)
	s.tokens[tok] = token{key: a.key, exp: exp}
	return tok
}

// validKeyLocked returns the API key behind tok, or "" when tok was never
// issued or has expired. The caller holds s.mu.
func (s *Server) validKeyLocked(tok string) string {
	t, ok := s.tokens[tok]
	if !ok || (!t.exp.IsZero() && !s.clock.Now().Before(t.exp)) {
		return ""
	}
	return t.key
}

// bearer returns the token of r's Authorization header: "Bearer <token>",
// also in the "Bearer: <token>" form BSG's documentation shows, with the
// scheme in any case. It returns "" when there is none.
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) < len("Bearer ") || !strings.EqualFold(h[:6], "bearer") || (h[6] != ' ' && h[6] != ':') {
		return ""
	}
	return strings.TrimSpace(strings.TrimPrefix(h[6:], ":"))
}
