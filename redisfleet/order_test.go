package redisfleet

import (
	"context"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

func TestOlderFactNeverReplacesNewer(t *testing.T) {
	srv := redistest.Start(t)
	a, b, c := threeFleets(t, srv.Addr())
	rc := subscribe(t, c)
	acct := fingerprint("account-order")

	newer := openFact(acct, 3*time.Second)
	older := newer
	older.At = newer.At.Add(-time.Second)
	older.Code = 2
	a.Publish(newer)
	rc.wait(t, 5*time.Second, "the newer open", isOpen(acct, newer.At))
	// b knows of the newer fact and drops its older ones itself.
	b.Publish(older)
	b.Publish(resilient.AccountFact{Account: acct, At: newer.At.Add(-time.Millisecond)})
	// A late copy of an older fact, published by some other instance,
	// reaches c and Redis anyway: c drops it and the script keeps the newer.
	insp := inspector(t, srv.Addr())
	payload, err := encode(older, "late")
	if err != nil {
		t.Fatal(err)
	}
	do(t, insp, "PUBLISH", testPrefix(t)+"facts", string(payload))
	s, err := dialRueidis(context.Background(), Config{Addr: srv.Addr()}, keys{prefix: testPrefix(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer s.close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if errs := s.write(ctx, []writeOp{{key: testPrefix(t) + "acct:" + acct, payload: payload, ttl: time.Second,
		at: older.At.UnixMicro(), leaseKey: testPrefix(t) + "lease:" + acct}}); errs[0] != nil {
		t.Fatal(errs[0])
	}
	marker := openFact(fingerprint("account-order-marker"), 3*time.Second)
	b.Publish(marker)
	rc.wait(t, 5*time.Second, "the marker", isOpen(marker.Account, marker.At))

	for _, got := range rc.all() {
		if got.Account == acct && !got.At.Equal(newer.At) {
			t.Errorf("c applied an older fact after a newer one: %+v", got)
		}
	}
	v, err := do(t, insp, "GET", testPrefix(t)+"acct:"+acct).AsBytes()
	if err != nil {
		t.Fatal(err)
	}
	if f, err := decode(v); err != nil || !f.At.Equal(newer.At) || f.Code != 8 {
		t.Errorf("Redis holds %s (%v), want the newer fact", v, err)
	}
}

func TestExpiredOpenIsNeverDelivered(t *testing.T) {
	srv := redistest.Start(t)
	insp := inspector(t, srv.Addr())
	prefix := testPrefix(t)
	past := openFact(fingerprint("account-expired"), -time.Second)
	payload, err := encode(past, "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	// A key whose TTL outlives its Until (written by a clock ahead of ours).
	do(t, insp, "SET", prefix+"acct:"+past.Account, string(payload), "PX", "60000")
	live := openFact(fingerprint("account-live"), 5*time.Second)
	if payload, err = encode(live, "elsewhere"); err != nil {
		t.Fatal(err)
	}
	do(t, insp, "SET", prefix+"acct:"+live.Account, string(payload), "PX", "5000")

	f := newFleet(t, srv.Addr(), "a")
	r := subscribe(t, f)
	waitLoaded(t, f)
	r.wait(t, 5*time.Second, "the live open", isOpen(live.Account, live.At))
	for _, got := range r.all() {
		if got.Account == past.Account {
			t.Errorf("delivered an expired open: %+v", got)
		}
	}
}
