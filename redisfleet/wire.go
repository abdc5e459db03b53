package redisfleet

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/resilient-sms/resilient"
)

// record is a fact as it is stored in Redis and published: the fields of
// resilient.AccountFact and nothing else. Times are Unix microseconds, which
// a Lua number holds exactly, so the write script can order facts by At.
type record struct {
	Account    string `json:"account"`
	Open       bool   `json:"open"`
	Class      string `json:"class,omitempty"`
	Code       int    `json:"code,omitempty"`
	StatusCode int    `json:"status,omitempty"`
	Message    string `json:"message,omitempty"`
	Until      int64  `json:"until,omitempty"`
	At         int64  `json:"at"`
	Instance   string `json:"instance"`
}

// maxMessage bounds the message a fact may carry: API 2.0 messages that the
// code table or a rule names are short.
const maxMessage = 256

// maxInstance bounds an instance name.
const maxInstance = 128

var errBadFact = errors.New("redisfleet: malformed fact")

// encode renders f, published by instance, as stored in Redis.
func encode(f resilient.AccountFact, instance string) ([]byte, error) {
	if !validAccount(f.Account) || len(f.Message) > maxMessage {
		return nil, errBadFact
	}
	r := record{
		Account:    f.Account,
		Open:       f.Open,
		Code:       f.Code,
		StatusCode: f.StatusCode,
		Message:    safeMessage(f.Message),
		At:         f.At.UnixMicro(),
		Instance:   instance,
	}
	if f.Open {
		r.Class = f.Class.String()
		r.Until = f.Until.UnixMicro()
	}
	return json.Marshal(r)
}

// decode parses a fact read from Redis, which is untrusted input: anything
// that does not look like a fact some instance wrote is rejected.
func decode(b []byte) (resilient.AccountFact, error) {
	var r record
	if err := json.Unmarshal(b, &r); err != nil {
		return resilient.AccountFact{}, errBadFact
	}
	if !validAccount(r.Account) || len(r.Message) > maxMessage ||
		r.Instance == "" || len(r.Instance) > maxInstance || r.At <= 0 {
		return resilient.AccountFact{}, errBadFact
	}
	f := resilient.AccountFact{
		Account:    r.Account,
		Open:       r.Open,
		Code:       r.Code,
		StatusCode: r.StatusCode,
		Message:    r.Message,
		At:         time.UnixMicro(r.At),
		Instance:   r.Instance,
	}
	if r.Open {
		c, ok := parseClass(r.Class)
		if !ok || r.Until <= 0 {
			return resilient.AccountFact{}, errBadFact
		}
		f.Class = c
		f.Until = time.UnixMicro(r.Until)
	}
	return f, nil
}

// parseClass is the inverse of resilient.Class.String for the classes the
// library defines.
func parseClass(s string) (resilient.Class, bool) {
	for c := resilient.ClassSuccess; c <= resilient.ClassAccount; c++ {
		if c.String() == s {
			return c, true
		}
	}
	return 0, false
}

// accountDigits is the length of an account fingerprint (see
// resilient.AccountFact).
const accountDigits = 16

// validAccount reports whether s is an account fingerprint: 16
// hexadecimal digits. Anything else (a key, a login, a phone) is refused,
// so that nothing but a fingerprint ever names a Redis key.
func validAccount(s string) bool {
	if len(s) != accountDigits {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') && (c < 'A' || c > 'F') {
			return false
		}
	}
	return true
}

// safeMessage returns msg, or "" when it holds seven digits or more: the
// messages of the code table hold none, and a phone number must never
// reach Redis, whatever a rule matched.
func safeMessage(msg string) string {
	digits := 0
	for i := 0; i < len(msg); i++ {
		if msg[i] >= '0' && msg[i] <= '9' {
			if digits++; digits >= 7 {
				return ""
			}
		}
	}
	return msg
}
