package redisfleet

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/redis/rueidis"
	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// The acceptance of the Fleet under real Transports sending real messages
// through the fake Notificore API: what one instance learns fails the others
// fast, the happy path never touches Redis, one probe per open period
// across the fleet, and nothing in Redis reveals a secret. Faults are in
// transports_faults_test.go, the measurements in transports_bench_test.go.

const (
	lowKey = "live_low_7d3e9a41c2b8f605" // an account out of funds
	okKey  = "live_ok_1a2b3c4d5e6f7081"  // an account with funds
)

// TestTransportsFailFastAcrossTheFleet: instance a gets code 8; b and c
// fail fast with no request to the server, and so does d, started
// afterwards, on its first call. Another account is not held back.
func TestTransportsFailFastAcrossTheFleet(t *testing.T) {
	rds := redistest.Start(t)
	srv := notificoretest.Start(t)
	srv.SetBalance(lowKey, 0)
	const openFor = time.Minute // outlasts the test: nothing here waits for it
	members := threeMembers(t, rds.Addr(), openFor)
	a, b, c := members[0], members[1], members[2]
	ctx := t.Context()

	start := time.Now()
	if r := a.send(ctx, srv, lowKey, "a1"); r.code != 8 {
		t.Fatalf("a's call: %v, want code 8", r)
	}
	for _, m := range []*member{b, c} {
		ev := m.events.wait(t, converge, "a's open on "+m.name, start, opened("a", 8))
		t.Logf("%s opened %v after a's call began", m.name, ev.seen.Sub(start).Round(time.Microsecond))
	}
	before := srv.Requests()
	for _, m := range []*member{b, c} {
		for i := range 10 {
			r := m.send(ctx, srv, lowKey, m.name+strconv.Itoa(i))
			if r.failFast == nil || r.failFast.Instance != "a" || r.failFast.Code != 8 || r.failFast.Scope != resilient.ScopeAccount {
				t.Fatalf("%s's call %d: %v, want a fail-fast on a's code 8", m.name, i, r)
			}
		}
	}
	if n := srv.Requests() - before; n != 0 {
		t.Errorf("b and c sent %d requests to an account a found out of funds, want 0", n)
	}

	// d starts afterwards; its Transport is made once its Fleet has loaded.
	df := newFleet(t, rds.Addr(), "d")
	waitLoaded(t, df)
	d := newMember(t, df, openFor)
	if r := d.send(ctx, srv, lowKey, "d1"); r.failFast == nil || r.failFast.Instance != "a" {
		t.Errorf("d's first call: %v, want a fail-fast on a's code 8", r)
	}
	if n := srv.Requests() - before; n != 0 {
		t.Errorf("d's first call reached the server")
	}
	var replies []reply
	for _, m := range append(members, d) {
		r := m.send(ctx, srv, okKey, m.name+"ok")
		if !r.accepted() {
			t.Errorf("%s's call for another account: %v, want it accepted", m.name, r)
		}
		replies = append(replies, r)
	}
	checkMessages(t, srv, okKey, replies)
}

// commandStats returns the calls Redis counted per command.
func commandStats(t testing.TB, c rueidis.Client) map[string]int64 {
	t.Helper()
	info, err := do(t, c, "INFO", "commandstats").ToString()
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int64{}
	for line := range strings.SplitSeq(info, "\n") {
		name, rest, ok := strings.Cut(strings.TrimSpace(line), ":")
		if !ok || !strings.HasPrefix(name, "cmdstat_") {
			continue
		}
		for field := range strings.SplitSeq(rest, ",") {
			if v, ok := strings.CutPrefix(field, "calls="); ok {
				n, _ := strconv.ParseInt(v, 10, 64)
				out[strings.TrimPrefix(name, "cmdstat_")] = n
			}
		}
	}
	return out
}

// commandsBetween returns the commands counted between two commandStats,
// leaving out the INFO that read the first.
func commandsBetween(before, after map[string]int64) (total int64, by map[string]int64) {
	by = map[string]int64{}
	for name, n := range after {
		d := n - before[name]
		if name == "info" {
			d--
		}
		if d != 0 {
			by[name] = d
			total += d
		}
	}
	return total, by
}

// TestHappyPathSendsNoRedisCommands: 10 000 successful calls through a
// Transport with a Fleet send no command to Redis, by Redis's own count;
// the Fleet stays connected and working meanwhile.
func TestHappyPathSendsNoRedisCommands(t *testing.T) {
	rds := redistest.Start(t)
	srv := notificoretest.Start(t)
	a := newMember(t, newFleet(t, rds.Addr(), "a"), time.Minute)
	b := newMember(t, newFleet(t, rds.Addr(), "b"), time.Minute)
	waitLoaded(t, a.fleet, b.fleet)
	insp := inspector(t, rds.Addr())
	ctx := t.Context()
	if r := a.send(ctx, srv, okKey, "warm"); !r.accepted() {
		t.Fatalf("warm-up call: %v", r)
	}

	const calls, workers = 10000, 8
	before := commandStats(t, insp)
	var wg sync.WaitGroup
	var book ledger
	for w := range workers {
		wg.Go(func() {
			for i := range calls / workers {
				book.add(a.send(ctx, srv, okKey, fmt.Sprintf("w%dn%d", w, i)))
			}
		})
	}
	wg.Wait()
	after := commandStats(t, insp)
	total, by := commandsBetween(before, after)
	t.Logf("Redis commands during %d happy-path calls: %d %v", calls, total, by)
	// A connection that has heard nothing for 15 s sends a keep-alive PING
	// (it is how a Fleet finds a silent Redis): that is time, not calls.
	if total-by["ping"] != 0 {
		t.Errorf("%d happy-path calls sent %d commands to Redis (%v), want 0", calls, total, by)
	}
	if n := checkMessages(t, srv, okKey, append(book.all(), reply{ref: "warm", id: "1"})); n != calls+1 {
		t.Errorf("%d messages accepted, want %d", n, calls+1)
	}
	if !a.fleet.Stats().Connected {
		t.Fatal("a's Fleet was not connected: the count proves nothing")
	}
	start := time.Now()
	srv.SetBalance(lowKey, 0)
	if r := a.send(ctx, srv, lowKey, "low"); r.code != 8 {
		t.Fatalf("a's call: %v, want code 8", r)
	}
	b.events.wait(t, converge, "a's open on b", start, opened("a", 8))
}

// TestOneProbePerOpenPeriod: 64 callers per instance hammer an account that
// a found out of funds. At the end of each open period exactly one probe
// reaches the server across the fleet; while it fails, the account
// re-opens everywhere (the same instance probes again at the end of the
// re-opening, well before the lease's 10 s); once the account has funds the
// probe's success closes it everywhere.
func TestOneProbePerOpenPeriod(t *testing.T) {
	const openFor = 300 * time.Millisecond
	const failures = 5
	rds := redistest.Start(t)
	srv := notificoretest.Start(t)
	srv.SetBalance(lowKey, 0)
	// Redis answers every lease here: a slow machine must not turn its
	// answer into a grant of the instance's own.
	members := threeMembers(t, rds.Addr(), openFor, WithLeaseWait(5*time.Second))
	a := members[0]
	start := time.Now()
	if r := a.send(t.Context(), srv, lowKey, "first"); r.code != 8 {
		t.Fatalf("a's call: %v, want code 8", r)
	}
	for _, m := range members[1:] {
		m.events.wait(t, converge, "a's open on "+m.name, start, opened("a", 8))
	}
	notify := make(chan struct{}, 1)
	for _, m := range members {
		m.wire.watch(notify)
	}

	callers := startCrowd(srv, lowKey, 64, members...)
	// Without a re-entrant lease released by the outcome, the second probe
	// would wait for the lease's 10 s.
	waitFor(t, 8*time.Second, fmt.Sprintf("%d failed probes", failures), notify, func() bool {
		return len(sentTo(lowKey, members...)) >= 1+failures
	})
	srv.SetBalance(lowKey, 1_000_000)
	funded := time.Now()
	var prober string
	for _, m := range members {
		ev := m.events.wait(t, converge, "the close on "+m.name, funded, func(ev seenEvent) bool { return ev.To == resilient.StateClosed })
		if ev.Instance == "" {
			prober = m.name
		}
	}
	waitFor(t, converge, "every instance sending again", notify, func() bool {
		for _, m := range members {
			n := 0
			for _, s := range m.wire.all() {
				if s.start.After(funded) && s.code == 0 {
					n++
				}
			}
			if n == 0 {
				return false
			}
		}
		return true
	})
	replies := callers.stop(t)

	all := sentTo(lowKey, members...)
	s := 1
	for s < len(all) && all[s].code != 0 {
		s++
	}
	if s == len(all) {
		t.Fatal("no probe succeeded")
	}
	if s < 1+failures {
		t.Fatalf("%d requests before the first success, want at least %d failed probes", s-1, failures)
	}
	var periods []string
	for i := 1; i <= s; i++ {
		gap := all[i].start.Sub(all[i-1].end)
		periods = append(periods, fmt.Sprintf("%s after %v", all[i].instance, gap.Round(time.Millisecond)))
		if i < s && all[i].code != 8 {
			t.Errorf("request %d got code %d before the account had funds", i, all[i].code)
		}
		if gap < openFor-5*time.Millisecond {
			t.Errorf("probe %d (%s) left %v after the answer before it: two probes in one open period of %v", i, all[i].instance, gap, openFor)
		}
	}
	if s+1 < len(all) && all[s+1].start.Before(all[s].end) {
		t.Errorf("%s sent while %s's successful probe was in flight", all[s+1].instance, all[s].instance)
	}
	for _, m := range members {
		ev := m.events.wait(t, 0, "the close on "+m.name, funded, func(ev seenEvent) bool { return ev.To == resilient.StateClosed })
		if want := map[bool]string{true: "", false: prober}[m.name == prober]; ev.Instance != want {
			t.Errorf("%s closed by %q, want %q", m.name, ev.Instance, want)
		}
	}
	t.Logf("probes, one per period, each sent this long after the answer before it: %s", strings.Join(periods, ", "))
	n := checkMessages(t, srv, lowKey, replies)
	t.Logf("%d calls, %d accepted after the close, %d requests in all", len(replies), n, len(all))
}

// TestTransportsRevealNothingToRedis sends real messages through three
// Transports (API 1.0 with keys, API 2.0 with bearer tokens), opens,
// probes, closes and leases accounts, and reads everything Redis was sent
// (MONITOR), published (a pattern subscriber) and holds (every key and
// value): no API key, token, phone number or text, and nothing but facts
// and lease grants.
func TestTransportsRevealNothingToRedis(t *testing.T) {
	const openFor = time.Second // long enough to find the lease in Redis
	rds := redistest.Start(t)
	prefix := testPrefix(t)
	commands := monitor(t, rds.Addr())
	insp := inspector(t, rds.Addr())
	published := spy(t, insp)
	srv := notificoretest.Start(t)
	key1, key2 := "live_4f9d2c1b7a6e5d4c3b2a1f0e", "live_90aa7c2e13f45b6d8e0f1a2b"
	srv.SetBalance(key1, 0)
	members := threeMembers(t, rds.Addr(), openFor, WithLeaseWait(5*time.Second))
	a, b, c := members[0], members[1], members[2]
	ctx := t.Context()

	// API 1.0: code 8 opens key1's account everywhere; a failed probe
	// re-opens it; funds arrive and the next probe closes it.
	start := time.Now()
	if r := a.send(ctx, srv, key1, "r1"); r.code != 8 {
		t.Fatalf("a's call: %v, want code 8", r)
	}
	b.events.wait(t, converge, "a's open on b", start, opened("a", 8))
	snapshots := [][][]byte{snapshot(t, insp)}
	// The open time ends with no event to wait on: try until the call is
	// the probe.
	probe := func(m *member, ref string) reply {
		t.Helper()
		var r reply
		eventually(t, converge, m.name+"'s probe", func() bool {
			r = m.send(ctx, srv, key1, ref)
			return r.failFast == nil
		})
		return r
	}
	start = time.Now()
	if r := probe(b, "r2"); r.code != 8 {
		t.Fatalf("b's probe: %v, want code 8", r)
	}
	a.events.wait(t, converge, "b's re-opening on a", start, opened("b", 8))
	snapshots = append(snapshots, snapshot(t, insp)) // the re-opening and b's lease
	srv.SetBalance(key1, 10)
	if r := probe(b, "r3"); !r.accepted() {
		t.Fatalf("b's probe: %v, want it accepted", r)
	}
	a.events.wait(t, converge, "b's close on a", start, closed("b"))

	// API 2.0: b and c log in with key2; key2 runs out; b's send answers
	// HTTP 402, which opens the account everywhere, and c's own token
	// fails fast.
	tokB, tokC := login(t, b, srv, key2), login(t, c, srv, key2)
	srv.SetBalance(key2, 0)
	start = time.Now()
	if st := send2(t, b, srv, tokB, "r4"); st != 402 {
		t.Fatalf("b's API 2.0 send: HTTP %d, want 402", st)
	}
	c.events.wait(t, converge, "b's open on c", start, func(ev seenEvent) bool { return ev.To == resilient.StateOpen && ev.Instance == "b" })
	if st := send2(t, c, srv, tokC, "r5"); st != -1 {
		t.Errorf("c's API 2.0 send: HTTP %d, want a fail-fast", st)
	}
	snapshots = append(snapshots, snapshot(t, insp))

	secrets := []string{key1, key2, tokB, tokC, testPhone, strings.TrimPrefix(testPhone, "+"), testText, "482913"}
	for _, tok := range []string{tokB, tokC} {
		secrets = append(secrets, strings.Split(tok, ".")...) // each part of a JWT
	}
	var everything [][]byte
	for _, snap := range snapshots {
		everything = append(everything, snap...)
	}
	for _, m := range published() {
		checkFields(t, m)
		everything = append(everything, m)
	}
	everything = append(everything, commands()...)
	keysSeen := map[string]bool{}
	for _, snap := range snapshots {
		for i := 0; i < len(snap); i += 2 {
			k, v := string(snap[i]), snap[i+1]
			keysSeen[k] = true
			switch {
			case strings.HasPrefix(k, prefix+"acct:"):
				checkFields(t, v)
			case strings.HasPrefix(k, prefix+"lease:"):
				if !leaseToken.Match(v) {
					t.Errorf("lease %s holds %q, want a grant", k, v)
				}
			default:
				t.Errorf("unexpected key %q", k)
			}
		}
	}
	var leases, accts int
	for k := range keysSeen {
		if strings.Contains(k, ":lease:") {
			leases++
		} else {
			accts++
		}
	}
	if leases == 0 || accts < 2 {
		t.Errorf("saw %d account keys and %d lease keys, want both accounts and a lease", accts, leases)
	}
	if len(commands()) < 5 {
		t.Fatalf("MONITOR saw %d commands, want the fleet's", len(commands()))
	}
	for _, item := range everything {
		for _, s := range secrets {
			if len(s) >= 6 && strings.Contains(string(item), s) {
				t.Errorf("Redis was given %q in %q", s, item)
			}
		}
	}
	t.Logf("inspected %d keys, %d published facts and %d commands", len(keysSeen), len(published()), len(commands()))
}

// login logs in to API 2.0 with key through m and returns the token.
func login(t *testing.T, m *member, srv *notificoretest.Server, key string) string {
	t.Helper()
	resp, err := m.client.Post(srv.API2URL()+"/auth/login", "application/json", strings.NewReader(`{"api_key":"`+key+`"}`))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var v struct {
		Bearer string `json:"bearer"`
	}
	if err := jsonDecode(resp.Body, &v); err != nil || v.Bearer == "" {
		t.Fatalf("login: HTTP %d, %v", resp.StatusCode, err)
	}
	return v.Bearer
}

// send2 sends one SMS through API 2.0 with token and returns the HTTP
// status, or -1 for a fail-fast.
func send2(t *testing.T, m *member, srv *notificoretest.Server, token, ref string) int {
	t.Helper()
	body := fmt.Sprintf(`{"phones":[{"number":%q,"reference_id":%q}],"text":%q}`, testPhone, ref, testText)
	req, err := newRequest(context.Background(), "POST", srv.API2URL()+"/campaigns/sms/send", body)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := m.client.Do(req)
	if err != nil {
		if isFailFast(err) {
			return -1
		}
		t.Fatal(err)
	}
	drain(resp)
	return resp.StatusCode
}

func newRequest(ctx context.Context, method, url, body string) (*http.Request, error) {
	return http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
}

func jsonDecode(r io.Reader, v any) error { return json.NewDecoder(r).Decode(v) }

func drain(resp *http.Response) {
	_, _ = io.Copy(io.Discard, resp.Body)
	_ = resp.Body.Close()
}

func isFailFast(err error) bool { return errors.Is(err, resilient.ErrCircuitOpen) }

// monitor records every command Redis executes from now on (MONITOR, on a
// connection of its own), with its arguments; the function returns them.
func monitor(t testing.TB, addr string) func() [][]byte {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(c)
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	if _, err := c.Write([]byte("MONITOR\r\n")); err != nil {
		t.Fatal(err)
	}
	if line, err := r.ReadString('\n'); err != nil || line != "+OK\r\n" {
		t.Fatalf("MONITOR: %q, %v", line, err)
	}
	_ = c.SetDeadline(time.Time{})
	var mu sync.Mutex
	var lines [][]byte
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			l, err := r.ReadBytes('\n')
			if err != nil {
				return
			}
			mu.Lock()
			lines = append(lines, l)
			mu.Unlock()
		}
	}()
	t.Cleanup(func() { _ = c.Close(); <-done })
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(lines)
	}
}

// spy subscribes to every channel of c's server and returns a function
// that returns every message published since.
func spy(t testing.TB, c rueidis.Client) func() [][]byte {
	t.Helper()
	var mu sync.Mutex
	var msgs [][]byte
	ready := make(chan struct{})
	var once sync.Once
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = c.Receive(ctx, c.B().Psubscribe().Pattern("*").Build(), func(m rueidis.PubSubMessage) {
			if m.Channel == "spy" {
				once.Do(func() { close(ready) })
				return
			}
			mu.Lock()
			msgs = append(msgs, []byte(m.Message))
			mu.Unlock()
		})
	}()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, 5*time.Second, "the spy subscribed", func() bool {
		do(t, c, "PUBLISH", "spy", "ready")
		select {
		case <-ready:
			return true
		default:
			return false
		}
	})
	return func() [][]byte {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(msgs)
	}
}

// snapshot returns every key Redis holds and its value, flat: key, value,
// key, value...
func snapshot(t testing.TB, c rueidis.Client) [][]byte {
	t.Helper()
	var out [][]byte
	var cursor uint64
	for {
		e, err := c.Do(context.Background(), c.B().Scan().Cursor(cursor).Build()).AsScanEntry()
		if err != nil {
			t.Fatal(err)
		}
		for _, k := range e.Elements {
			v, err := do(t, c, "GET", k).AsBytes()
			if err != nil {
				continue // expired meanwhile
			}
			out = append(out, []byte(k), v)
		}
		if cursor = e.Cursor; cursor == 0 {
			return out
		}
	}
}
