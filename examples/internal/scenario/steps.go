package scenario

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/resilientconv"
)

// step is one call of the scenario, the faults the server meets it with,
// and what must come of it.
type step struct {
	label  string
	key    string
	method string
	path   string // under /rest
	body   string
	faults []notificoretest.Fault
	note   string // printed after the call
	want   want
}

// want is what must come of a step.
type want struct {
	attempts int
	retries  int
	reason   resilientconv.Reason // why the call stopped; "" for a fail-fast
	failFast bool                 // an open circuit stops the call: no request
	err      bool                 // the caller gets an error instead of an answer
	accepted int                  // messages the server accepts during the step
	minDelay time.Duration        // every retry waits at least this long
	opens    resilient.Scope      // a circuit of this scope opens
}

// smsSingle is a single SMS create body.
func smsSingle(msisdn, ref, text string) string {
	return fmt.Sprintf(`{"destination":"phone","originator":"Shop","body":%q,"msisdn":%q,"reference":%q}`, text, msisdn, ref)
}

// smsBulk is a bulk SMS create body; an empty reference is left out.
func smsBulk(text string, recipients ...[2]string) string {
	var phones []string
	for _, r := range recipients {
		if r[1] == "" {
			phones = append(phones, fmt.Sprintf(`{"msisdn":%q}`, r[0]))
		} else {
			phones = append(phones, fmt.Sprintf(`{"msisdn":%q,"reference":%q}`, r[0], r[1]))
		}
	}
	return fmt.Sprintf(`{"destination":"phones","originator":"Shop","body":%q,"phones":[%s]}`, text, strings.Join(phones, ","))
}

// steps is the scenario. Every message goes to a phone number of its own,
// so that a message accepted twice shows as a repeated number.
func steps() []step {
	const create = "/sms/create"
	return []step{{
		label:  "sms: code 11 twice",
		key:    MainKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+37060000001", "qsotp1", "Your code is 4711"),
		faults: []notificoretest.Fault{
			{Path: create, Code: 11},                   // {"error":11,...}
			{Path: create, Code: 11, CodeString: true}, // {"error":"11",...}
		},
		note: `code 11 came as 11, then as "11"; both are throttling, and throttling is resent`,
		want: want{attempts: 3, retries: 2, reason: resilientconv.ReasonSuccess, accepted: 1},
	}, {
		label:  "sms: invalid phone",
		key:    MainKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+3706", "qsotp2", "Your code is 0815"),
		want:   want{attempts: 1, reason: resilientconv.ReasonPermanent},
	}, {
		label:  "sms bulk: 1 of 3 gets code 11",
		key:    MainKey,
		method: http.MethodPut,
		path:   create,
		body: smsBulk("Spring sale starts today",
			[2]string{"+37060000002", "qspromo1"}, [2]string{"+37060000003", "qspromo2"}, [2]string{"+37060000004", "qspromo3"}),
		faults: []notificoretest.Fault{{Path: create, Recipients: map[int]int{1: 11}}},
		note:   "every recipient has a reference, so the resend is safe: the 2 accepted come back as code 23, read as accepted earlier",
		want:   want{attempts: 2, retries: 1, reason: resilientconv.ReasonAcceptedEarlier, accepted: 3},
	}, {
		label:  "sms bulk: reset, 1 unreferenced",
		key:    MainKey,
		method: http.MethodPut,
		path:   create,
		body: smsBulk("Your parcel has shipped",
			[2]string{"+37060000005", "qsship1"}, [2]string{"+37060000006", ""}),
		faults: []notificoretest.Fault{{Path: create, Reset: notificoretest.ResetAfterProcessing}},
		note:   "the server accepted both and then dropped the connection; a resend would have sent +37060000006 twice",
		want:   want{attempts: 1, reason: resilientconv.ReasonUnsafe, err: true, accepted: 2},
	}, {
		label:  "sms: look up by reference",
		key:    MainKey,
		method: http.MethodGet,
		path:   "/sms/reference/qsship1",
		note:   "how to settle an unresent create: look its messages up by reference",
		want:   want{attempts: 1, reason: resilientconv.ReasonSuccess},
	}, {
		label:  "viber: 503, Retry-After: 1",
		key:    MainKey,
		method: http.MethodPut,
		path:   "/viber/create",
		body: `{"sender":"Shop","messages":[{"to":[{"msisdn":"+37060000007","reference":"qsviber1"}],` +
			`"text":"Your parcel arrives tomorrow"}]}`,
		faults: []notificoretest.Fault{{Path: "/viber/create", Status: http.StatusServiceUnavailable, RetryAfter: "1"}},
		want:   want{attempts: 2, retries: 1, reason: resilientconv.ReasonSuccess, accepted: 1, minDelay: time.Second},
	}, {
		label:  "balance (low account)",
		key:    LowKey,
		method: http.MethodGet,
		path:   "/common/balance",
		want:   want{attempts: 1, reason: resilientconv.ReasonSuccess},
	}, {
		label:  "sms (low account)",
		key:    LowKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+37060000008", "qslow1", "Your table is booked"),
		want:   want{attempts: 1, reason: resilientconv.ReasonSuccess, accepted: 1},
	}, {
		label:  "sms (low account): no funds",
		key:    LowKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+37060000009", "qslow2", "Your table is ready"),
		want:   want{attempts: 1, reason: resilientconv.ReasonAccount, opens: resilient.ScopeAccount},
	}, {
		label:  "sms (low account) again",
		key:    LowKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+37060000010", "qslow3", "See you soon"),
		want:   want{failFast: true, err: true},
	}, {
		label:  "balance (low account) again",
		key:    LowKey,
		method: http.MethodGet,
		path:   "/common/balance",
		want:   want{failFast: true, err: true},
	}, {
		label:  "sms (main account)",
		key:    MainKey,
		method: http.MethodPut,
		path:   create,
		body:   smsSingle("+37060000011", "qsmain1", "Thanks for your order"),
		note:   "another account is not held back by the open circuit",
		want:   want{attempts: 1, reason: resilientconv.ReasonSuccess, accepted: 1},
	}}
}

// check compares what came of the step with what must. requests and
// accepted are what the server received and accepted during the step.
func (s *step) check(c *Call, res *result, requests, accepted int) error {
	var bad []string
	add := func(format string, args ...any) { bad = append(bad, fmt.Sprintf(format, args...)) }
	w := s.want

	if w.failFast {
		if c.FailedFast == nil {
			add("the call did not fail fast")
		}
		if !errors.Is(res.err, resilient.ErrCircuitOpen) {
			add("the caller got %v, not resilient.ErrCircuitOpen", res.describeErr())
		}
	}
	if n := len(c.Attempts); n != w.attempts {
		add("%d attempts, want %d", n, w.attempts)
	}
	if requests != len(c.Attempts) {
		add("the server received %d requests for %d attempts traced", requests, len(c.Attempts))
	}
	if n := c.Retries(); n != w.retries {
		add("%d retries, want %d", n, w.retries)
	}
	if last := c.Last(); last != nil && last.Next.Reason != w.reason {
		add("the call stopped for %q, want %q", last.Next.Reason, w.reason)
	}
	for _, a := range c.Attempts {
		if a.Next.Retry && a.Next.Delay < w.minDelay {
			add("attempt %d was resent after %s, want at least %s", a.Number, a.Next.Delay, w.minDelay)
		}
	}
	if (res.err != nil) != w.err {
		add("unexpected result: %s", res.String())
	}
	if accepted != w.accepted {
		add("the server accepted %d messages, want %d", accepted, w.accepted)
	}
	if w.opens != "" {
		opened := false
		for _, ch := range c.Circuits {
			opened = opened || (ch.Scope == w.opens && ch.To == "open")
		}
		if !opened {
			add("no %s circuit opened", w.opens)
		}
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}

// result is what the caller of a step got.
type result struct {
	err        error
	status     int
	header     http.Header
	body       []byte
	out        resilient.Outcome // resilient.OutcomeOf the response
	classified bool
}

func (r *result) describeErr() string {
	if r.err == nil {
		return "no error"
	}
	return r.err.Error()
}

// String says briefly what the caller got.
func (r *result) String() string {
	if r.err != nil {
		var re *resilient.Error
		switch {
		case errors.Is(r.err, resilient.ErrCircuitOpen):
			return "caller gets resilient.ErrCircuitOpen at once"
		case errors.As(r.err, &re):
			return fmt.Sprintf("caller gets a *resilient.Error: %s, %s, after %s", re.Outcome.Class, re.Reason, Plural(re.Attempts, "attempt"))
		}
		return "caller gets an error: " + r.err.Error()
	}
	s := fmt.Sprintf("caller gets HTTP %d", r.status)
	var b struct {
		Amount   string          `json:"amount"`
		Currency string          `json:"currency"`
		ID       string          `json:"id"`
		Status   string          `json:"status"`
		Result   json.RawMessage `json:"result"`
	}
	_ = json.Unmarshal(r.body, &b)
	var single struct {
		ID string `json:"id"`
	}
	switch o := r.out; {
	case !r.classified:
		return s
	case o.Class != resilient.ClassSuccess && o.Code != 0:
		return fmt.Sprintf("%s with error %d (%s)", s, o.Code, o.Description)
	case o.Class != resilient.ClassSuccess:
		return fmt.Sprintf("%s, %s", s, o.Class)
	case o.Recipients != nil:
		ok, earlier := 0, 0
		for _, rc := range o.Recipients {
			if rc.Class == resilient.ClassSuccess {
				ok++
			}
			if rc.AcceptedEarlier {
				earlier++
			}
		}
		s += fmt.Sprintf(": %d of %d recipients accepted", ok, len(o.Recipients))
		if earlier > 0 {
			s += fmt.Sprintf(" (%d earlier; %s: %s)", earlier, resilient.AcceptedEarlierHeader, r.header.Get(resilient.AcceptedEarlierHeader))
		}
		return s
	case b.Amount != "":
		return fmt.Sprintf("%s: balance %s %s", s, b.Amount, b.Currency)
	case b.Status != "":
		return fmt.Sprintf("%s: message id %s, %s", s, b.ID, b.Status)
	case json.Unmarshal(b.Result, &single) == nil && single.ID != "":
		return fmt.Sprintf("%s: accepted, id %s", s, single.ID)
	}
	return s
}
