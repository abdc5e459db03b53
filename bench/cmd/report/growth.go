package main

import (
	"fmt"
	"io"
	"math"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/resilient-sms/resilient/bench"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The figures issue 14 sets for how cost grows.
const (
	accountsSpread    = 0.10 // per-call cost from 1 to the most accounts
	healthyHeap       = 64   // bytes per healthy account
	failingHeap       = 1024 // bytes per failing account
	bulkAddedNs       = 10_000
	scalingShare      = 0.9   // of the base's own speedup from 1 to 2 procs
	maxLibContentions = 0.001 // library lock contentions per call at 64 callers
)

const g = "Growth/"

var accountKinds = []struct{ name, title string }{
	{"healthy", "healthy"},
	{"failing", "beside failing accounts"},
	{"failfast", "calls to failing accounts (fail fast)"},
}

func accName(n int, kind string) string { return fmt.Sprintf("%saccounts/%d/%s", g, n, kind) }

func bulkName(n int, rt string) string { return fmt.Sprintf("%sbulk/%d/%s", g, n, rt) }

func parName(procs, callers int, c string) string {
	return fmt.Sprintf("%sparallel/procs=%d/callers=%d/%s", g, procs, callers, c)
}

var parallelClients = []string{"stub", "resilient", "resilient+tracing", "otelhttp"}

// heldAccounts is the most failing accounts the Transport holds at once (its
// default AccountCircuit.MaxCircuits): past it the sweep's heap figure is
// per account swept, not per account held.
const heldAccounts = 100_000

func (r *report) hasGrowth(names ...string) bool {
	q := report{rounds: r.growth}
	return q.has(names...)
}

// spread is the largest distance from 1 of the per-call cost at any N over
// the cost at one account, medians within rounds.
func (r *report) spread(kind string) (worst float64, at int) {
	first := accName(bench.GrowthAccounts[0], kind)
	worst = 1
	for _, n := range bench.GrowthAccounts[1:] {
		if !r.hasGrowth(first, accName(n, kind)) {
			continue
		}
		q := ratio(r.growth, accName(n, kind), first).med
		if math.Abs(q-1) > math.Abs(worst-1) {
			worst, at = q, n
		}
	}
	return worst, at
}

func (r *report) growthTargets() []target {
	if len(r.growth) == 0 {
		return nil
	}
	var ts []target
	first, last := bench.GrowthAccounts[0], bench.GrowthAccounts[len(bench.GrowthAccounts)-1]
	for _, kind := range []string{"healthy", "failing"} {
		if !r.hasGrowth(accName(first, kind), accName(last, kind)) {
			continue
		}
		worst, at := r.spread(kind)
		dA := allocs(r.growth, accName(last, kind)).med - allocs(r.growth, accName(first, kind)).med
		what := fmt.Sprintf("Per-call cost from 1 to %s distinct accounts within ±10%%, no added allocations (%s)", fmtCount(last), kindTitle(kind))
		measured := fmt.Sprintf("%.3f× at %s accounts (the farthest from 1), %+.0f allocs", worst, fmtCount(at), dA)
		ts = append(ts, target{what, measured, math.Abs(worst-1) <= accountsSpread && dA <= 0, ""})
	}
	if r.hasGrowth(accName(last, "healthy")) {
		h := metric(r.growth, accName(last, "healthy"), "heap-B/account").med
		ts = append(ts, target{"Heap per healthy account ≤ 64 bytes", fmt.Sprintf("%.1f B (%s accounts)", h, fmtCount(last)), h <= healthyHeap, over(h, healthyHeap)})
	}
	// The largest sweep point the Transport holds whole.
	held := 0
	for _, n := range bench.GrowthAccounts {
		if n <= heldAccounts && r.hasGrowth(accName(n, "failing")) {
			held = n
		}
	}
	if held > 0 {
		h := metric(r.growth, accName(held, "failing"), "heap-B/account").med
		ts = append(ts, target{"Heap per failing account ≤ 1 KiB", fmt.Sprintf("%.0f B (%s accounts)", h, fmtCount(held)), h <= failingHeap, over(h, failingHeap)})
	}
	if n := bench.GrowthBulk[len(bench.GrowthBulk)-1]; r.hasGrowth(bulkName(n, "stub"), bulkName(n, "resilient")) {
		d := diff(r.growth, bulkName(n, "resilient"), bulkName(n, "stub")).med
		a := allocs(r.growth, bulkName(n, "resilient")).med - allocs(r.growth, bulkName(n, "stub")).med
		var miss []string
		if d > bulkAddedNs {
			miss = append(miss, "time "+over(d, bulkAddedNs))
		}
		if a > float64(n) {
			miss = append(miss, fmt.Sprintf("%.1f allocs per recipient", a/float64(n)))
		}
		ts = append(ts, target{fmt.Sprintf("Bulk of %d recipients: ≤ 10 µs added, ≤ 1 allocation per recipient", n),
			fmt.Sprintf("%s, %+.0f allocs", fmtNs(d), a), d <= bulkAddedNs && a <= float64(n), strings.Join(miss, "; ")})
	}
	if sp, base, ok := r.speedup("resilient"); ok {
		c := bench.GrowthCallers[len(bench.GrowthCallers)-1]
		measured := fmt.Sprintf("%.2f× from 1 to 2 procs (the base alone: %.2f×)", sp, base)
		met := sp >= scalingShare*base
		name := parName(2, c, "resilient")
		locks := report{rounds: r.locks}
		if locks.has(name) {
			m, bl := metric(r.locks, name, "lib-mutex/op").med, metric(r.locks, name, "lib-block/op").med
			measured += fmt.Sprintf("; library lock contentions per call: %.5f mutex, %.5f block", m, bl)
			met = met && m <= maxLibContentions && bl <= maxLibContentions
		} else {
			measured += "; no lock profile"
		}
		ts = append(ts, target{fmt.Sprintf("Throughput scales to 2 cores with %d callers, no lock that every call takes", c), measured, met, ""})
	}
	return ts
}

// speedup is client's throughput at 2 procs over 1 with the most callers,
// and the stub's, within rounds.
func (r *report) speedup(client string) (float64, float64, bool) {
	c := bench.GrowthCallers[len(bench.GrowthCallers)-1]
	a1, a2, s1, s2 := parName(1, c, client), parName(2, c, client), parName(1, c, "stub"), parName(2, c, "stub")
	if !r.hasGrowth(a1, a2, s1, s2) {
		return 0, 0, false
	}
	return ratio(r.growth, a1, a2).med, ratio(r.growth, s1, s2).med, true
}

func kindTitle(kind string) string {
	for _, k := range accountKinds {
		if k.name == kind {
			return k.title
		}
	}
	return kind
}

func fmtCount(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteRune(' ')
		}
		b.WriteRune(c)
	}
	return b.String()
}

func (r *report) writeGrowth(w io.Writer) {
	if len(r.growth) == 0 {
		return
	}
	fmt.Fprintf(w, "## 6. Growth\n\n")
	fmt.Fprintf(w, "`BenchmarkGrowth` sweeps one dimension of the work at a time over the in-memory base, %d rounds; ", len(r.growth))
	fmt.Fprintf(w, "each point is a ratio or a difference within a round (median over the rounds, range in parentheses).\n\n")

	fmt.Fprintf(w, "### Distinct accounts\n\n")
	fmt.Fprintf(w, "Calls spread over N API keys, one after the other. *healthy*: every account answers code 0. ")
	fmt.Fprintf(w, "*failing*: N other accounts were first opened by a code 8 each (the Transport holds at most %s of them, its default `AccountCircuit.MaxCircuits`), ", fmtCount(heldAccounts))
	fmt.Fprintf(w, "and the timed calls go to N healthy accounts. *fail fast*: the timed calls go to the N failing accounts ")
	fmt.Fprintf(w, "(past the bound, some were dropped and go to the base again). Heap per account is the live heap their warm-up left, divided by N.\n\n")
	fmt.Fprintf(w, "| accounts |")
	for _, k := range accountKinds {
		fmt.Fprintf(w, " %s: ns/op | × 1 account | allocs/op | heap B/account |", k.name)
	}
	fmt.Fprintf(w, "\n|--:|%s\n", strings.Repeat("--:|--:|--:|--:|", len(accountKinds)))
	for _, n := range bench.GrowthAccounts {
		fmt.Fprintf(w, "| %s |", fmtCount(n))
		for _, k := range accountKinds {
			name := accName(n, k.name)
			if !r.hasGrowth(name) {
				fmt.Fprintf(w, " – | – | – | – |")
				continue
			}
			heap := "–" // too few accounts to divide the heap's noise
			if n >= 100 {
				heap = fmt.Sprintf("%.1f", metric(r.growth, name, "heap-B/account").med)
			}
			fmt.Fprintf(w, " %s | %s | %.0f | %s |", fmtNs(ns(r.growth, name).med), fmtRatio(ratio(r.growth, name, accName(bench.GrowthAccounts[0], k.name))),
				allocs(r.growth, name).med, heap)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w)
	r.growthPicture(w, "growth-accounts.png", "Per-call cost and heap by distinct accounts")

	fmt.Fprintf(w, "### Bulk size\n\n")
	fmt.Fprintf(w, "A create of n recipients (`destination` \"phones\") answered with n accepted results, through the transport and through the base alone. ")
	fmt.Fprintf(w, "The transport checks such an answer without keeping its recipients; the last two columns are a caller that asks `OutcomeOf` for them too, which reads them then.\n\n")
	fmt.Fprintf(w, "| recipients | base alone | through the transport | added | added per recipient | added allocs/op | per recipient | added B/op | recipients read: added | allocs |\n|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, n := range bench.GrowthBulk {
		s, t, rd := bulkName(n, "stub"), bulkName(n, "resilient"), bulkName(n, "recipients")
		if !r.hasGrowth(s, t) {
			continue
		}
		d := diff(r.growth, t, s).med
		a := allocs(r.growth, t).med - allocs(r.growth, s).med
		read, readAllocs := "–", "–"
		if r.hasGrowth(rd) {
			read, readAllocs = fmtNs(diff(r.growth, rd, s).med), fmt.Sprintf("%+.0f", allocs(r.growth, rd).med-allocs(r.growth, s).med)
		}
		fmt.Fprintf(w, "| %d | %s | %s | %s | %s | %+.0f | %.1f | %+.0f | %s | %s |\n", n, fmtNs(ns(r.growth, s).med), fmtNs(ns(r.growth, t).med),
			fmtNs(d), fmtNs(d/float64(n)), a, a/float64(n), bytesPerOp(r.growth, t).med-bytesPerOp(r.growth, s).med, read, readAllocs)
	}
	fmt.Fprintln(w)
	r.growthPicture(w, "growth-bulk.png", "Added cost by recipients")

	fmt.Fprintf(w, "### Parallel callers, tracing off and on\n\n")
	fmt.Fprintf(w, "C goroutines share the calls, with GOMAXPROCS 1 and 2; throughput is calls per second of wall time. ")
	fmt.Fprintf(w, "`resilient+tracing` is traced by its own `WithTracerProvider`, `otelhttp` is otelhttp over the base, both with the SDK tracer of section 1.\n\n")
	fmt.Fprintf(w, "| procs | callers |")
	for _, c := range parallelClients {
		fmt.Fprintf(w, " %s calls/s |", c)
	}
	fmt.Fprintf(w, " resilient × base | resilient+tracing × otelhttp |\n|--:|--:|%s--:|--:|\n", strings.Repeat("--:|", len(parallelClients)))
	for _, p := range bench.GrowthProcs {
		for _, c := range bench.GrowthCallers {
			if !r.hasGrowth(parName(p, c, "stub")) {
				continue
			}
			fmt.Fprintf(w, "| %d | %d |", p, c)
			for _, cl := range parallelClients {
				if r.hasGrowth(parName(p, c, cl)) {
					fmt.Fprintf(w, " %s |", fmtRate(1e9/ns(r.growth, parName(p, c, cl)).med))
				} else {
					fmt.Fprintf(w, " – |")
				}
			}
			// Throughput ratios: the inverse of the ns/op ratios.
			fmt.Fprintf(w, " %s | %s |\n", fmtRatio(ratio(r.growth, parName(p, c, "stub"), parName(p, c, "resilient"))),
				fmtRatio(ratio(r.growth, parName(p, c, "otelhttp"), parName(p, c, "resilient+tracing"))))
		}
	}
	fmt.Fprintln(w)
	for _, cl := range parallelClients {
		if sp, _, ok := r.speedup(cl); ok {
			fmt.Fprintf(w, "- %s: %.2f× the throughput with 2 procs as with 1, %d callers\n", cl, sp, bench.GrowthCallers[len(bench.GrowthCallers)-1])
		}
	}
	fmt.Fprintln(w)
	r.growthPicture(w, "growth-parallel.png", "Throughput by parallel callers")
}

func (r *report) growthPicture(w io.Writer, file, alt string) {
	if r.plotDir != "" {
		fmt.Fprintf(w, "![%s](%s)\n\n", alt, filepath.ToSlash(filepath.Join(r.plotLink, file)))
	}
}

func fmtRate(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f M", v/1e6)
	case v >= 1e3:
		return fmt.Sprintf("%.0f k", v/1e3)
	}
	return fmt.Sprintf("%.0f", v)
}

func (r *report) writeGrowthPlots() error {
	if len(r.growth) == 0 {
		return nil
	}
	// Accounts: cost ratio, fail-fast cost and heap per account.
	cost := chart{title: "Per-call cost over the cost at one account", x: "distinct accounts", y: "× 1 account", logX: true, minY: 0.8, yMax: 1.2, legendLeft: true}
	fast := chart{title: "Calls to failing accounts", x: "distinct accounts", y: "ns per call", logX: true, logY: true, legendLeft: true}
	heap := chart{title: "Live heap per account", x: "distinct accounts", y: "bytes per account", logX: true, minY: 0, legendLeft: true}
	first := bench.GrowthAccounts[0]
	for _, k := range accountKinds {
		var c, h plotter.XYs
		for _, n := range bench.GrowthAccounts {
			if !r.hasGrowth(accName(n, k.name), accName(first, k.name)) {
				continue
			}
			if k.name == "failfast" {
				c = append(c, plotter.XY{X: float64(n), Y: ns(r.growth, accName(n, k.name)).med})
				continue
			}
			c = append(c, plotter.XY{X: float64(n), Y: ratio(r.growth, accName(n, k.name), accName(first, k.name)).med})
			if n >= 100 {
				h = append(h, plotter.XY{X: float64(n), Y: metric(r.growth, accName(n, k.name), "heap-B/account").med})
			}
		}
		switch k.name {
		case "failfast":
			fast.lines = append(fast.lines, curve{name: "fail fast", xy: c})
		case "failing":
			cost.lines = append(cost.lines, curve{name: k.title, xy: c})
			heap.lines = append(heap.lines, curve{name: "failing (100k held at most)", xy: h})
		default:
			cost.lines = append(cost.lines, curve{name: k.title, xy: c})
			heap.lines = append(heap.lines, curve{name: k.title, xy: h})
		}
	}
	lo, hi := float64(first), float64(bench.GrowthAccounts[len(bench.GrowthAccounts)-1])
	cost.lines = append(cost.lines, curve{name: "target: ±10%", dash: true, xy: plotter.XYs{{X: lo, Y: 1.1}, {X: hi, Y: 1.1}}},
		curve{name: "−10%", dash: true, xy: plotter.XYs{{X: lo, Y: 0.9}, {X: hi, Y: 0.9}}})
	fast.lines = append(fast.lines, curve{name: "target: 300 ns", dash: true, xy: plotter.XYs{{X: lo, Y: 300}, {X: hi, Y: 300}}})
	heap.lines = append(heap.lines, curve{name: "target, failing: 1 KiB", dash: true, xy: plotter.XYs{{X: 100, Y: failingHeap}, {X: hi, Y: failingHeap}}},
		curve{name: "target, healthy: 64 B", dash: true, xy: plotter.XYs{{X: 100, Y: healthyHeap}, {X: hi, Y: healthyHeap}}})
	if err := writePNG(filepath.Join(r.plotDir, "growth-accounts.png"), 3, 3.6*vg.Inch, 3.2*vg.Inch, cost, fast, heap); err != nil {
		return err
	}

	// Bulk: added time and allocations per create.
	added := chart{title: "Time the transport adds to a bulk create", x: "recipients", y: "µs", minY: 0, legendLeft: true}
	added.xTicks = []float64{1, 10, 20, 30, 40, 50}
	allocs := chart{title: "Allocations it adds", x: "recipients", y: "allocations", minY: 0, legendLeft: true}
	var d, a, dr, ar plotter.XYs
	for _, n := range bench.GrowthBulk {
		s, t, rd := bulkName(n, "stub"), bulkName(n, "resilient"), bulkName(n, "recipients")
		if r.hasGrowth(s, t) {
			d = append(d, plotter.XY{X: float64(n), Y: diff(r.growth, t, s).med / 1e3})
			a = append(a, plotter.XY{X: float64(n), Y: allocsOf(r.growth, t) - allocsOf(r.growth, s)})
		}
		if r.hasGrowth(s, rd) {
			dr = append(dr, plotter.XY{X: float64(n), Y: diff(r.growth, rd, s).med / 1e3})
			ar = append(ar, plotter.XY{X: float64(n), Y: allocsOf(r.growth, rd) - allocsOf(r.growth, s)})
		}
	}
	maxN := float64(bench.GrowthBulk[len(bench.GrowthBulk)-1])
	added.lines = []curve{{name: "resilient", xy: d}}
	allocs.lines = []curve{{name: "resilient", xy: a}}
	if len(dr) > 0 {
		added.lines = append(added.lines, curve{name: "recipients read too", xy: dr})
		allocs.lines = append(allocs.lines, curve{name: "recipients read too", xy: ar})
	}
	added.lines = append(added.lines, curve{name: "target at 50: 10 µs", dash: true, xy: plotter.XYs{{X: 1, Y: 10}, {X: maxN, Y: 10}}})
	allocs.xTicks = added.xTicks
	allocs.lines = append(allocs.lines, curve{name: "target: 1 per recipient", dash: true, xy: plotter.XYs{{X: 1, Y: 1}, {X: maxN, Y: maxN}}})
	if err := writePNG(filepath.Join(r.plotDir, "growth-bulk.png"), 2, 4.2*vg.Inch, 3.2*vg.Inch, added, allocs); err != nil {
		return err
	}

	// Parallel: throughput by callers, one panel per procs.
	var charts []chart
	for _, p := range bench.GrowthProcs {
		c := chart{title: fmt.Sprintf("Throughput, GOMAXPROCS %d", p), x: "parallel callers", y: "thousand calls/s", logX: true, minY: 0, legendLeft: true}
		for _, n := range bench.GrowthCallers {
			c.xTicks = append(c.xTicks, float64(n))
		}
		for _, cl := range parallelClients {
			var xy plotter.XYs
			for _, n := range bench.GrowthCallers {
				if r.hasGrowth(parName(p, n, cl)) {
					xy = append(xy, plotter.XY{X: float64(n), Y: 1e6 / ns(r.growth, parName(p, n, cl)).med})
				}
			}
			c.lines = append(c.lines, curve{name: cl, xy: xy, dash: cl == "stub"})
		}
		charts = append(charts, c)
	}
	var top float64
	for _, c := range charts {
		for _, l := range c.lines {
			for _, p := range l.xy {
				top = max(top, p.Y)
			}
		}
	}
	for i := range charts {
		charts[i].yMax = top
	}
	return writePNG(filepath.Join(r.plotDir, "growth-parallel.png"), 2, 4.2*vg.Inch, 3.2*vg.Inch, charts...)
}

func allocsOf(rounds []round, name string) float64 { return allocs(rounds, name).med }
