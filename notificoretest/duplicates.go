package notificoretest

import (
	"crypto/sha256"
	"net/http"
	"time"
)

// msgDuplicate is the message of the spec's 429 answer to a duplicate.
const msgDuplicate = "Too many duplicate request detected"

// WithDuplicateWindow makes API 2.0 refuse copies of recent requests, as the
// published spec documents for its send and create operations: a POST
// under /api (other than /api/auth/...) whose path and body are
// byte-identical to a request the same account sent less than d earlier is
// answered HTTP 429 {"message":"Too many duplicate request detected"} (no
// "errors" key) and is not processed.
//
// The window is measured on the server's Clock from the arrival of the
// original, and restarts only from an original: a refused duplicate does
// not extend it, so the first copy sent d or more after the original is
// itself a new original. An original counts as received as soon as its body
// is in, whatever happens next: while it is still being processed, after it
// was refused for another reason (402, 422, ...), or after a
// ResetAfterProcessing fault dropped its answer, a copy inside the window
// gets the 429. Requests answered by a fault that replaces the answer,
// refused with 401, or sent to a path the server does not serve (404) are
// not seen by the window.
//
// d <= 0 turns the check off, which is the default.
func WithDuplicateWindow(d time.Duration) Option {
	return optionFunc(func(c *config) { c.dupWindow = max(d, 0) })
}

// dupLog is an account's API 2.0 requests still inside the duplicate window.
type dupLog struct {
	seen  map[[sha256.Size]byte]time.Time // request digest -> arrival of the original
	order []dupEntry                      // originals in arrival order, for expiry
}

type dupEntry struct {
	sum [sha256.Size]byte
	at  time.Time
}

// duplicateLocked reports whether a request of a to path with body copies an
// original received within the window; if it does not, it is recorded as an
// original itself. The caller holds s.mu.
func (s *Server) duplicateLocked(a *account, path string, body []byte) bool {
	if s.dupWindow <= 0 {
		return false
	}
	now := s.clock.Now()
	d := &a.dups
	for len(d.order) > 0 && !now.Before(d.order[0].at.Add(s.dupWindow)) {
		e := d.order[0]
		if at, ok := d.seen[e.sum]; ok && at.Equal(e.at) {
			delete(d.seen, e.sum)
		}
		d.order[0] = dupEntry{}
		d.order = d.order[1:]
	}
	h := sha256.New()
	h.Write([]byte(path))
	h.Write([]byte{0})
	h.Write(body)
	var sum [sha256.Size]byte
	h.Sum(sum[:0])
	if at, ok := d.seen[sum]; ok && now.Before(at.Add(s.dupWindow)) {
		return true
	}
	if d.seen == nil {
		d.seen = make(map[[sha256.Size]byte]time.Time)
	}
	d.seen[sum] = now
	d.order = append(d.order, dupEntry{sum: sum, at: now})
	return false
}

// duplicateReply is the spec's answer to a duplicate request.
func duplicateReply() reply {
	return jsonReply(http.StatusTooManyRequests, struct {
		Message string `json:"message"`
	}{msgDuplicate})
}
