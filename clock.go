package resilient

import "time"

// clock is the Transport's source of time: the wall clock in production, a
// fake in tests.
type clock interface {
	Now() time.Time
	// After returns a channel that receives after d, and a stop function.
	After(d time.Duration) (<-chan time.Time, func() bool)
}

type realClock struct{}

func (realClock) Now() time.Time { return time.Now() }

func (realClock) After(d time.Duration) (<-chan time.Time, func() bool) {
	t := time.NewTimer(d)
	return t.C, t.Stop
}
