package redisfleet

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"sync/atomic"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

// The measurements of the Fleet under real Transports:
//
//	go test -run '^$' -bench TransportPropagation -benchtime 200x ./redisfleet
//	go test -run '^$' -bench HappyPathWithFleet ./redisfleet
//	go test -run '^$' -bench TransportFaults -benchtime 1x ./redisfleet

// BenchmarkTransportPropagation measures, one account per iteration, the
// time from a's circuit opening on a code 8 (its listener hears it) to both
// b's and c's opening on a's fact (the later of the two).
func BenchmarkTransportPropagation(b *testing.B) {
	rds := redistest.Start(b)
	srv := notificoretest.Start(b)
	var members []*member
	for _, name := range []string{"a", "b", "c"} {
		members = append(members, newMember(b, newFleet(b, rds.Addr(), name), time.Minute))
	}
	a := members[0]
	waitLoaded(b, fleetsOf(members)...)
	var lat []time.Duration
	for i := 0; b.Loop(); i++ {
		key := fmt.Sprintf("live_propagation_%d", i)
		srv.SetBalance(key, 0)
		start := time.Now()
		if r := a.send(b.Context(), srv, key, "p"); r.code != 8 {
			b.Fatalf("a's call: %v, want code 8", r)
		}
		own := a.events.wait(b, converge, "a's own open", start, opened("", 8))
		var last time.Time
		for _, m := range members[1:] {
			ev := m.events.wait(b, converge, "a's open on "+m.name, start, func(ev seenEvent) bool {
				return opened("a", 8)(ev) && ev.Until.Equal(own.Until.Truncate(time.Microsecond))
			})
			last = later(last, ev.seen)
		}
		lat = append(lat, last.Sub(own.seen))
	}
	b.StopTimer()
	b.ReportMetric(ms(percentile(lat, 0.50)), "p50-ms")
	b.ReportMetric(ms(percentile(lat, 0.99)), "p99-ms")
	b.ReportMetric(ms(summarise(lat).max), "max-ms")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkHappyPathWithFleet compares one accepted SMS through a bare
// http.Transport, through a Transport, and through a Transport with a Fleet
// connected to Redis, over the same loopback fake server. The three take
// turns call by call, in parallel goroutines, so that the machine's noise
// falls on all of them alike; it reports each one's mean latency, the
// ratios, and the Redis commands sent per call.
func BenchmarkHappyPathWithFleet(b *testing.B) {
	rds := redistest.Start(b)
	srv := notificoretest.Start(b)
	f := newFleet(b, rds.Addr(), "a")
	waitLoaded(b, f)
	insp := inspector(b, rds.Addr())
	tuned := func() *http.Transport {
		t := &http.Transport{MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute}
		b.Cleanup(t.CloseIdleConnections)
		return t
	}
	variants := []struct {
		name string
		rt   http.RoundTripper
	}{
		{"bare", tuned()},
		{"transport", resilient.NewTransport(tuned())},
		{"fleet", resilient.NewTransport(tuned(), resilient.WithFleet(f))},
	}
	url := srv.RESTURL() + "/sms/create"
	body := []byte(`{"destination":"phone","originator":"Shop","body":"Your order has shipped","msisdn":"+37060012345"}`)
	call := func(rt http.RoundTripper) error {
		req, err := http.NewRequest(http.MethodPut, url, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("X-API-KEY", okKey)
		resp, err := rt.RoundTrip(req)
		if err != nil {
			return err
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		return resp.Body.Close()
	}
	for _, v := range variants {
		for range 100 {
			if err := call(v.rt); err != nil {
				b.Fatal(err)
			}
		}
	}
	var total, count [3]atomic.Int64
	before := commandStats(b, insp)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for i := 0; pb.Next(); i++ {
			v := i % len(variants)
			start := time.Now()
			if err := call(variants[v].rt); err != nil {
				b.Error(err)
				return
			}
			total[v].Add(int64(time.Since(start)))
			count[v].Add(1)
		}
	})
	b.StopTimer()
	cmds, by := commandsBetween(before, commandStats(b, insp))
	cmds -= by["ping"] // keep-alives: time, not calls
	mean := func(v int) float64 { return float64(total[v].Load()) / float64(max(1, count[v].Load())) }
	b.ReportMetric(mean(0), "bare-ns/call")
	b.ReportMetric(mean(1), "transport-ns/call")
	b.ReportMetric(mean(2), "fleet-ns/call")
	b.ReportMetric(mean(1)/mean(0), "transport/bare")
	b.ReportMetric(mean(2)/mean(0), "fleet/bare")
	b.ReportMetric(mean(2)/mean(1), "fleet/transport")
	b.ReportMetric(float64(cmds)/float64(max(1, count[2].Load())), "redis-cmds/call")
}
