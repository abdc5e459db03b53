// Command fleet runs three instances of a service that sends SMS through
// Notificore, as three processes of a fleet would: each has its own
// resilient.Transport and its own redisfleet.Fleet, with its own connections
// to one Redis server. The fake Notificore API on loopback stands in for the
// real one. Instance a's call finds an account out of funds (code 8): its
// account circuit opens, and so do b's and c's at once, through Redis, so
// that they fail fast without sending anything. An instance d started
// afterwards fails fast from its first call. When the open time is over and
// the account has been topped up, one instance sends the fleet's one probe,
// and its success closes the account everywhere.
//
// Run it from the repository root:
//
//	go run ./examples/fleet                       # starts redis-server from PATH
//	go run ./examples/fleet -redis 127.0.0.1:6379 # or uses a Redis of yours
//
// Without -redis it starts redis-server on a free loopback port and stops it
// at exit (scripts/redis.sh installs redis-server). On a Redis of yours it
// keeps its keys under a prefix of their own for the run; they expire within
// a minute. It exits with status 1 when the fleet does not do what the
// scenario expects of it, such as an instance sending for an account another
// instance found out of funds.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/redisfleet"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

func main() {
	addr := flag.String("redis", "", "host:port of a Redis server to use; empty: start redis-server from PATH on a free loopback port")
	flag.Parse()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout, *addr); err != nil {
		fmt.Fprintln(os.Stderr, "fleet:", err)
		cancel()
		os.Exit(1)
	}
}

// The accounts of the scenario: one with funds, one that runs out.
const (
	shopKey = "live_shop_4c1d"
	lowKey  = "live_low_9e2a"
)

// openFor is how long code 8 holds an account open here (the default is a
// minute), so that the demonstration of the probe is quick.
const openFor = 500 * time.Millisecond

// run runs the scenario against the Redis server at redisAddr, or one it
// starts when redisAddr is empty, writing to w.
func run(ctx context.Context, w io.Writer, redisAddr string) error {
	if redisAddr == "" {
		rds, err := redistest.NewServer()
		if errors.Is(err, redistest.ErrNotFound) {
			return errors.New("redis-server is not on PATH: install it (scripts/redis.sh does) or give the address of a running Redis with -redis host:port")
		}
		if err != nil {
			return err
		}
		defer rds.Close()
		redisAddr = rds.Addr()
		fmt.Fprintf(w, "Redis: started redis-server %s on %s for this run; it stops at exit\n", rds.Version(), redisAddr)
	} else {
		fmt.Fprintf(w, "Redis: %s (-redis)\n", redisAddr)
	}
	api := notificoretest.NewServer() // a fake Notificore API on 127.0.0.1
	defer api.Close()
	api.SetBalance(lowKey, 0)

	s := &scenario{w: w, api: api, redis: redisAddr, ctx: ctx,
		// A prefix of its own, so that a Redis shared with other runs holds
		// nothing this run would take for its own.
		prefix: fmt.Sprintf("fleet-example-%d:", time.Now().UnixNano())}
	defer s.close()
	fmt.Fprintf(w, "Notificore: the fake API on %s; account %q has funds, %q has none\n", api.URL, shopKey, lowKey)
	fmt.Fprintf(w, "code 8 opens an account's circuit for %v here (the default is 1m)\n\n", openFor)
	return s.play()
}

// instance is one process of the fleet: a Transport over a Fleet of its own.
type instance struct {
	name   string
	fleet  *redisfleet.Fleet
	base   *http.Transport
	client *http.Client
	events chan heard
}

// heard is a circuit change and when the listener heard of it.
type heard struct {
	resilient.CircuitEvent
	seen time.Time
}

type scenario struct {
	w         io.Writer
	api       *notificoretest.Server
	redis     string
	prefix    string
	ctx       context.Context
	instances []*instance
	calls     int
	failFast  int
	refs      int
}

// start starts an instance: its Fleet connects to Redis and loads the
// opens in force, and its Transport applies them.
func (s *scenario) start(name string) (*instance, error) {
	fleet, err := redisfleet.New(redisfleet.Config{Addr: s.redis},
		redisfleet.WithInstance(name), redisfleet.WithPrefix(s.prefix))
	if err != nil {
		return nil, err
	}
	in := &instance{name: name, fleet: fleet, events: make(chan heard, 16),
		base: &http.Transport{MaxIdleConnsPerHost: 16, IdleConnTimeout: time.Minute}}
	s.instances = append(s.instances, in)
	select {
	case <-fleet.Loaded():
	case <-time.After(5 * time.Second):
		return nil, fmt.Errorf("instance %s: Redis at %s did not answer within 5 s", name, s.redis)
	}
	rt := resilient.NewTransport(in.base,
		resilient.WithFleet(fleet),
		resilient.WithCodeRule(8, resilient.Rule{Class: resilient.ClassAccount, OpenFor: openFor}),
		resilient.WithCircuitListener(func(ev resilient.CircuitEvent) {
			if ev.Scope == resilient.ScopeAccount && ev.To != resilient.StateHalfOpen {
				select {
				case in.events <- heard{ev, time.Now()}:
				default:
				}
			}
		}))
	in.client = &http.Client{Transport: rt}
	return in, nil
}

func (s *scenario) close() {
	for _, in := range s.instances {
		in.base.CloseIdleConnections()
		_ = in.fleet.Close()
	}
}

func (s *scenario) line(in *instance, label, text string) {
	if label != "" {
		fmt.Fprintf(s.w, "%-2s %-22s %s\n", in.name, label, text)
	}
}

// sent is what one call did.
type sent struct {
	id       string
	code     int
	failFast *resilient.CircuitOpenError
}

// sms sends one SMS for the account of key through in and prints what the
// caller was told, unless label is "".
func (s *scenario) sms(in *instance, label, key string) (sent, error) {
	s.refs++
	body := fmt.Sprintf(`{"destination":"phone","originator":"Shop","body":"Your order has shipped","msisdn":"+3706000%04d","reference":"fleet%d"}`, s.refs, s.refs)
	req, err := http.NewRequestWithContext(s.ctx, http.MethodPut, s.api.RESTURL()+"/sms/create", strings.NewReader(body))
	if err != nil {
		return sent{}, err
	}
	req.Header.Set("X-API-KEY", key)
	s.calls++
	var r sent
	resp, err := in.client.Do(req)
	if errors.As(err, &r.failFast) {
		s.failFast++
		s.line(in, label, "failed fast: "+describe(r.failFast)+"; nothing sent")
		return r, nil
	}
	if err != nil {
		return r, fmt.Errorf("instance %s, %s: %w", in.name, label, err)
	}
	defer resp.Body.Close()
	out, ok := resilient.OutcomeOf(resp)
	if ok {
		r.code = out.Code
	}
	var v struct {
		Result struct {
			ID string `json:"id"`
		} `json:"result"`
	}
	_ = json.NewDecoder(resp.Body).Decode(&v)
	r.id = v.Result.ID
	if r.code == 0 {
		s.line(in, label, fmt.Sprintf("HTTP %d  accepted, id %s", resp.StatusCode, r.id))
	} else {
		s.line(in, label, fmt.Sprintf("HTTP %d  error %d (%s)", resp.StatusCode, r.code, resilient.CodeDescription(r.code)))
	}
	return r, nil
}

// describe tells a fail-fast briefly: the circuit, the code, who saw it.
func describe(e *resilient.CircuitOpenError) string {
	who := "seen here"
	if e.Instance != "" {
		who = "seen by instance " + e.Instance
	}
	when := "probe in flight"
	if !e.Until.IsZero() {
		when = "probe in " + time.Until(e.Until).Round(10*time.Millisecond).String()
	}
	return fmt.Sprintf("%s circuit open (code %d, %s), %s", e.Scope, e.Code, who, when)
}

// circuit waits for in's next account-circuit change and prints it; for a
// change another instance's fact caused, how long after origin (when that
// instance's circuit changed) it came.
func (s *scenario) circuit(in *instance, origin time.Time) (heard, error) {
	select {
	case ev := <-in.events:
		text := fmt.Sprintf("account %s → %s", ev.From, ev.To)
		switch {
		case ev.To == resilient.StateOpen && ev.Instance == "":
			text += fmt.Sprintf(" for %v (code %d); told the fleet", ev.Until.Sub(ev.At).Round(time.Millisecond), ev.Code)
		case ev.To == resilient.StateOpen:
			text += fmt.Sprintf(" (code %d) from instance %s", ev.Code, ev.Instance)
		case ev.Instance == "":
			text += "; told the fleet"
		default:
			text += " from instance " + ev.Instance
		}
		if ev.Instance != "" && !origin.IsZero() {
			text += fmt.Sprintf(", %v after %s's", round(ev.seen.Sub(origin)), ev.Instance)
		}
		s.line(in, "circuit", text)
		return ev, nil
	case <-time.After(5 * time.Second):
		return heard{}, fmt.Errorf("instance %s heard of no circuit change within 5 s", in.name)
	}
}

func round(d time.Duration) time.Duration {
	if d < time.Millisecond {
		return d.Round(10 * time.Microsecond)
	}
	return d.Round(100 * time.Microsecond)
}

func (s *scenario) play() error {
	var abc []*instance
	for _, name := range []string{"a", "b", "c"} {
		in, err := s.start(name)
		if err != nil {
			return err
		}
		abc = append(abc, in)
	}
	a, b, c := abc[0], abc[1], abc[2]
	fmt.Fprintln(s.w, "instances a, b and c start, each with its own Transport, Fleet and Redis connections")
	for _, in := range []*instance{a, b, c} {
		if r, err := s.sms(in, "sms (shop account)", shopKey); err != nil || r.id == "" {
			return errOr(err, "the shop account's message was not accepted")
		}
	}

	fmt.Fprintln(s.w, "\na finds the low account out of funds:")
	if r, err := s.sms(a, "sms (low account)", lowKey); err != nil || r.code != 8 {
		return errOr(err, "a's call for the low account did not get code 8")
	}
	open, err := s.circuit(a, time.Time{})
	if err != nil {
		return err
	}
	for _, in := range []*instance{b, c} {
		if _, err := s.circuit(in, open.seen); err != nil {
			return err
		}
	}
	before := s.api.Requests()
	for _, in := range []*instance{b, c} {
		if r, err := s.sms(in, "sms (low account)", lowKey); err != nil || r.failFast == nil {
			return errOr(err, "instance "+in.name+" sent for an account a found out of funds")
		}
	}
	d, err := s.start("d")
	if err != nil {
		return err
	}
	s.line(d, "starts", "its Fleet loads the opens in force from Redis, and its Transport applies them:")
	if _, err := s.circuit(d, time.Time{}); err != nil {
		return err
	}
	if r, err := s.sms(d, "sms (low account)", lowKey); err != nil || r.failFast == nil {
		return errOr(err, "instance d's first call was sent for an account a found out of funds")
	}
	if n := s.api.Requests() - before; n != 0 {
		return fmt.Errorf("b, c and d sent %d requests for the low account, want none", n)
	}
	if r, err := s.sms(c, "sms (shop account)", shopKey); err != nil || r.id == "" {
		return errOr(err, "another account was held back")
	}
	fmt.Fprintln(s.w, "the server got no request for the low account from b, c or d; the shop account is not held back")

	// The open time ends; meanwhile the account has been topped up.
	s.api.SetBalance(lowKey, 100)
	fmt.Fprintf(s.w, "\nthe low account is topped up; %v later its open time is over, and one instance probes for the fleet:\n", openFor)
	select {
	case <-time.After(time.Until(open.Until)):
	case <-s.ctx.Done():
		return s.ctx.Err()
	}
	// b's first call after the open time asks the fleet for the probe lease
	// and fails fast while Redis answers; once b holds it, its next call is
	// the probe.
	before = s.api.Requests()
	at := time.Now()
	var probe sent
	waited := 0
	for {
		if probe, err = s.sms(b, "", lowKey); err != nil {
			return err
		}
		if probe.failFast == nil {
			break
		}
		if waited++; time.Since(at) > 5*time.Second {
			return errors.New("b was not granted the probe lease within 5 s")
		}
		time.Sleep(time.Millisecond) // a caller's pace
	}
	if probe.code != 0 {
		return fmt.Errorf("b's probe got code %d", probe.code)
	}
	if waited > 0 {
		s.line(b, "sms (low account)", fmt.Sprintf("failed fast %s while its Fleet asked Redis for the probe lease", times(waited)))
	}
	s.line(b, "sms (low account)", "holds the fleet's probe lease; the call is the probe: accepted, id "+probe.id)
	closed, err := s.circuit(b, time.Time{})
	if err != nil {
		return err
	}
	for _, in := range []*instance{a, c, d} {
		if _, err := s.circuit(in, closed.seen); err != nil {
			return err
		}
	}
	for _, in := range []*instance{a, c, d} {
		if r, err := s.sms(in, "sms (low account)", lowKey); err != nil || r.id == "" {
			return errOr(err, "instance "+in.name+" was still held back after the probe succeeded")
		}
	}
	if n := s.api.Requests() - before; n != 4 {
		return fmt.Errorf("%d requests for the low account after its open time, want the probe and three calls", n)
	}
	accepted, dups := s.api.Accepted(), duplicates(s.api.Messages())
	fmt.Fprintf(s.w, "\nsummary: 4 instances, %d calls, %d requests reached the server, %d failed fast, %d messages accepted, %d duplicates\n",
		s.calls, s.api.Requests(), s.failFast, accepted, dups)
	if dups != 0 {
		return fmt.Errorf("%d messages accepted twice", dups)
	}
	return nil
}

func times(n int) string {
	if n == 1 {
		return "once"
	}
	return fmt.Sprintf("%d times", n)
}

func errOr(err error, msg string) error {
	if err != nil {
		return err
	}
	return errors.New(msg)
}

// duplicates counts the references the server accepted more than once.
func duplicates(msgs []notificoretest.Message) int {
	seen, n := map[string]bool{}, 0
	for _, m := range msgs {
		if seen[m.Reference] {
			n++
		}
		seen[m.Reference] = true
	}
	return n
}
