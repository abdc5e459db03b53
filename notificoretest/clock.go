package notificoretest

import (
	"net/http"
	"time"
)

// Clock is the server's source of time. Processing time (WithProcessingTime),
// Fault.Delay, the duplicate window (WithDuplicateWindow), the iat and exp
// claims of API 2.0 tokens, token expiry and the times shown in answers all
// read it. The default is the wall clock; WithClock installs another, such
// as a fake one that a test advances by hand.
//
// A Clock must be safe for concurrent use.
type Clock interface {
	// Now returns the current time.
	Now() time.Time
	// After returns a channel that receives the time once d has passed.
	// The server calls it with d > 0 only, and may abandon the channel
	// before it fires.
	After(d time.Duration) <-chan time.Time
}

// WithClock makes the server read time from c instead of the wall clock. A
// server waiting on c (processing time, a Fault's Delay) is released when c's
// After channel fires, which lets a test decide exactly when a create
// completes. A nil c is ignored.
func WithClock(c Clock) Option {
	return optionFunc(func(cfg *config) {
		if c != nil {
			cfg.clock = c
		}
	})
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time                         { return time.Now() }
func (wallClock) After(d time.Duration) <-chan time.Time { return time.After(d) }

// wait waits for d on the server's clock, and reports false if the client
// went away or the server was closed first.
func (s *Server) wait(r *http.Request, d time.Duration) bool {
	if d <= 0 {
		return true
	}
	select {
	case <-s.clock.After(d):
		return true
	case <-r.Context().Done():
	case <-s.done:
	}
	return false
}
