package resilient

import (
	"encoding/base64"
	"hash/fnv"
	"hash/maphash"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/valyala/fastjson"
)

// account is an account's identity: a 64-bit fingerprint of its credential,
// the same in every process (so that a fleet agrees on it) and never the
// credential itself. The zero account is "no account known".
type account uint64

// String returns the fingerprint as 16 hexadecimal digits.
func (a account) String() string {
	s := strconv.FormatUint(uint64(a), 16)
	return strings.Repeat("0", 16-len(s)) + s
}

// fingerprint returns the account of credential value of the given kind.
func fingerprint(kind, value string) account {
	h := fnv.New64a()
	for _, s := range [...]string{"resilient account\x00", kind, "\x00", value} {
		h.Write([]byte(s))
	}
	return account(h.Sum64() | 1)
}

// identities finds the account of a request: the caller's key function,
// else the X-API-KEY header in any case, else for a bearer token the account
// it was issued to (the api_key of the login or refresh that returned it),
// else the token's JWT subject, else the token itself; a login's account is
// the api_key in its body. It is safe for concurrent use.
type identities struct {
	keyFunc func(*http.Request) string
	seed    maphash.Seed
	tokens  sync.Map                                   // token hash (maphash) -> account, learned from logins
	subs    sync.Map                                   // account of a JWT subject -> account of the login's key
	ring    atomic.Pointer[[tokenMemory]atomic.Uint64] // the tokens in the order learned; made on the first
	next    atomic.Uint64
}

// tokenMemory bounds the bearer tokens whose account is remembered.
const tokenMemory = 1 << 16

func newIdentities(keyFunc func(*http.Request) string) *identities {
	return &identities{keyFunc: keyFunc, seed: maphash.MakeSeed()}
}

// of returns req's account. body returns the request body, which only a
// login needs.
func (ids *identities) of(req *http.Request, body func() []byte) account {
	if ids.keyFunc != nil {
		if k := ids.keyFunc(req); k != "" {
			return fingerprint("custom", k)
		}
	}
	if k := headerValue(req.Header, "X-Api-Key"); k != "" {
		return fingerprint("key", k)
	}
	if tok := bearerToken(req.Header); tok != "" {
		return ids.ofToken(tok, req.URL.Host)
	}
	if isLogin(req.URL.Path) {
		if k := fastjson.GetString(body(), "api_key"); k != "" {
			return fingerprint("key", k)
		}
	}
	return 0
}

// ofToken returns the account of a bearer token: the account a login or
// refresh returned it for, else the account its JWT subject was last seen
// logging in as, else its subject's, else its own.
func (ids *identities) ofToken(tok, host string) account {
	if a, ok := ids.tokens.Load(maphash.String(ids.seed, tok)); ok {
		return a.(account)
	}
	if sub := subjectOf(tok, host); sub != 0 {
		if a, ok := ids.subs.Load(sub); ok {
			return a.(account)
		}
		return sub
	}
	return fingerprint("token", tok)
}

// subjectOf returns the account a JWT's subject names, 0 for a token that
// is not a JWT.
func subjectOf(tok, host string) account {
	sub, iss := jwtSubject(tok)
	if sub == "" {
		return 0
	}
	if iss == "" {
		iss = host
	}
	return fingerprint("jwt", iss+"\x00"+sub)
}

// learn remembers that bearer token tok, issued by host, belongs to a, and
// so does its JWT subject; bounded: past tokenMemory tokens the oldest is
// forgotten (subjects are one per account).
func (ids *identities) learn(tok, host string, a account) {
	if sub := subjectOf(tok, host); sub != 0 && sub != a {
		ids.subs.Store(sub, a)
	}
	h := maphash.String(ids.seed, tok)
	if _, loaded := ids.tokens.LoadOrStore(h, a); loaded {
		return
	}
	ring := ids.ring.Load()
	if ring == nil {
		ids.ring.CompareAndSwap(nil, new([tokenMemory]atomic.Uint64))
		ring = ids.ring.Load()
	}
	slot := &ring[ids.next.Add(1)%tokenMemory]
	if old := slot.Swap(h); old != 0 {
		ids.tokens.Delete(old)
	}
}

// learnLogin remembers the token a login or refresh answered, when resp
// is a success carrying {"bearer": ...}, for the account a of the call.
func (ids *identities) learnLogin(req *http.Request, status int, body []byte, a account) {
	if a == 0 || status < 200 || status > 299 || !isLogin(req.URL.Path) && !isRefresh(req.URL.Path) {
		return
	}
	if tok := fastjson.GetString(body, "bearer"); tok != "" {
		ids.learn(tok, req.URL.Host, a)
	}
}

// headerValue returns the first value of header name (canonical form) in h,
// also when the map was written with the key in another case.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	for k, v := range h {
		if len(v) > 0 && strings.EqualFold(k, name) {
			return v[0]
		}
	}
	return ""
}

// bearerToken returns the token of an "Authorization: Bearer" header.
func bearerToken(h http.Header) string {
	v := headerValue(h, "Authorization")
	if len(v) > 7 && strings.EqualFold(v[:7], "bearer ") {
		return strings.TrimSpace(v[7:])
	}
	return ""
}

// jwtSubject returns the account a JWT names, decoded but not verified: its
// "sub" claim, else "id" (BSG's tokens carry the account as "id"), and its
// issuer. It returns "" for a token that is not a JWT.
func jwtSubject(tok string) (sub, iss string) {
	_, rest, ok := strings.Cut(tok, ".")
	payload, _, ok2 := strings.Cut(rest, ".")
	if !ok || !ok2 || len(payload) > 4096 {
		return "", ""
	}
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(payload, "="))
	if err != nil {
		return "", ""
	}
	v, err := fastjson.ParseBytes(b)
	if err != nil || v.Type() != fastjson.TypeObject {
		return "", ""
	}
	sub = text(v.Get("sub"))
	if sub == "" {
		sub = text(v.Get("id"))
	}
	return sub, text(v.Get("iss"))
}

// isLogin and isRefresh report API 2.0's token calls, which carry no
// credential header: a login names its API key in its body.
func isLogin(path string) bool   { return strings.HasSuffix(path, "/auth/login") }
func isRefresh(path string) bool { return strings.HasSuffix(path, "/auth/refresh") }
