package main

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/resilient-sms/resilient/bench"
	"github.com/resilient-sms/resilient/bench/scenario"
)

// report is everything RESULTS.md shows.
type report struct {
	machine   machine
	date      time.Time
	rev       string
	benchtime string
	gbench    string // benchtime of the growth rounds
	loadavg   string // the machine's load averages during the run
	rounds    []round
	writes    map[string]float64 // client writes per call, by happy-path variant
	outage    []scenario.Amplification
	goodput   []scenario.Goodput
	capped    map[string][]scenario.CapRun // issue 11's scenarios, by name
	growth    []round                      // the growth suite's rounds
	locks     []round                      // the growth suite's parallel points with the lock profiles on
	profiles  []profile
	plotDir   string // where the pictures are written; empty: none
	plotLink  string // the same directory as RESULTS.md links it
	notes     string // hand-written analysis of the targets, Markdown
}

// profile is an excerpt of a profile, written by scripts/bench.sh.
type profile struct{ name, text string }

// target is one figure the issue sets, and whether this run met it.
type target struct {
	what, measured string
	met            bool
	miss           string // by how much it is missed, when it is
}

func (r *report) write(w io.Writer) {
	m := r.machine
	fmt.Fprintf(w, "# Benchmark results\n\n")
	fmt.Fprintf(w, "Written by `scripts/bench.sh` (see bench/README.md). Times are only compared within one run:\n")
	fmt.Fprintf(w, "every ratio below is computed within each round, then the median over the rounds is shown with its range.\n\n")
	fmt.Fprintf(w, "| | |\n|---|---|\n")
	fmt.Fprintf(w, "| Machine | %s, %d CPUs (%s/%s, GOMAXPROCS %d) |\n", m.CPU, m.CPUs, m.OS, m.Arch, m.Procs)
	fmt.Fprintf(w, "| Go | %s |\n", m.Go)
	fmt.Fprintf(w, "| Date | %s |\n", r.date.Format("2006-01-02 15:04 MST"))
	if r.rev != "" {
		fmt.Fprintf(w, "| Library revision | %s |\n", r.rev)
	}
	if r.loadavg != "" {
		fmt.Fprintf(w, "| Load average (1, 5, 15 min) | %s |\n", r.loadavg)
	}
	fmt.Fprintf(w, "| Rounds | %d", len(r.rounds))
	if r.benchtime != "" {
		fmt.Fprintf(w, " × -benchtime %s", r.benchtime)
	}
	fmt.Fprintf(w, " |\n")
	if len(r.growth) > 0 {
		fmt.Fprintf(w, "| Growth rounds | %d", len(r.growth))
		if r.gbench != "" {
			fmt.Fprintf(w, " × -benchtime %s", r.gbench)
		}
		fmt.Fprintf(w, " |\n")
	}
	fmt.Fprintln(w)

	r.writeTargets(w)
	if n := strings.TrimSpace(r.notes); n != "" {
		fmt.Fprintf(w, "%s\n\n", n)
	}
	r.writeHappy(w)
	r.writeOverhead(w)
	r.writeClassify(w)
	r.writeFailFast(w)
	r.writeOutage(w)
	r.writeGoodput(w)
	r.writeCapped(w)
	r.writeGrowth(w)
	r.writeProfiles(w)
}

func (r *report) targets() []target {
	var ts []target
	const h, o = "HappyPath/", "Overhead/"
	if r.has(h+"bare", h+"resilient") {
		q := ratio(r.rounds, h+"resilient", h+"bare")
		ts = append(ts, target{"Happy path, tracing off: resilient ≤ 1.02× bare on the wire", fmt.Sprintf("%.3f×", q.med), q.med <= 1.02, over(q.med, 1.02)})
	}
	if r.has(o+"bare", o+"resilient", o+"retryablehttp") {
		q := addedRatio(r.rounds, o+"resilient", o+"retryablehttp", o+"bare")
		ts = append(ts, target{"Happy path, tracing off: added CPU in memory ≤ go-retryablehttp's",
			fmt.Sprintf("%s vs %s (%.2f×)", fmtNs(diff(r.rounds, o+"resilient", o+"bare").med), fmtNs(diff(r.rounds, o+"retryablehttp", o+"bare").med), q.med),
			q.med <= 1, over(q.med, 1)})
		added := allocs(r.rounds, o+"resilient").med - allocs(r.rounds, o+"bare").med
		ts = append(ts, target{"Happy path, tracing off: ≤ +3 allocations", fmt.Sprintf("%+.0f", added), added <= 3, fmt.Sprintf("by %.0f", added-3)})
	}
	if r.has(h+"otelhttp", h+"resilient+tracing") {
		q := ratio(r.rounds, h+"resilient+tracing", h+"otelhttp")
		ts = append(ts, target{"Happy path, SDK tracer: resilient+tracing ≤ 0.95× otelhttp on the wire",
			fmt.Sprintf("%.3f× otelhttp", q.med), q.med <= 0.95, over(q.med, 0.95)})
	}
	if r.has(o+"bare", o+"otelhttp", o+"resilient+tracing") {
		q := addedRatio(r.rounds, o+"resilient+tracing", o+"otelhttp", o+"bare")
		ts = append(ts, target{"Happy path, SDK tracer: added CPU in memory ≤ 1.0× otelhttp's", fmt.Sprintf("%.3f×", q.med), q.med <= 1, over(q.med, 1)})
	}
	if r.has(o+"resilient", o+limitOff) {
		q := ratio(r.rounds, o+"resilient", o+limitOff)
		dA := allocs(r.rounds, o+"resilient").med - allocs(r.rounds, o+limitOff).med
		// Within noise: the middle half of the rounds' ratios holds 1.
		met := dA == 0 && q.q1 <= 1 && q.q3 >= 1
		measured := fmt.Sprintf("%.3f (middle half %.2f–%.2f) in memory, %+.0f allocs", q.med, q.q1, q.q3, dA)
		if r.has(h+"resilient", h+limitOff) {
			w := ratio(r.rounds, h+"resilient", h+limitOff)
			measured = fmt.Sprintf("%.3f (middle half %.2f–%.2f) on the wire, ", w.med, w.q1, w.q3) + measured
		}
		ts = append(ts, target{"Happy path, no code 11 ever: the in-flight limit costs nothing (resilient ÷ limit disabled: the middle half of the rounds holds 1; +0 allocs)",
			measured, met, ""})
	}
	if r.has("FailFast/resilient") {
		v, a := ns(r.rounds, "FailFast/resilient").med, allocs(r.rounds, "FailFast/resilient").med
		ts = append(ts, target{"Fail fast, open account circuit: ≤ 300 ns, ≤ 2 allocations", fmt.Sprintf("%s, %.0f allocs", fmtNs(v), a), v <= 300 && a <= 2, over(v, 300)})
	}
	for _, a := range r.outage {
		if a.Client == "resilient" {
			ts = append(ts, target{"Outage: attempts ÷ calls ≤ 1.15 with defaults", fmt.Sprintf("%.3f", a.Ratio()), a.Ratio() <= 1.15, over(a.Ratio(), 1.15)})
		}
	}
	for _, g := range r.goodput {
		if g.Client == "resilient" {
			ts = append(ts, target{"Throttling: 0 duplicates, 0 lost",
				fmt.Sprintf("%d duplicates, %d lost", g.Duplicates, g.Lost), g.Duplicates == 0 && g.Lost == 0, ""})
		}
	}
	ts = append(ts, r.cappedTargets()...)
	ts = append(ts, r.growthTargets()...)
	return ts
}

// limitOff is the happy-path control with the in-flight limits disabled.
const limitOff = "resilient/limit-off"

// addedRatio is (a-base)/(b-base) of ns/op within each round: what a adds
// over base as a multiple of what b adds.
func addedRatio(rounds []round, a, b, base string) stat {
	return series(rounds, func(rd round) float64 { return (rd[a].ns - rd[base].ns) / (rd[b].ns - rd[base].ns) }, a, b, base)
}

func (r *report) writeTargets(w io.Writer) {
	fmt.Fprintf(w, "## Targets\n\n| Target | Measured | |\n|---|---|---|\n")
	for _, t := range r.targets() {
		status := "met"
		if !t.met {
			status = "**missed**"
			if t.miss != "" {
				status += ", " + t.miss
			}
		}
		fmt.Fprintf(w, "| %s | %s | %s |\n", t.what, t.measured, status)
	}
	fmt.Fprintln(w)
}

func (r *report) writeHappy(w io.Writer) {
	const h = "HappyPath/"
	if !r.has(h + "bare") {
		return
	}
	fmt.Fprintf(w, "## 1. Happy path\n\n")
	fmt.Fprintf(w, "PUT /rest/sms/create answered HTTP 200 code 0 (%d-byte body) by a loopback server, from `b.RunParallel`; ", len(bench.SuccessBody))
	fmt.Fprintf(w, "each client over its own tuned bare `http.Transport`, called through an `http.Client`, the answer read to EOF. ")
	fmt.Fprintf(w, "Traced rows use the SDK tracer provider (always sampled, batch processor, no-op exporter) and W3C propagation; ")
	fmt.Fprintf(w, "peers are traced by otelhttp on top, the transport under test by itself. ")
	fmt.Fprintf(w, "The control rows are no clients: `%s` is the transport under test with its in-flight limits disabled; ", limitOff)
	fmt.Fprintf(w, "`bare+opaque-body` the bare transport with each request body wrapped in a type net/http does not know, ")
	fmt.Fprintf(w, "which is what a wrapper that tracks body reads does; `bare+pass-through` the bare transport under a RoundTripper ")
	fmt.Fprintf(w, "that only calls it, what one layer costs before it does anything.\n\n")
	fmt.Fprintf(w, "`× bare` compares ns/op; `CPU × bare` compares the CPU time the whole process (client, server, runtime) spent per call, ")
	fmt.Fprintf(w, "a figure that other processes' load moves less. `writes/call` counts the client's writes on its connections ")
	fmt.Fprintf(w, "(a separate run, see `scenario.WritesPerCall`): net/http sends headers and an in-memory body in one write, unless a wrapper hides the body from it.\n\n")
	fmt.Fprintf(w, "| Client | ns/op | × bare | CPU × bare | allocs/op | extra allocs | B/op | writes/call |\n|---|--:|--:|--:|--:|--:|--:|--:|\n")
	base := allocs(r.rounds, h+"bare").med
	for _, v := range bench.Variants {
		n := h + v.Name
		if !r.has(n) {
			continue
		}
		a := allocs(r.rounds, n).med
		writes := "–"
		if wc, ok := r.writes[v.Name]; ok {
			writes = fmt.Sprintf("%.2f", wc)
		}
		fmt.Fprintf(w, "| %s | %s | %s | %s | %.0f | %+.0f | %.0f | %s |\n", label(v), fmtNs(ns(r.rounds, n).med),
			fmtRatio(ratio(r.rounds, n, h+"bare")), fmtRatio(cpuRatio(r.rounds, n, h+"bare")), a, a-base, bytesPerOp(r.rounds, n).med, writes)
	}
	if r.has(h+"otelhttp", h+"resilient+tracing") {
		fmt.Fprintf(w, "\nresilient+tracing ÷ otelhttp: %s; CPU: %s.\n", fmtRatio(ratio(r.rounds, h+"resilient+tracing", h+"otelhttp")),
			fmtRatio(cpuRatio(r.rounds, h+"resilient+tracing", h+"otelhttp")))
	}
	fmt.Fprintln(w)
}

func (r *report) writeOverhead(w io.Writer) {
	const o = "Overhead/"
	if !r.has(o + "bare") {
		return
	}
	fmt.Fprintf(w, "### Without the network\n\n")
	fmt.Fprintf(w, "The same clients over an in-memory base answering the same body (`bare` is that base alone): each client's own CPU and allocations, ")
	fmt.Fprintf(w, "free of network noise. How a client makes net/http write the request does not show here, only above.\n\n")
	fmt.Fprintf(w, "| Client | ns/op | added ns/op | added allocs/op | added B/op |\n|---|--:|--:|--:|--:|\n")
	base := o + "bare"
	for _, v := range bench.Variants[1:] {
		n := o + v.Name
		if !r.has(n) {
			continue
		}
		fmt.Fprintf(w, "| %s | %s | %s | %+.0f | %+.0f |\n", label(v), fmtNs(ns(r.rounds, n).med), fmtNs(diff(r.rounds, n, base).med),
			allocs(r.rounds, n).med-allocs(r.rounds, base).med, bytesPerOp(r.rounds, n).med-bytesPerOp(r.rounds, base).med)
	}
	if r.has(o+"otelhttp", o+"resilient+tracing") {
		fmt.Fprintf(w, "\nresilient+tracing ÷ otelhttp, added ns/op within each round: %s.\n",
			fmtRatio(series(r.rounds, func(rd round) float64 {
				return (rd[o+"resilient+tracing"].ns - rd[base].ns) / (rd[o+"otelhttp"].ns - rd[base].ns)
			}, o+"resilient+tracing", o+"otelhttp", base)))
	}
	fmt.Fprintln(w)
}

func (r *report) writeClassify(w io.Writer) {
	fmt.Fprintf(w, "## 2. Classification\n\n")
	fmt.Fprintf(w, "One answer through the transport over an in-memory base (no network), minus the base alone in the same round: ")
	fmt.Fprintf(w, "what reading, classifying and handing back the answer costs, with the circuits and the budget consulted.\n\n")
	fmt.Fprintf(w, "| Answer | bytes | base alone | through the transport | added ns/op | added allocs/op | added B/op |\n|---|--:|--:|--:|--:|--:|--:|\n")
	for _, a := range bench.Answers {
		s, t := "Classify/"+a.Name+"/stub", "Classify/"+a.Name+"/resilient"
		if !r.has(s, t) {
			continue
		}
		fmt.Fprintf(w, "| %s | %d | %s | %s | %s | %+.0f | %+.0f |\n", a.Name, len(a.Body),
			fmtNs(ns(r.rounds, s).med), fmtNs(ns(r.rounds, t).med), fmtNs(diff(r.rounds, t, s).med),
			allocs(r.rounds, t).med-allocs(r.rounds, s).med, bytesPerOp(r.rounds, t).med-bytesPerOp(r.rounds, s).med)
	}
	fmt.Fprintln(w)
}

func (r *report) writeFailFast(w io.Writer) {
	fmt.Fprintf(w, "## 3. Fail fast\n\n")
	fmt.Fprintf(w, "A create on an account whose circuit a code 8 answer opened: no network I/O. ")
	fmt.Fprintf(w, "`resilient` returns the `ErrCircuitOpen` error, `resilient+answers` the synthesized answer of `WithFailFastAnswers`; ")
	fmt.Fprintf(w, "`failsafe` is its documented composition with the breaker forced open (its retry policy retries the refusal, without I/O).\n\n")
	fmt.Fprintf(w, "| Client | ns/op | allocs/op | B/op |\n|---|--:|--:|--:|\n")
	for _, n := range []string{"resilient", "resilient+answers", "failsafe"} {
		k := "FailFast/" + n
		if r.has(k) {
			fmt.Fprintf(w, "| %s | %s | %.0f | %.0f |\n", n, fmtNs(ns(r.rounds, k).med), allocs(r.rounds, k).med, bytesPerOp(r.rounds, k).med)
		}
	}
	fmt.Fprintln(w)
}

func (r *report) writeOutage(w io.Writer) {
	if len(r.outage) == 0 {
		return
	}
	a0 := r.outage[0]
	fmt.Fprintf(w, "## 4. Outage amplification\n\n")
	fmt.Fprintf(w, "The fake server answers 503 to everything; %d logical calls from %d goroutines; ", a0.Calls, a0.Workers)
	fmt.Fprintf(w, "attempts are the requests the server received. Every library's retry delays are divided by %d alike ", bench.DelayScale)
	fmt.Fprintf(w, "(attempts do not depend on them).\n\n")
	fmt.Fprintf(w, "| Client | configuration | attempts | attempts ÷ calls | wall time |\n|---|---|--:|--:|--:|\n")
	for _, a := range r.outage {
		fmt.Fprintf(w, "| %s | %s | %d | %.3f | %s |\n", a.Client, a.Note, a.Attempts, a.Ratio(), a.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
}

func (r *report) writeGoodput(w io.Writer) {
	if len(r.goodput) == 0 {
		return
	}
	c := r.goodput[0].Config
	fmt.Fprintf(w, "## 5. Throttling goodput\n\n")
	fmt.Fprintf(w, "%d senders share %d single creates, each with its own reference. The fake server holds each create in flight for %s ",
		c.Senders, c.Messages, c.Processing)
	fmt.Fprintf(w, "and refuses with code 11 (HTTP 200) any create above %d in flight: a capacity of %.0f messages/s. ", c.MaxInFlight, c.Capacity())
	fmt.Fprintf(w, "Duplicates and lost messages are counted from what the server accepted; misreported are calls whose answer disagrees with it.\n\n")
	fmt.Fprintf(w, "| Client | configuration | accepted/s | of capacity | attempts | duplicates | lost | misreported | wall time |\n|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, g := range r.goodput {
		fmt.Fprintf(w, "| %s | %s | %.0f | %.1f%% | %d | %d | %d | %d | %s |\n", g.Client, g.Note, g.Rate(), 100*g.Fraction(),
			g.Attempts, g.Duplicates, g.Lost, g.Misreports, g.Elapsed.Round(time.Millisecond))
	}
	fmt.Fprintln(w)
}

func (r *report) writeProfiles(w io.Writer) {
	if len(r.profiles) == 0 {
		return
	}
	fmt.Fprintf(w, "## Profiles\n\nExcerpts of the profiles of the happy path and of the classifier (`go tool pprof -top -cum`), taken by scripts/bench.sh.\n\n")
	for _, p := range r.profiles {
		fmt.Fprintf(w, "<details><summary>%s</summary>\n\n```\n%s\n```\n\n</details>\n\n", p.name, strings.TrimSpace(p.text))
	}
}

// label is a variant's name in the tables.
func label(v bench.Variant) string {
	if v.Control {
		return v.Name + " (control)"
	}
	return v.Name
}

// has reports whether every named benchmark ran in some round.
func (r *report) has(names ...string) bool {
	for _, n := range names {
		found := false
		for _, rd := range r.rounds {
			if _, ok := rd[n]; ok {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// over says by how much v exceeds limit, in percent.
func over(v, limit float64) string {
	return fmt.Sprintf("by %.1f%%", 100*(v/limit-1))
}

func fmtNs(v float64) string {
	switch {
	case v >= 1e6:
		return fmt.Sprintf("%.2f ms", v/1e6)
	case v >= 1e4:
		return fmt.Sprintf("%.1f µs", v/1e3)
	case v >= 1e3:
		return fmt.Sprintf("%.2f µs", v/1e3)
	}
	return fmt.Sprintf("%.0f ns", v)
}

func fmtRatio(s stat) string {
	if s.n <= 1 {
		return fmt.Sprintf("%.3f", s.med)
	}
	return fmt.Sprintf("%.3f (%.2f–%.2f)", s.med, s.lo, s.hi)
}
