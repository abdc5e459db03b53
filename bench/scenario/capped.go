package scenario

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/resilient-sms/resilient/bench"
	"go.opentelemetry.io/otel/metric"
)

// Load is the work of a capped scenario: senders sharing creates through
// one or more Transports, against a server that holds each create in
// flight for Processing and refuses with code 11 any create that would put
// more than the cap's messages in flight.
type Load struct {
	Messages    int           // creates to send; 0: as many as Duration allows
	Duration    time.Duration // no create starts after it; 0: until Messages are sent
	Senders     int           // goroutines of each Transport
	Transports  int           // Transports sharing the account, each with Senders goroutines; 0 means 1
	Recipients  int           // at most this many recipients per create, 1 to it by a fixed sequence; 0 or 1: single creates
	Cap         int           // the cap on messages in flight at the start
	Changes     []CapChange   // later caps; the oracle is told of each
	Processing  time.Duration // how long each create is in flight
	Bucket      time.Duration // resolution of the timeline; 0 means 100ms
	SampleLimit bool          // sample the in-flight limit of the first Transport
}

// CapChange is a new cap from At on.
type CapChange struct {
	At  time.Duration
	Cap int
}

// Capacity is the most messages per second the initial cap lets through.
func (l Load) Capacity() float64 { return float64(l.Cap) / l.Processing.Seconds() }

func (l Load) transports() int { return max(l.Transports, 1) }

func (l Load) bucket() time.Duration {
	if l.Bucket <= 0 {
		return 100 * time.Millisecond
	}
	return l.Bucket
}

// recipients is the number of recipients of create i.
func (l Load) recipients(i int) int {
	if l.Recipients <= 1 {
		return 1
	}
	// A fixed sequence spread evenly over 1..Recipients (Knuth's
	// multiplicative hash), the same for every client.
	return 1 + int(uint32(i)*2654435761%uint32(l.Recipients))
}

// CapClient is one client of a capped scenario.
type CapClient struct {
	Name string
	Note string
	// Oracle marks the oracle: a semaphore of exactly the cap in front of
	// the bare transport, resized at every change of the cap.
	Oracle bool
	// New builds the client over base; mp, when not nil, is the meter
	// provider whose resilient.inflight.limit the run samples.
	New func(base http.RoundTripper, mp metric.MeterProvider) http.RoundTripper
}

// CapRun is what one client achieved in a capped scenario.
type CapRun struct {
	Client string
	Note   string
	Load   Load

	Creates    int // creates the callers made
	Messages   int // their recipients
	Accepted   int // distinct messages the server accepted
	Duplicates int // messages accepted more than once
	Lost       int // messages the server never accepted
	Misreports int // messages whose caller was told otherwise than the server did
	Attempts   int // creates the server received
	Refusals   int // code 11 answers
	Elapsed    time.Duration

	PerTransport []int         // messages accepted, by Transport
	P50, P99     time.Duration // time from the first send to the answer, of accepted creates
	AcceptedAt   []int         // messages accepted per bucket, by when their caller was told
	RefusedAt    []int         // code 11 answers per bucket
	Limit        []LimitSample // the first Transport's in-flight limit, when sampled
}

// LimitSample is the in-flight limit from At on.
type LimitSample struct {
	At    time.Duration
	Limit int
}

// Rate is accepted messages per second.
func (r CapRun) Rate() float64 { return float64(r.Accepted) / r.Elapsed.Seconds() }

// PerMessage is attempts per message sent.
func (r CapRun) PerMessage() float64 { return float64(r.Attempts) / float64(max(r.Creates, 1)) }

// Jain is Jain's fairness index of the messages accepted by each Transport:
// 1 when they are equal, 1/n when one took everything.
func (r CapRun) Jain() float64 {
	var sum, sq float64
	for _, x := range r.PerTransport {
		sum += float64(x)
		sq += float64(x) * float64(x)
	}
	if sq == 0 {
		return 0
	}
	return sum * sum / (float64(len(r.PerTransport)) * sq)
}

// Settling is, for each change of the cap, how long the sampled limit took
// to come within ±20% of the new cap and stay there until the next change;
// -1 when it never did.
func (r CapRun) Settling() []time.Duration {
	var out []time.Duration
	for k, c := range r.Load.Changes {
		end := r.Elapsed
		if k+1 < len(r.Load.Changes) {
			end = r.Load.Changes[k+1].At
		}
		out = append(out, settle(r.Limit, c.At, end, c.Cap))
	}
	return out
}

func settle(samples []LimitSample, from, to time.Duration, capacity int) time.Duration {
	lo, hi := 0.8*float64(capacity), 1.2*float64(capacity)
	in := func(v int) bool { return float64(v) >= lo && float64(v) <= hi }
	cur, known := 0, false // the value at from
	for _, s := range samples {
		if s.At > from {
			break
		}
		cur, known = s.Limit, true
	}
	since := time.Duration(-1)
	if known && in(cur) {
		since = from
	}
	for _, s := range samples {
		if s.At <= from || s.At >= to {
			continue
		}
		switch {
		case in(s.Limit) && since < 0:
			since = s.At
		case !in(s.Limit):
			since = -1
		}
	}
	if since < 0 {
		return -1
	}
	return since - from
}

// RunCapped runs load through c against a fresh server and accounts for
// every message: what each caller was told against what the server
// accepted.
func RunCapped(c CapClient, load Load) CapRun {
	srv := newCapServer(load)
	defer srv.close()
	nt := load.transports()
	var g *gate
	if c.Oracle {
		g = newGate(load.Cap)
	}
	var limits *limitRecorder
	clients := make([]*http.Client, nt)
	bases := make([]*http.Transport, nt)
	for k := range nt {
		bases[k] = bench.NewBareTransport()
		var rt http.RoundTripper
		switch {
		case c.Oracle:
			rt = oracle{g, bases[k]}
		case k == 0 && load.SampleLimit:
			limits = &limitRecorder{}
			rt = c.New(bases[k], limits)
		default:
			rt = c.New(bases[k], nil)
		}
		clients[k] = &http.Client{Transport: rt}
	}
	defer func() {
		for _, b := range bases {
			b.CloseIdleConnections()
		}
	}()

	type create struct {
		transport int
		first     int // index of its first message
		n         int
		told      []bool
		ok        bool
		latency   time.Duration
		answered  time.Duration
	}
	var (
		mu      sync.Mutex
		creates []*create
		nextMsg int
		next    atomic.Int64
		wg      sync.WaitGroup
		done    = make(chan struct{})
	)
	start := time.Now()
	srv.start = start
	if limits != nil {
		limits.start = start
	}
	url := srv.url()
	for k := range nt {
		for range load.Senders {
			wg.Go(func() {
				for {
					i := int(next.Add(1)) - 1
					if load.Messages > 0 && i >= load.Messages || load.Duration > 0 && time.Since(start) >= load.Duration {
						return
					}
					n := load.recipients(i)
					mu.Lock()
					cr := &create{transport: k, first: nextMsg, n: n}
					nextMsg += n
					creates = append(creates, cr)
					mu.Unlock()
					t0 := time.Now()
					cr.told = sendCreate(clients[k], url, cr.first, n)
					t1 := time.Now()
					cr.latency, cr.answered = t1.Sub(t0), t1.Sub(start)
					cr.ok = slices.Contains(cr.told, true)
				}
			})
		}
	}
	var changes sync.WaitGroup
	changes.Go(func() { schedule(load.Changes, start, srv, g, done) })
	wg.Wait()
	elapsed := time.Since(start)
	close(done)
	changes.Wait()
	var samples []LimitSample
	if limits != nil {
		samples = limits.taken()
	}

	r := CapRun{Client: c.Name, Note: c.Note, Load: load, Elapsed: elapsed, Limit: samples,
		Creates: len(creates), Messages: nextMsg, PerTransport: make([]int, nt)}
	srv.mu.Lock()
	r.Attempts, r.Refusals = len(srv.creates), len(srv.refusals)
	buckets := int(elapsed/load.bucket()) + 1
	r.AcceptedAt, r.RefusedAt = make([]int, buckets), make([]int, buckets)
	for _, at := range srv.refusals {
		r.RefusedAt[min(int(at/load.bucket()), buckets-1)]++
	}
	srv.mu.Unlock()

	seen := make(map[string]int, nextMsg)
	for _, m := range srv.fake.Messages() {
		seen[m.Reference]++
	}
	var latencies []time.Duration
	for _, cr := range creates {
		if cr.ok {
			latencies = append(latencies, cr.latency)
		}
		for j := range cr.n {
			n := seen[ref(cr.first+j)]
			switch n {
			case 0:
				r.Lost++
			default:
				r.Accepted++
				r.Duplicates += n - 1
				r.PerTransport[cr.transport]++
			}
			told := j < len(cr.told) && cr.told[j]
			if told != (n > 0) {
				r.Misreports++
			}
			if told {
				r.AcceptedAt[min(int(cr.answered/load.bucket()), buckets-1)]++
			}
		}
	}
	r.P50, r.P99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
	return r
}

// schedule applies the changes of the cap at their times. The oracle is
// told first when the cap shrinks (and the server follows once the oracle
// holds no more than the new cap), and last when it grows.
func schedule(changes []CapChange, start time.Time, srv *capServer, g *gate, done <-chan struct{}) {
	for _, c := range changes {
		select {
		case <-time.After(time.Until(start.Add(c.At))):
		case <-done:
			return
		}
		if g == nil {
			srv.setCap(c.Cap)
			continue
		}
		if c.Cap < int(srv.cap.Load()) {
			g.resize(c.Cap)
			srv.setCap(c.Cap)
		} else {
			srv.setCap(c.Cap)
			g.resize(c.Cap)
		}
	}
}

// sendCreate makes one create of n recipients, messages first to first+n-1,
// each with its own reference, and reports for each whether the answer says
// it was accepted. A single create (n == 1) has destination "phone".
func sendCreate(client *http.Client, url string, first, n int) []bool {
	var body string
	if n == 1 {
		body = bench.SMS(ref(first))
	} else {
		var b strings.Builder
		b.WriteString(`{"destination":"phones","originator":"Shop","body":"Your code is 1234","phones":[`)
		for j := range n {
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"msisdn":"+37060000001","reference":"` + ref(first+j) + `"}`)
		}
		b.WriteString(`]}`)
		body = b.String()
	}
	told := make([]bool, n)
	ctx := context.WithValue(context.Background(), weightKey{}, n)
	req, err := http.NewRequestWithContext(ctx, http.MethodPut, url, strings.NewReader(body))
	if err != nil {
		return told
	}
	req.Header["X-Api-Key"] = []string{bench.Key}
	req.Header["Content-Type"] = []string{"application/json"}
	resp, err := client.Do(req)
	if err != nil {
		return told
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		return told
	}
	if n == 1 {
		c, ok := Code(b)
		told[0] = ok && c == 0
		return told
	}
	var a struct {
		Error  json.RawMessage `json:"error"`
		Result []struct {
			Error     json.RawMessage `json:"error"`
			Reference string          `json:"reference"`
		} `json:"result"`
	}
	if json.Unmarshal(bytes.TrimSpace(b), &a) != nil {
		return told
	}
	if c, ok := number(a.Error); ok && c != 0 {
		return told
	}
	for _, e := range a.Result {
		c, ok := number(e.Error)
		if !ok || c != 0 || !strings.HasPrefix(e.Reference, "m") {
			continue
		}
		if i, err := strconv.Atoi(e.Reference[1:]); err == nil && i >= first && i < first+n {
			told[i-first] = true
		}
	}
	return told
}

// percentile is the q-quantile of d (nearest rank); 0 when d is empty.
func percentile(d []time.Duration, q float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	slices.Sort(d)
	i := int(math.Ceil(q*float64(len(d)))) - 1
	return d[min(max(i, 0), len(d)-1)]
}

// RefusalsAfter counts the code 11 answers from d on, past the learning.
func (r CapRun) RefusalsAfter(d time.Duration) int {
	n := 0
	for i, v := range r.RefusedAt {
		if time.Duration(i)*r.Load.bucket() >= d {
			n += v
		}
	}
	return n
}

// Scenario is one capped scenario: its load and its clients, the oracle
// first.
type Scenario struct {
	Name    string
	Title   string
	Load    Load
	Clients []CapClient
}

// Scenarios are issue 11's acceptance scenarios, in the order of the
// report.
var Scenarios = []Scenario{
	{"throttle", "Goodput under a cap of 20", ThrottleLoad, ThrottleClients},
	{"changing", "A cap that changes: 20, then 5, then 40", ChangingLoad, ChangingClients},
	{"shared", "Four Transports share one account's cap", SharedLoad, SharedClients},
	{"bulk", "Bulk creates of 1 to 50 recipients", BulkLoad, BulkClients},
}
