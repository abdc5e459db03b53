package resilient

import (
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// maxRetryAfter is the largest wait parseRetryAfter reports; larger or
// overflowing values are clamped to it (the Policy caps waits far lower).
const maxRetryAfter = 1 << 62

// parseRetryAfter reads a Retry-After value in either of its forms: delay
// seconds, or an HTTP-date taken relative to the response's Date header
// (when it parses) so that a skewed local clock cannot stretch or shrink the
// wait. now stands in for a missing or malformed Date. It reports false for
// an absent or malformed value; a date in the past is a zero wait.
func parseRetryAfter(value, date string, now time.Time) (time.Duration, bool) {
	v := strings.TrimSpace(value)
	if v == "" {
		return 0, false
	}
	if c := v[0]; c >= '0' && c <= '9' {
		secs, err := strconv.ParseFloat(v, 64)
		if err != nil || math.IsNaN(secs) || math.IsInf(secs, 0) || strings.ContainsAny(v, "eExXpP_") {
			return 0, false
		}
		if secs >= float64(maxRetryAfter)/float64(time.Second) {
			return maxRetryAfter, true
		}
		return time.Duration(secs * float64(time.Second)), true
	}
	at, err := http.ParseTime(v)
	if err != nil {
		return 0, false
	}
	ref := now
	if d, err := http.ParseTime(strings.TrimSpace(date)); err == nil {
		ref = d
	}
	wait := at.Sub(ref) // saturates on overflow
	switch {
	case wait < 0:
		return 0, true
	case wait > maxRetryAfter:
		return maxRetryAfter, true
	}
	return wait, true
}

// retryAfter returns the wait a response's Retry-After asks for, 0 if none;
// it asks the clock only when there is one.
func retryAfter(h http.Header, cl clock) time.Duration {
	v := h["Retry-After"]
	if len(v) == 0 {
		return 0
	}
	d, _ := parseRetryAfter(v[0], h.Get("Date"), cl.Now())
	return d
}
