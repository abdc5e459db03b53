package redisfleet

import (
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

func TestPropagation(t *testing.T) {
	srv := redistest.Start(t)
	a, b, c := threeFleets(t, srv.Addr())
	ra, rb, rc := subscribe(t, a), subscribe(t, b), subscribe(t, c)

	acct := fingerprint("account-1")
	open := openFact(acct, 2*time.Second)
	a.Publish(open)
	for name, r := range map[string]*recorder{"b": rb, "c": rc} {
		got := r.wait(t, 5*time.Second, "open on "+name, isOpen(acct, open.At))
		if got.Instance != "a" || got.Code != 8 || got.Class != resilient.ClassAccount ||
			got.StatusCode != 200 || !got.Until.Equal(open.Until) {
			t.Errorf("%s applied %+v, want the fact a published", name, got)
		}
	}

	insp := inspector(t, srv.Addr())
	key := testPrefix(t) + "acct:" + acct
	pttl, err := do(t, insp, "PTTL", key).AsInt64()
	if err != nil || pttl <= 0 || pttl > 2000 {
		t.Errorf("PTTL %s = %d (%v), want within (0, 2000] ms: no longer than the open time", key, pttl, err)
	}

	// A new instance loads the opens in force.
	d := newFleet(t, srv.Addr(), "d")
	rd := subscribe(t, d)
	waitLoaded(t, d)
	rd.wait(t, 5*time.Second, "open on d", isOpen(acct, open.At))

	// A probe succeeded on c: everybody closes, and the key holds the
	// close, for no longer than Redis is asked to remember closes.
	closed := resilient.AccountFact{Account: acct, At: time.Now().Truncate(time.Microsecond)}
	c.Publish(closed)
	for name, r := range map[string]*recorder{"a": ra, "b": rb, "d": rd} {
		if got := r.wait(t, 5*time.Second, "close on "+name, isClosed(acct)); got.Instance != "c" {
			t.Errorf("%s was given a close by %q, want c", name, got.Instance)
		}
	}
	eventually(t, 5*time.Second, "the close in Redis", func() bool { return holds(t, srv.Addr(), testPrefix(t), closed) })
	if pttl, err := do(t, insp, "PTTL", key).AsInt64(); err != nil || pttl <= 0 || pttl > time.Minute.Milliseconds() {
		t.Errorf("PTTL %s of the close = %d (%v), want within (0, 60000] ms", key, pttl, err)
	}

	for name, pair := range map[string]struct {
		f *Fleet
		r *recorder
	}{"a": {a, ra}, "b": {b, rb}, "c": {c, rc}, "d": {d, rd}} {
		for _, got := range pair.r.all() {
			if got.Instance == pair.f.Instance() {
				t.Errorf("%s was given its own fact back: %+v", name, got)
			}
		}
	}
}

// TestSubscribeGivesOpensInForce: a subscriber made before the first load
// has the opens in force by the time Loaded closes, and one made after it
// has them when Subscribe returns, so that a Transport made either way
// fails fast from its first call.
func TestSubscribeGivesOpensInForce(t *testing.T) {
	srv := redistest.Start(t)
	a := newFleet(t, srv.Addr(), "a")
	waitLoaded(t, a)
	open := openFact(fingerprint("account-in-force"), 10*time.Second)
	a.Publish(open)
	eventually(t, 5*time.Second, "the open in Redis", func() bool { return holds(t, srv.Addr(), testPrefix(t), open) })

	for range 20 {
		d := newFleet(t, srv.Addr(), "d")
		before := subscribe(t, d)
		waitLoaded(t, d)
		after := subscribe(t, d)
		for name, r := range map[string]*recorder{"before the load": before, "after the load": after} {
			if got := r.all(); len(got) != 1 || !isOpen(open.Account, open.At)(got[0]) {
				t.Fatalf("a subscriber made %s had %+v, want the open in force", name, got)
			}
		}
		_ = d.Close()
	}
}
