package scenario

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/resilient-sms/resilient/resilientconv"
)

// Lines describes the call's decisions, one line each, in the order they
// happened: every attempt with its answer, its class and what the Transport
// did next; every circuit state change; a fail-fast. For example:
//
//	attempt 1  HTTP 200   transient  code 11  → retry when the account's in-flight limit has room, within 412ms
//	attempt 2  HTTP 200   account    code 8   → returned at once (account-level)
//	circuit    account closed → open, probe in 1m0s (code 8)
func (c *Call) Lines() []string {
	type line struct {
		at   time.Time
		text string
	}
	var lines []line
	for _, a := range c.Attempts {
		lines = append(lines, line{a.End, a.line()})
	}
	for _, ch := range c.Circuits {
		lines = append(lines, line{ch.At, ch.line()})
	}
	if f := c.FailedFast; f != nil {
		lines = append(lines, line{f.At, f.line()})
	}
	slices.SortStableFunc(lines, func(a, b line) int { return a.at.Compare(b.at) })
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = l.text
	}
	return out
}

func (a *Attempt) line() string {
	answer := fmt.Sprintf("HTTP %d", a.Status)
	if a.Status == 0 {
		answer = transportFailure(a.Err)
	}
	code := ""
	if a.Code != 0 {
		code = fmt.Sprintf("code %d", a.Code)
	}
	return fmt.Sprintf("attempt %d  %-10s %-10s %-8s → %s", a.Number, answer, a.Class, code, a.Next.text())
}

// transportFailure names a transport failure briefly from the attempt
// span's status, which holds the failure's error.type.
func transportFailure(err string) string {
	switch {
	case strings.Contains(err, "connection_reset"):
		return "conn reset"
	case strings.Contains(err, "eof"):
		return "conn closed"
	case strings.Contains(err, "timeout"), strings.Contains(err, "deadline"):
		return "timeout"
	}
	return "no answer"
}

func (d Decision) text() string {
	if d.Retry {
		switch d.Source {
		case resilientconv.DelayRetryAfter:
			return fmt.Sprintf("retry in %s (Retry-After)", Duration(d.Delay))
		case resilientconv.DelayQueue:
			return fmt.Sprintf("retry when the account's in-flight limit has room, within %s", Duration(d.Delay))
		}
		return fmt.Sprintf("retry in %s (back-off)", Duration(d.Delay))
	}
	switch d.Reason {
	case resilientconv.ReasonSuccess:
		return "done"
	case resilientconv.ReasonAcceptedEarlier:
		return "done: a duplicate reference on a resend means accepted earlier"
	case resilientconv.ReasonPermanent:
		return "returned at once (permanent)"
	case resilientconv.ReasonAccount:
		return "returned at once (account-level)"
	case resilientconv.ReasonUnsafe:
		return "not resent: it may have been processed and lacks references"
	case resilientconv.ReasonAttempts:
		return "gave up: attempts used up"
	case resilientconv.ReasonBudget:
		return "gave up: retry budget spent"
	case resilientconv.ReasonDeadline:
		return "gave up: the wait would pass the deadline"
	case resilientconv.ReasonCircuitOpen:
		return "gave up: a circuit opened"
	case resilientconv.ReasonCanceled:
		return "gave up: canceled"
	case "":
		return "?"
	}
	return "stopped: " + string(d.Reason)
}

func (ch *CircuitChange) line() string {
	s := fmt.Sprintf("circuit    %s %s → %s", ch.Scope, ch.From, ch.To)
	if ch.To == "open" {
		s += ", probe in " + Duration(ch.RetryAt.Sub(ch.At).Round(time.Second))
		if ch.Code != 0 {
			s += fmt.Sprintf(" (code %d)", ch.Code)
		}
	}
	return s
}

func (f *FailFast) line() string {
	s := fmt.Sprintf("failed fast: %s circuit open", f.Scope)
	if f.Code != 0 {
		s += fmt.Sprintf(" (code %d)", f.Code)
	}
	if f.RetryAt.IsZero() {
		s += ", probe in flight"
	} else {
		s += ", probe in " + Duration(f.RetryAt.Sub(f.At).Round(time.Second))
	}
	return s + "; nothing sent"
}

// Duration formats a delay for people: milliseconds below a second,
// hundredths of a second below a minute, and time.Duration's own form above.
func Duration(d time.Duration) string {
	switch {
	case d < time.Second:
		return d.Round(time.Millisecond).String()
	case d < time.Minute:
		return d.Round(10 * time.Millisecond).String()
	}
	return d.Round(time.Second).String()
}

// Plural returns "1 attempt", "2 attempts" and the like.
func Plural(n int, noun string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, noun)
	}
	return fmt.Sprintf("%d %ss", n, noun)
}

// pad returns s padded with spaces to n runes.
func pad(s string, n int) string {
	return s + strings.Repeat(" ", max(n-len([]rune(s)), 0))
}

// width returns the widest of labels, in runes.
func width(labels []string) int {
	w := 0
	for _, l := range labels {
		w = max(w, len([]rune(l)))
	}
	return w
}
