package main

import (
	"cmp"
	"fmt"
	"io"
	"math"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/resilient-sms/resilient/bench/scenario"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
)

// The figures issue 11 sets for the adaptive in-flight limit.
const (
	goodputShare  = 0.97 // of the oracle's accepted/s, under a fixed cap
	followShare   = 0.95 // under a changing cap, four Transports, bulk
	maxPerMessage = 1.1  // attempts per message under a fixed cap
	settleWithin  = time.Second
	minJain       = 0.95
	learning      = time.Second // code 11 answers after it are counted apart
)

// capped returns the runs of scenario name, the oracle's first.
func (r *report) cappedRuns(name string) []scenario.CapRun { return r.capped[name] }

// repetitions returns the runs of every repetition of a scenario: name's,
// then name#2's and on.
func (r *report) repetitions(name string) [][]scenario.CapRun {
	var all [][]scenario.CapRun
	if runs := r.capped[name]; len(runs) > 0 {
		all = append(all, runs)
	}
	for i := 2; ; i++ {
		runs := r.capped[fmt.Sprintf("%s#%d", name, i)]
		if len(runs) == 0 {
			return all
		}
		all = append(all, runs)
	}
}

// medianRun returns client's run of the repetition where its share of that
// repetition's oracle is the median, that share, the shares of every
// repetition written out (empty for one), and whether no repetition lost,
// duplicated or misreported a message.
func medianRun(reps [][]scenario.CapRun, client string) (x scenario.CapRun, s float64, shares string, clean, ok bool) {
	type point struct {
		x scenario.CapRun
		s float64
	}
	var ps []point
	clean = true
	for _, runs := range reps {
		if x, found := find(runs, client); found {
			ps = append(ps, point{x, share(runs, x)})
			clean = clean && x.Duplicates == 0 && x.Lost == 0 && x.Misreports == 0
		}
	}
	if len(ps) == 0 {
		return x, 0, "", false, false
	}
	var all []string
	for _, p := range ps {
		all = append(all, pct(p.s))
	}
	slices.SortStableFunc(ps, func(a, b point) int { return cmp.Compare(a.s, b.s) })
	m := ps[len(ps)/2]
	if len(ps) > 1 {
		shares = fmt.Sprintf(" (median of %d repetitions: %s)", len(ps), strings.Join(all, ", "))
	}
	return m.x, m.s, shares, clean, true
}

func find(runs []scenario.CapRun, client string) (scenario.CapRun, bool) {
	for _, x := range runs {
		if x.Client == client {
			return x, true
		}
	}
	return scenario.CapRun{}, false
}

// share is a run's accepted/s as a fraction of the oracle's in the same
// scenario.
func share(runs []scenario.CapRun, x scenario.CapRun) float64 {
	o, ok := find(runs, scenario.Oracle.Name)
	if !ok || o.Rate() == 0 {
		return math.NaN()
	}
	return x.Rate() / o.Rate()
}

func pct(v float64) string { return fmt.Sprintf("%.1f%%", 100*v) }

func fmtSettle(d time.Duration) string {
	if d < 0 {
		return "never"
	}
	return fmtDur(d)
}

func fmtDur(d time.Duration) string {
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2f s", d.Seconds())
	case d >= 10*time.Millisecond:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	}
	return fmt.Sprintf("%.1f ms", float64(d)/1e6)
}

func (r *report) cappedTargets() []target {
	var ts []target
	reps := r.repetitions("throttle")
	for _, name := range []string{scenario.Adaptive.Name, scenario.AdaptiveDefaults.Name} {
		x, s, shares, clean, ok := medianRun(reps, name)
		if !ok {
			continue
		}
		met := s >= goodputShare && x.PerMessage() <= maxPerMessage && clean
		var miss []string
		if s < goodputShare {
			miss = append(miss, fmt.Sprintf("goodput short by %.1f points", 100*(goodputShare-s)))
		}
		if x.PerMessage() > maxPerMessage {
			miss = append(miss, "attempts "+over(x.PerMessage(), maxPerMessage))
		}
		if !clean {
			miss = append(miss, "messages lost, duplicated or misreported")
		}
		ts = append(ts, target{fmt.Sprintf("Cap of 20, %s: ≥ 97%% of the oracle's accepted/s, ≤ 1.1 attempts per message, 0 duplicates, lost, misreported", name),
			fmt.Sprintf("%s, %.3f attempts, %d/%d/%d%s", pct(s), x.PerMessage(), x.Duplicates, x.Lost, x.Misreports, shares), met, strings.Join(miss, "; ")})
	}
	changing := r.cappedRuns("changing")
	if x, ok := find(changing, scenario.Adaptive.Name); ok {
		st := x.Settling()
		var parts []string
		met := len(st) > 0
		for i, d := range st {
			parts = append(parts, fmt.Sprintf("→%d: %s", x.Load.Changes[i].Cap, fmtSettle(d)))
			if d < 0 || d > settleWithin {
				met = false
			}
		}
		ts = append(ts, target{"Cap 20 → 5 → 40: the limit within ±20% of each new cap within 1 s", strings.Join(parts, ", "), met, ""})
		s := share(changing, x)
		ts = append(ts, target{"Cap 20 → 5 → 40: ≥ 95% of the oracle's accepted/s (the oracle resized at each change)", pct(s), s >= followShare,
			fmt.Sprintf("short by %.1f points", 100*(followShare-s))})
	}
	if x, ok := find(r.cappedRuns("shared"), scenario.Adaptive.Name); ok {
		s := share(r.cappedRuns("shared"), x)
		ts = append(ts, target{"Four Transports on one account: aggregate ≥ 95% of the oracle's, Jain's index ≥ 0.95",
			fmt.Sprintf("%s, Jain %.3f", pct(s), x.Jain()), s >= followShare && x.Jain() >= minJain, ""})
	}
	if x, s, shares, _, ok := medianRun(r.repetitions("bulk"), scenario.Adaptive.Name); ok {
		ts = append(ts, target{"Bulk of 1–50 recipients: ≥ 95% of the oracle's accepted messages/s", pct(s) + shares, s >= followShare,
			fmt.Sprintf("short by %.1f points", 100*(followShare-s))})
		if single, _, _, _, ok := medianRun(reps, scenario.Adaptive.Name); ok {
			b, o := refusalRate(x), refusalRate(single)
			ts = append(ts, target{"Bulk: no more code 11 per create than single creates (the limit weighs recipients)",
				fmt.Sprintf("%.2f%% vs %.2f%% of creates after the first second", 100*b, 100*o), b <= o, ""})
		}
	}
	return ts
}

// refusalRate is code 11 answers after the learning second per create.
func refusalRate(x scenario.CapRun) float64 {
	return float64(x.RefusalsAfter(learning)) / float64(max(x.Creates, 1))
}

func (r *report) writeCapped(w io.Writer) {
	if len(r.capped) == 0 {
		return
	}
	fmt.Fprintf(w, "## 5. Throttling: the adaptive in-flight limit\n\n")
	fmt.Fprintf(w, "The fake server holds each create in flight for its processing time and refuses with code 11 (HTTP 200) any create that would put more messages in flight than the cap. ")
	fmt.Fprintf(w, "Every scenario runs, in the same process, an **oracle**: a semaphore of exactly the cap, weighted by recipients, in front of the bare transport, resized at each change of the cap. ")
	fmt.Fprintf(w, "It never sends past the cap; the others must learn it. Shares are of the oracle's accepted messages per second. ")
	fmt.Fprintf(w, "Lost, duplicated and misreported messages are counted from what the server accepted against what each caller was told. ")
	fmt.Fprintf(w, "Latency is from a create's first send to its answer, of accepted creates; attempts are the creates the server received.\n\n")
	for _, sc := range scenario.Scenarios {
		runs := r.cappedRuns(sc.Name)
		if len(runs) == 0 {
			continue
		}
		l := runs[0].Load
		fmt.Fprintf(w, "### %s\n\n%s\n\n", sc.Title, describeLoad(l))
		fmt.Fprintf(w, "| Client | configuration | accepted/s | × oracle | attempts per create | code 11 | code 11 after 1 s | p50 | p99 | duplicates | lost | misreported | wall time |")
		switch sc.Name {
		case "changing":
			fmt.Fprintf(w, " limit settled (±20%%) |")
		case "shared":
			fmt.Fprintf(w, " accepted per Transport | Jain |")
		}
		fmt.Fprintf(w, "\n|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
		switch sc.Name {
		case "changing":
			fmt.Fprintf(w, "---|")
		case "shared":
			fmt.Fprintf(w, "---|--:|")
		}
		fmt.Fprintln(w)
		for _, x := range runs {
			fmt.Fprintf(w, "| %s | %s | %.0f | %.3f | %.3f | %d | %d | %s | %s | %d | %d | %d | %s |", x.Client, x.Note, x.Rate(), share(runs, x),
				x.PerMessage(), x.Refusals, x.RefusalsAfter(learning), fmtDur(x.P50), fmtDur(x.P99), x.Duplicates, x.Lost, x.Misreports, fmtDur(x.Elapsed))
			switch sc.Name {
			case "changing":
				var parts []string
				if len(x.Limit) > 0 {
					for i, d := range x.Settling() {
						parts = append(parts, fmt.Sprintf("→%d: %s", x.Load.Changes[i].Cap, fmtSettle(d)))
					}
				}
				fmt.Fprintf(w, " %s |", orDash(strings.Join(parts, ", ")))
			case "shared":
				fmt.Fprintf(w, " %s | %.3f |", strings.Trim(fmt.Sprint(x.PerTransport), "[]"), x.Jain())
			}
			fmt.Fprintln(w)
		}
		fmt.Fprintln(w)
		if r.plotDir != "" {
			fmt.Fprintf(w, "![%s](%s)\n\n", sc.Title, filepath.ToSlash(filepath.Join(r.plotLink, "adaptive-"+sc.Name+".png")))
		}
	}
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func describeLoad(l scenario.Load) string {
	var b strings.Builder
	if l.Transports > 1 {
		fmt.Fprintf(&b, "%d Transports of %d senders each", l.Transports, l.Senders)
	} else {
		fmt.Fprintf(&b, "%d senders", l.Senders)
	}
	if l.Messages > 0 {
		fmt.Fprintf(&b, " share %d creates", l.Messages)
	} else {
		fmt.Fprintf(&b, " send creates for %s", fmtDur(l.Duration))
	}
	if l.Recipients > 1 {
		fmt.Fprintf(&b, " of 1 to %d recipients (a fixed sequence, %.1f on average)", l.Recipients, float64(l.Recipients+1)/2)
	} else {
		fmt.Fprintf(&b, ", one recipient each")
	}
	fmt.Fprintf(&b, "; the server holds each for %s under a cap of %d messages in flight (%.0f messages/s at most)", fmtDur(l.Processing), l.Cap, l.Capacity())
	if len(l.Changes) > 0 {
		var parts []string
		for _, c := range l.Changes {
			parts = append(parts, fmt.Sprintf("%d from %s", c.Cap, fmtDur(c.At)))
		}
		fmt.Fprintf(&b, ", changed during the run: %s", strings.Join(parts, ", "))
	}
	b.WriteString(".")
	return b.String()
}

// writeCappedPlots draws, for each scenario, accepted/s and code 11
// answers/s over time for the oracle, the adaptive limit, back-off only and
// failsafe-go's adaptive limiter, and the limit against the cap.
func (r *report) writeCappedPlots() error {
	shown := []string{scenario.Oracle.Name, scenario.Adaptive.Name, scenario.BackoffOnly.Name, scenario.FailsafeAdaptive.Name}
	for _, sc := range scenario.Scenarios {
		runs := r.cappedRuns(sc.Name)
		if len(runs) == 0 {
			continue
		}
		acc := chart{title: "Accepted messages/s", x: "time (s)", y: "messages/s", minY: 0}
		ref := chart{title: "Code 11 answers/s", x: "time (s)", y: "answers/s", minY: 0}
		lim := chart{title: "In-flight limit of resilient (first Transport)", x: "time (s)", y: "messages", minY: 0}
		for _, name := range shown {
			x, ok := find(runs, name)
			if !ok {
				continue
			}
			sec := x.Load.Bucket.Seconds()
			if sec == 0 {
				sec = 0.1
			}
			acc.lines = append(acc.lines, curve{name: name, xy: perSecond(x.AcceptedAt, sec), dash: x.Client == scenario.Oracle.Name})
			if x.Client != scenario.Oracle.Name {
				ref.lines = append(ref.lines, curve{name: name, xy: perSecond(x.RefusedAt, sec)})
			}
			if x.Client == scenario.Adaptive.Name && len(x.Limit) > 0 {
				lim.lines = append(lim.lines, curve{name: "cap", xy: capSteps(x), dash: true}, curve{name: "limit", xy: limitSteps(x)})
			}
		}
		charts := []chart{acc, ref}
		if len(lim.lines) > 0 {
			charts = append(charts, lim)
		}
		var end float64
		for _, x := range runs {
			end = max(end, x.Elapsed.Seconds())
		}
		for i := range charts {
			charts[i].xMax = end
		}
		file := filepath.Join(r.plotDir, "adaptive-"+sc.Name+".png")
		if err := writePNG(file, 1, 7*vg.Inch, 2.6*vg.Inch, retitle(charts, sc.Title)...); err != nil {
			return err
		}
	}
	return nil
}

// retitle prefixes the first chart's title with the scenario's.
func retitle(cs []chart, title string) []chart {
	cs[0].title = title + ": " + strings.ToLower(cs[0].title[:1]) + cs[0].title[1:]
	return cs
}

func perSecond(counts []int, bucket float64) plotter.XYs {
	xy := make(plotter.XYs, 0, len(counts))
	for i, c := range counts[:max(len(counts)-1, 0)] { // the last bucket is partial
		xy = append(xy, plotter.XY{X: (float64(i) + 0.5) * bucket, Y: float64(c) / bucket})
	}
	return xy
}

// limitSteps is the limit as a step function.
func limitSteps(x scenario.CapRun) plotter.XYs {
	var xy plotter.XYs
	for i, s := range x.Limit {
		if i > 0 {
			xy = append(xy, plotter.XY{X: s.At.Seconds(), Y: float64(x.Limit[i-1].Limit)})
		}
		xy = append(xy, plotter.XY{X: s.At.Seconds(), Y: float64(s.Limit)})
	}
	if n := len(x.Limit); n > 0 {
		xy = append(xy, plotter.XY{X: x.Elapsed.Seconds(), Y: float64(x.Limit[n-1].Limit)})
	}
	return xy
}

// capSteps is the server's cap as a step function.
func capSteps(x scenario.CapRun) plotter.XYs {
	xy := plotter.XYs{{X: 0, Y: float64(x.Load.Cap)}}
	cur := x.Load.Cap
	for _, c := range x.Load.Changes {
		xy = append(xy, plotter.XY{X: c.At.Seconds(), Y: float64(cur)}, plotter.XY{X: c.At.Seconds(), Y: float64(c.Cap)})
		cur = c.Cap
	}
	return append(xy, plotter.XY{X: x.Elapsed.Seconds(), Y: float64(cur)})
}
