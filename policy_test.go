package resilient

import (
	"log/slog"
	"net/http"
	"testing"
	"time"

	rc "github.com/resilient-sms/resilient/resilientconv"
)

func TestPolicyDefaults(t *testing.T) {
	p := Policy{}.withDefaults()
	want := Policy{
		MaxAttempts:         4,
		Backoff:             Backoff{Initial: 500 * time.Millisecond, Max: 30 * time.Second, Multiplier: 1.5, Jitter: 0.5},
		MaxRetryAfter:       time.Minute,
		Budget:              RetryBudget{Ratio: 0.1, Burst: 10},
		MaxBodyBytes:        256 << 10,
		MaxRequestBodyBytes: 1 << 20,
	}
	if p != want {
		t.Errorf("defaults %+v, want %+v", p, want)
	}
	if b := (Backoff{Jitter: -1, Initial: time.Minute}).withDefaults(); b.Jitter != 0 || b.Max != time.Minute {
		t.Errorf("no-jitter backoff %+v", b)
	}
}

func TestBackoffSequence(t *testing.T) {
	bo := Backoff{Initial: 100 * time.Millisecond, Max: 400 * time.Millisecond, Multiplier: 2, Jitter: -1}.withDefaults().newBackOff()
	for i, want := range []time.Duration{100, 200, 400, 400, 400} {
		if got := bo.NextBackOff(); got != want*time.Millisecond {
			t.Errorf("delay %d = %v, want %v", i, got, want*time.Millisecond)
		}
	}
	jit := Backoff{Initial: time.Second, Jitter: 0.5}.withDefaults().newBackOff()
	for range 100 {
		if d := jit.NextBackOff(); d < 500*time.Millisecond || d > 1500*time.Millisecond {
			t.Fatalf("jittered first delay %v out of [0.5s, 1.5s]", d)
		}
		jit.Reset()
	}
}

func TestDecide(t *testing.T) {
	rule := Rule{Class: ClassTransient, MaxAttempts: 4}
	tr := func(mut func(*Outcome)) *Outcome {
		o := &Outcome{Class: ClassTransient}
		if mut != nil {
			mut(o)
		}
		return o
	}
	tests := []struct {
		name       string
		out        *Outcome
		attempt    int
		safe       bool
		backoff    time.Duration
		timeLeft   time.Duration
		wantRetry  bool
		wantReason rc.Reason
		wantDelay  time.Duration
		wantSource string
	}{
		{"success", &Outcome{}, 1, true, time.Second, -1, false, rc.ReasonSuccess, 0, ""},
		{"accepted earlier", &Outcome{AcceptedEarlier: true}, 2, true, time.Second, -1, false, rc.ReasonAcceptedEarlier, 0, ""},
		{"permanent", &Outcome{Class: ClassPermanent, Code: 21}, 1, true, time.Second, -1, false, rc.ReasonPermanent, 0, ""},
		{"account", &Outcome{Class: ClassAccount, Code: 8}, 1, true, time.Second, -1, false, rc.ReasonAccount, 0, ""},
		{"canceled", tr(func(o *Outcome) { o.Canceled = true }), 1, true, time.Second, -1, false, rc.ReasonCanceled, 0, ""},
		{"body not replayable", tr(nil), 1, false, time.Second, -1, false, rc.ReasonUnsafe, 0, ""},
		{"transient retries", tr(nil), 1, true, time.Second, -1, true, rc.ReasonTransient, time.Second, rc.DelayBackoff},
		{"last attempt", tr(nil), 4, true, time.Second, -1, false, rc.ReasonAttempts, 0, ""},
		{"ambiguous unsafe", tr(func(o *Outcome) { o.Ambiguous = true }), 1, false, time.Second, -1, false, rc.ReasonUnsafe, 0, ""},
		{"ambiguous safe", tr(func(o *Outcome) { o.Ambiguous = true }), 1, true, time.Second, -1, true, rc.ReasonTransient, time.Second, rc.DelayBackoff},
		{"retry-after longer", tr(func(o *Outcome) { o.RetryAfter = 5 * time.Second }), 1, true, time.Second, -1, true, rc.ReasonTransient, 5 * time.Second, rc.DelayRetryAfter},
		{"retry-after shorter", tr(func(o *Outcome) { o.RetryAfter = time.Millisecond }), 1, true, time.Second, -1, true, rc.ReasonTransient, time.Second, rc.DelayBackoff},
		{"retry-after capped", tr(func(o *Outcome) { o.RetryAfter = time.Hour }), 1, true, time.Second, -1, true, rc.ReasonTransient, time.Minute, rc.DelayRetryAfter},
		{"deadline", tr(func(o *Outcome) { o.RetryAfter = 5 * time.Second }), 1, true, time.Second, 4 * time.Second, false, rc.ReasonDeadline, 5 * time.Second, rc.DelayRetryAfter},
		{"deadline room", tr(nil), 1, true, time.Second, 2 * time.Second, true, rc.ReasonTransient, time.Second, rc.DelayBackoff},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := decide(decideInput{out: tt.out, rule: rule, attempt: tt.attempt, resendSafe: tt.safe,
				backoff: tt.backoff, maxRA: time.Minute, timeLeft: tt.timeLeft})
			if d.retry != tt.wantRetry || d.reason != tt.wantReason || d.delay != tt.wantDelay || d.source != tt.wantSource {
				t.Errorf("got %+v; want retry=%v reason=%v delay=%v source=%q", d, tt.wantRetry, tt.wantReason, tt.wantDelay, tt.wantSource)
			}
		})
	}
}

func TestBudget(t *testing.T) {
	cs := newCircuits(circuitConfig{}, RetryBudget{Ratio: 0.25, Burst: 2}, nil, realClock{})
	b := &cs.host("h").budget
	if &cs.host("h").budget != b {
		t.Fatal("budget not shared per host")
	}
	steps := []struct {
		deposits int
		want     bool
	}{{0, true}, {0, true}, {0, false}, {3, false}, {1, true}, {100, true}, {0, true}, {0, false}}
	for i, s := range steps {
		for range s.deposits {
			b.deposit()
		}
		if got := b.withdraw(); got != s.want {
			t.Errorf("step %d: withdraw = %v, want %v", i, got, s.want)
		}
	}
	var off budget
	off.init(RetryBudget{Ratio: -1})
	for i := range 100 {
		if !off.withdraw() {
			t.Fatalf("disabled budget refused retry %d", i)
		}
	}
}

func TestRuleInheritsPolicyFieldByField(t *testing.T) {
	p := Policy{MaxAttempts: 6, Backoff: Backoff{Max: 2 * time.Second, Jitter: -1}}.withDefaults()
	rs := newRuleSet(p)
	rs.codes[11] = Rule{Class: ClassTransient, Backoff: Backoff{Initial: 100 * time.Millisecond}}
	rs.codes[5] = Rule{Class: ClassTransient, MaxAttempts: 2, Backoff: Backoff{Jitter: 0.2}}
	rs.finish(p)
	tests := []struct {
		code int
		want Rule
	}{
		{11, Rule{Class: ClassTransient, MaxAttempts: 6, Backoff: Backoff{Initial: 100 * time.Millisecond, Max: 2 * time.Second, Multiplier: 1.5}}},
		{5, Rule{Class: ClassTransient, MaxAttempts: 2, Backoff: Backoff{Initial: 500 * time.Millisecond, Max: 2 * time.Second, Multiplier: 1.5, Jitter: 0.2}}},
		{21, Rule{Class: ClassPermanent, MaxAttempts: 6, Backoff: Backoff{Initial: 500 * time.Millisecond, Max: 2 * time.Second, Multiplier: 1.5}}},
	}
	for _, tt := range tests {
		if got := rs.forCode(tt.code); got != tt.want {
			t.Errorf("code %d: rule %+v, want %+v", tt.code, got, tt.want)
		}
	}
}

// TestJudgeEveryClass holds the decision on one answer to its class, for
// every class a rule may name, also one outside the table: only a transient
// outcome is retried, a class never retried gives its own reason, and a class
// outside the table is never retried and counts as unsafe to resend, not as
// out of attempts.
func TestJudgeEveryClass(t *testing.T) {
	tests := []struct {
		class      Class
		wantSends  int
		wantReason string // of the "gave up" record; "" for none
	}{
		{ClassSuccess, 1, ""},
		{ClassTransient, 3, "attempts"},
		{ClassPermanent, 1, "permanent"},
		{ClassAccount, 1, "account"},
		{Class(4), 1, "unsafe"},
		{Class(-1), 1, "unsafe"},
	}
	for _, tt := range tests {
		t.Run(tt.class.String(), func(t *testing.T) {
			h := &recordingHandler{level: slog.LevelDebug}
			sends := 0
			base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
				sends++
				return response(200, `{"error":7,"errorDescription":"x"}`), nil
			})
			rt := NewTransport(base, withClock(newFakeClock()), WithLogger(slog.New(h)),
				WithCodeRule(7, Rule{Class: tt.class, MaxAttempts: 3, Backoff: Backoff{Initial: time.Nanosecond, Max: time.Nanosecond}}))
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://api.test/rest/common/balance", nil)
			resp, err := rt.RoundTrip(req)
			if err != nil {
				t.Fatal(err)
			}
			readAll(t, resp)
			reason := ""
			for _, r := range h.records() {
				if r.msg == "gave up" {
					reason = r.attrs["resilient.reason"]
				}
			}
			if sends != tt.wantSends || reason != tt.wantReason {
				t.Errorf("%d sends, gave up for %q; want %d, %q", sends, reason, tt.wantSends, tt.wantReason)
			}
		})
	}
}
