package bench

import (
	"bufio"
	"bytes"
	"flag"
	"fmt"
	"net/http"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/resilient-sms/resilient"
)

// The growth suite (issue 14): BenchmarkGrowth sweeps one dimension of the
// work at a time over the in-memory base, so that each point compares with
// the sweep's first point, or with the base alone, in the same round.
//
//   - accounts=N/{healthy,failing,failfast}: calls spread over N distinct
//     API keys. healthy: every account answers code 0. failing: N other
//     accounts were opened by a code 8 first (the Transport holds them), and
//     the timed calls go to N healthy ones. failfast: the timed calls go to
//     the N open accounts. Each reports heap-B/account: the live heap the
//     warm-up of its N accounts left, per account.
//   - bulk=n/{stub,resilient,recipients}: creates of n recipients answered per
//     recipient; recipients asks OutcomeOf for them, which reads them.
//   - parallel/procs=P/callers=C/{stub,resilient,resilient+tracing,otelhttp}:
//     C goroutines share the calls with GOMAXPROCS P; ns/op is wall time per
//     call, so its inverse is throughput.
//
// With -locks FILE the parallel points of the transport under test turn on
// the mutex and block profiles, report the library's contentions per call
// (lib-mutex/op, lib-block/op) and write the library's lock sites to FILE.
var locksFile = flag.String("locks", "", "parallel growth points: profile locks, write the library's sites to this file")

// growthKeys returns the keys of the accounts sweep: each set in one
// backing string and one slice, so that the collector has few objects to
// scan and every point of the sweep runs beside the same heap. A call's
// header value is a one-element window of the slice. The sweep drops them
// when it ends, so that the sweeps after it do not run beside their heap.
func growthKeys() (healthy, failing []string) {
	n := GrowthAccounts[len(GrowthAccounts)-1]
	make1 := func(prefix string) []string {
		var b strings.Builder
		for i := range n {
			b.WriteString(prefix + strconv.Itoa(10_000_000+i))
		}
		all, w := b.String(), len(prefix)+8
		keys := make([]string, n)
		for i := range keys {
			keys[i] = all[i*w : (i+1)*w]
		}
		return keys
	}
	return make1("h"), make1("f")
}

// keyedStub answers code 8 to the keys that start with "f", code 0 to the
// others.
type keyedStub struct{ ok, fail *stub }

func (s keyedStub) RoundTrip(req *http.Request) (*http.Response, error) {
	if k := req.Header["X-Api-Key"]; len(k) > 0 && strings.HasPrefix(k[0], "f") {
		return s.fail.RoundTrip(req)
	}
	return s.ok.RoundTrip(req)
}

// liveHeap is the live heap after two collections.
func liveHeap() int64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return int64(m.HeapAlloc)
}

// warmed is a Transport that has called each of its accounts once, and
// the live heap that left per account.
type warmed struct {
	rt   http.RoundTripper
	heap float64
}

// warmCalls is the fewest calls a warm-up makes, cycling over its keys, so
// that every point starts from a Transport that has served as many calls.
const warmCalls = 100_000

func warm(keys []string) *warmed {
	rt := Resilient(keyedStub{newStub(SuccessBody), newStub(FailBody)})
	req := newCreate("http://127.0.0.1:1/rest/sms/create")
	before := liveHeap()
	for i := range max(len(keys), warmCalls) {
		callWith(rt, req, keys, i%len(keys))
	}
	heap := float64(liveHeap()-before) / float64(len(keys))
	return &warmed{rt, heap}
}

// callWith sends req through rt with keys[i], draining the answer; a
// fail-fast error is no failure of the benchmark.
func callWith(rt http.RoundTripper, req *http.Request, keys []string, i int) {
	req.Header["X-Api-Key"] = keys[i : i+1 : i+1]
	resp, err := rt.RoundTrip(req)
	if err != nil {
		return
	}
	drain(resp)
}

func BenchmarkGrowth(b *testing.B) {
	const url = "http://127.0.0.1:1/rest/sms/create"
	b.Run("accounts", func(b *testing.B) {
		healthy, fail := growthKeys()
		for _, n := range GrowthAccounts {
			// failing and failfast share one Transport warmed by N code 8
			// answers, made by whichever runs first.
			var shared *warmed
			for _, kind := range []string{"healthy", "failing", "failfast"} {
				b.Run(fmt.Sprintf("%d/%s", n, kind), func(b *testing.B) {
					var wm *warmed
					switch {
					case kind == "healthy":
						wm = warm(healthy[:n])
					case shared == nil:
						shared = warm(fail[:n])
						wm = shared
					default:
						wm = shared
					}
					timed := healthy[:n]
					if kind == "failfast" {
						timed = fail[:n]
					}
					req := newCreate(url)
					b.ReportAllocs()
					i := 0
					for b.Loop() {
						callWith(wm.rt, req, timed, i)
						if i++; i == n {
							i = 0
						}
					}
					b.ReportMetric(wm.heap, "heap-B/account")
				})
			}
		}
	})
	// The sweeps after this one run without its keys and Transports.
	runtime.GC()
	b.Run("bulk", func(b *testing.B) {
		for _, n := range GrowthBulk {
			base := newStub(bulkBody(n))
			rts := []struct {
				name string
				rt   http.RoundTripper
				read bool // the caller asks for the recipients too
			}{{"stub", base, false}, {"resilient", Resilient(base), false}, {"recipients", Resilient(base), true}}
			for _, r := range rts {
				b.Run(fmt.Sprintf("%d/%s", n, r.name), func(b *testing.B) {
					body := BulkCreate(n)
					b.ReportAllocs()
					for b.Loop() {
						req, _ := http.NewRequest(http.MethodPut, url, strings.NewReader(body))
						req.Header["X-Api-Key"] = []string{Key}
						resp, err := r.rt.RoundTrip(req)
						if err != nil {
							b.Fatal(err)
						}
						if r.read {
							if out, _ := resilient.OutcomeOf(resp); len(out.Recipients) != n {
								b.Fatalf("%d recipients, want %d", len(out.Recipients), n)
							}
						}
						drain(resp)
					}
				})
			}
		}
	})
	b.Run("parallel", func(b *testing.B) {
		tp := NewTracerProvider()
		defer Shutdown(tp)
		clients := []struct {
			name string
			new  func(http.RoundTripper) http.RoundTripper
		}{
			{"stub", func(b http.RoundTripper) http.RoundTripper { return b }},
			{"resilient", func(b http.RoundTripper) http.RoundTripper { return Resilient(b) }},
			{"resilient+tracing", func(b http.RoundTripper) http.RoundTripper {
				return Resilient(b, resilient.WithTracerProvider(tp), resilient.WithPropagators(Propagator))
			}},
			{"otelhttp", func(b http.RoundTripper) http.RoundTripper { return OTel(b, tp) }},
		}
		for _, procs := range GrowthProcs {
			for _, callers := range GrowthCallers {
				for _, c := range clients {
					b.Run(fmt.Sprintf("procs=%d/callers=%d/%s", procs, callers, c.name), func(b *testing.B) {
						prev := runtime.GOMAXPROCS(procs)
						defer runtime.GOMAXPROCS(prev)
						rt := c.new(newStub(SuccessBody))
						profile := *locksFile != "" && strings.HasPrefix(c.name, "resilient")
						if profile {
							runtime.SetMutexProfileFraction(1)
							runtime.SetBlockProfileRate(1)
							defer runtime.SetMutexProfileFraction(0)
							defer runtime.SetBlockProfileRate(0)
						}
						m0, bl0 := contention("mutex"), contention("block")
						b.ReportAllocs()
						b.ResetTimer()
						// Each caller makes its share of b.N calls: no counter
						// shared between the callers' cores.
						var wg sync.WaitGroup
						for k := range callers {
							share := b.N / callers
							if k < b.N%callers {
								share++
							}
							wg.Go(func() {
								for range share {
									resp, err := rt.RoundTrip(newCreate(url))
									if err != nil {
										b.Error(err)
										return
									}
									drain(resp)
								}
							})
						}
						wg.Wait()
						b.StopTimer()
						if profile {
							m, bl := contention("mutex").minus(m0), contention("block").minus(bl0)
							b.ReportMetric(float64(m.count())/float64(b.N), "lib-mutex/op")
							b.ReportMetric(float64(bl.count())/float64(b.N), "lib-block/op")
							if b.N > 1 {
								writeSites(b, m, bl)
							}
						}
					})
				}
			}
		}
	})
}

// sites are the library's lock sites of a contention profile: the first
// frame outside the runtime and sync of each stack that passes through the
// library and waited on a lock or channel of package sync or of the
// program (not on the runtime's own locks, such as the allocator's), with
// its contentions.
type sites map[string]int64

// libFrame reports whether a frame is the library's (its root package or
// a package of its own, not the benchmarks or the fake server).
func libFrame(fn string) bool {
	const lib = "github.com/resilient-sms/resilient"
	if !strings.HasPrefix(fn, lib) {
		return false
	}
	rest := fn[len(lib):]
	return strings.HasPrefix(rest, ".") || strings.HasPrefix(rest, "/") &&
		!strings.HasPrefix(rest, "/bench") && !strings.HasPrefix(rest, "/notificoretest")
}

// contention reads a profile ("mutex" or "block") of the process so far.
func contention(name string) sites {
	var buf bytes.Buffer
	if p := pprof.Lookup(name); p == nil || p.WriteTo(&buf, 1) != nil {
		return sites{}
	}
	out := sites{}
	sc := bufio.NewScanner(&buf)
	var count int64
	var site string
	var lib, user bool
	flush := func() {
		if lib && user && count > 0 {
			out[site] += count
		}
		count, site, lib, user = 0, "", false, false
	}
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.Contains(line, " @ "):
			flush()
			f := strings.Fields(line)
			if len(f) >= 2 {
				count, _ = strconv.ParseInt(f[1], 10, 64)
			}
		case strings.HasPrefix(line, "#\t"):
			f := strings.Split(line, "\t")
			if len(f) < 3 {
				continue
			}
			fn := f[2]
			if i := strings.LastIndex(fn, "+0x"); i > 0 {
				fn = fn[:i]
			}
			if site == "" && !strings.HasPrefix(fn, "runtime.") && !strings.HasPrefix(fn, "sync.") && !strings.HasPrefix(fn, "internal/") {
				site = fn
			}
			// A program's lock: the stack enters package sync, or blocks
			// on a channel or select, before its first frame outside them.
			if site == "" && (strings.HasPrefix(fn, "sync.") || strings.HasPrefix(fn, "runtime.chan") || strings.HasPrefix(fn, "runtime.select")) {
				user = true
			}
			lib = lib || libFrame(fn)
		}
	}
	flush()
	return out
}

func (s sites) minus(before sites) sites {
	out := sites{}
	for k, v := range s {
		if d := v - before[k]; d > 0 {
			out[k] = d
		}
	}
	return out
}

func (s sites) count() int64 {
	var n int64
	for _, v := range s {
		n += v
	}
	return n
}

// writeSites appends the library's lock sites of one benchmark to -locks.
func writeSites(b *testing.B, mutex, block sites) {
	f, err := os.OpenFile(*locksFile, os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	if err != nil {
		b.Error(err)
		return
	}
	defer f.Close()
	fmt.Fprintf(f, "%s, %d calls (%s): contentions in stacks through the library, by the first frame outside runtime and sync\n", b.Name(), b.N, time.Now().UTC().Format(time.RFC3339))
	for _, p := range []struct {
		kind string
		s    sites
	}{{"mutex", mutex}, {"block", block}} {
		keys := make([]string, 0, len(p.s))
		for k := range p.s {
			keys = append(keys, k)
		}
		sort.Slice(keys, func(i, j int) bool { return p.s[keys[i]] > p.s[keys[j]] })
		fmt.Fprintf(f, "  %s: %d contentions, %.4f per call\n", p.kind, p.s.count(), float64(p.s.count())/float64(b.N))
		for _, k := range keys[:min(len(keys), 8)] {
			fmt.Fprintf(f, "    %10d  %.4f/call  %s\n", p.s[k], float64(p.s[k])/float64(b.N), k)
		}
	}
}
