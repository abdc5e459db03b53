// Command report runs the measured scenarios of the benchmark suite, reads
// the benchmark rounds that scripts/bench.sh wrote, and writes the results
// as Markdown: the machine, the Go version and the date, the targets met or
// missed, then a table per measurement with every time as a ratio to the
// floor measured in the same round.
//
// Usage (from bench/):
//
//	go run ./cmd/report -bench 'results/round-*.txt' -o RESULTS.md
//
// It prints the Markdown too. -scenarios=false skips the scenarios; the
// other flags size them. Every run is saved (-save); -saved writes the report
// again from a saved run and the rounds, measuring nothing:
//
//	go run ./cmd/report -saved results/run.json
//
// With -only as well, it measures the named adaptive-limit scenarios again
// (say, after a run that other processes disturbed) and saves them into the
// saved run:
//
//	go run ./cmd/report -saved results/run.json -only changing,bulk
package main

import (
	"bytes"
	"cmp"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/resilient-sms/resilient/bench"
	"github.com/resilient-sms/resilient/bench/scenario"
)

func main() {
	var (
		pattern   = flag.String("bench", "results/round-*.txt", "glob of benchmark outputs, one file per round")
		out       = flag.String("o", "RESULTS.md", "Markdown file to write; empty: print only")
		profiles  = flag.String("profiles", "results", "directory of the profile excerpts (profile-*.txt) to append")
		notes     = flag.String("notes", "NOTES.md", "Markdown file of notes on the targets to include, if it exists")
		rev       = flag.String("rev", "", "revision of the library measured")
		benchtime = flag.String("benchtime", "", "benchtime of each round, for the notes")
		load      = flag.String("load", "", "the machine's load averages during the run, for the notes")
		gbench    = flag.String("growthbenchtime", "", "benchtime of each growth round, for the notes")
		runScen   = flag.Bool("scenarios", true, "run the scenarios (writes per call, outage, goodput, adaptive limit)")
		only      = flag.String("only", "", "run only the adaptive-limit scenarios named (comma-separated: throttle, changing, shared, bulk); with -saved, run them again into the saved run")
		growth    = flag.String("growth", "results/growth-*.txt", "glob of the growth suite's outputs, one file per round")
		locks     = flag.String("locks", "results/locks.txt", "the growth suite's output with -locks on")
		plots     = flag.String("plots", "plots", "directory to write the pictures to; empty: none")
		saveTo    = flag.String("save", "results/run.json", "file to save the run's figures to, for -saved")
		saved     = flag.String("saved", "", "write the report from this saved run, measuring nothing")
		calls     = flag.Int("calls", 1000, "outage: logical calls")
		workers   = flag.Int("workers", 16, "outage: goroutines")
		messages  = flag.Int("messages", 20000, "throttle: creates")
		senders   = flag.Int("senders", 64, "throttle: goroutines")
		capacity  = flag.Int("cap", 20, "throttle: the server's cap on messages in flight")
		reps      = flag.Int("reps", 3, "throttle and bulk: repetitions of the whole scenario, the oracle's run included; the targets take the median share")
		process   = flag.Duration("processing", 10*time.Millisecond, "adaptive-limit scenarios: the server's processing time per create")
	)
	flag.Parse()

	rounds, err := readRounds(*pattern)
	if err != nil {
		fail(err)
	}
	growthRounds, err := readRounds(*growth)
	if err != nil {
		fail(err)
	}
	lockRounds, err := readRounds(*locks)
	if err != nil {
		fail(err)
	}
	rep := report{
		machine:   describeMachine(),
		date:      time.Now().UTC(),
		rev:       *rev,
		benchtime: *benchtime,
		gbench:    *gbench,
		loadavg:   *load,
		rounds:    rounds,
		growth:    growthRounds,
		locks:     lockRounds,
		plotDir:   *plots,
		plotLink:  *plots,
	}
	switch {
	case *saved != "" && *only != "":
		// Measure again the named adaptive-limit scenarios only, keeping
		// the rest of the saved run, and save it back.
		if err := rep.load(*saved); err != nil {
			fail(err)
		}
		if rep.capped == nil {
			rep.capped = map[string][]scenario.CapRun{}
		}
		runCapped(&rep, *only, *process, *messages, *senders, *capacity, *reps)
		if err := rep.save(*saved); err != nil {
			fail(err)
		}
	case *saved != "":
		if err := rep.load(*saved); err != nil {
			fail(err)
		}
	case *runScen:
		tp := bench.NewTracerProvider()
		rep.writes = map[string]float64{}
		for _, v := range bench.Variants {
			rep.writes[v.Name] = scenario.WritesPerCall(v, tp, 200)
		}
		bench.Shutdown(tp)
		for _, c := range scenario.OutageClients {
			log("outage: %s", c.Name)
			rep.outage = append(rep.outage, scenario.Outage(c, *calls, *workers))
		}
		rep.capped = map[string][]scenario.CapRun{}
		runCapped(&rep, *only, *process, *messages, *senders, *capacity, *reps)
	}
	if *saved == "" && *saveTo != "" {
		if err := rep.save(*saveTo); err != nil {
			fail(err)
		}
	}
	if *profiles != "" {
		files, _ := filepath.Glob(filepath.Join(*profiles, "profile-*.txt"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil {
				rep.profiles = append(rep.profiles, profile{name: filepath.Base(f), text: string(b)})
			}
		}
	}

	if b, err := os.ReadFile(*notes); err == nil {
		rep.notes = string(b)
	}

	if rep.plotDir != "" {
		if err := rep.writeCappedPlots(); err != nil {
			fail(err)
		}
		if err := rep.writeGrowthPlots(); err != nil {
			fail(err)
		}
	}

	var buf bytes.Buffer
	rep.write(&buf)
	os.Stdout.Write(buf.Bytes())
	if *out != "" {
		if err := os.WriteFile(*out, buf.Bytes(), 0o644); err != nil {
			fail(err)
		}
	}
}

// runCapped runs the adaptive-limit scenarios named in only (all when it
// is empty) into rep, replacing their earlier runs. The throttle and bulk
// scenarios run reps times, each repetition with its own oracle run; the
// repetitions are kept under "throttle", "throttle#2" and so on, the first
// being the one whose adaptive share is the median (its table and pictures
// stand for the scenario).
func runCapped(rep *report, only string, process time.Duration, messages, senders, capacity, reps int) {
	for _, sc := range scenario.Scenarios {
		if only != "" && !slices.Contains(strings.Split(only, ","), sc.Name) {
			continue
		}
		sc.Load.Processing = process
		if sc.Name == "throttle" {
			sc.Load.Messages, sc.Load.Senders, sc.Load.Cap = messages, senders, capacity
		}
		n := 1
		if sc.Name == "throttle" || sc.Name == "bulk" {
			n = max(reps, 1)
		}
		var all [][]scenario.CapRun
		for i := range n {
			var runs []scenario.CapRun
			for _, c := range sc.Clients {
				log("%s (%d/%d): %s", sc.Name, i+1, n, c.Name)
				runs = append(runs, scenario.RunCapped(c, sc.Load))
			}
			all = append(all, runs)
		}
		slices.SortStableFunc(all, func(a, b []scenario.CapRun) int {
			return cmp.Compare(adaptiveShare(a), adaptiveShare(b))
		})
		mid := all[len(all)/2]
		all = append([][]scenario.CapRun{mid}, slices.Delete(all, len(all)/2, len(all)/2+1)...)
		for k := range rep.capped { // earlier repetitions of the scenario
			if strings.HasPrefix(k, sc.Name+"#") {
				delete(rep.capped, k)
			}
		}
		for i, runs := range all {
			key := sc.Name
			if i > 0 {
				key = fmt.Sprintf("%s#%d", sc.Name, i+1)
			}
			rep.capped[key] = runs
		}
	}
}

func adaptiveShare(runs []scenario.CapRun) float64 {
	x, _ := find(runs, scenario.Adaptive.Name)
	return share(runs, x)
}

func log(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "report: "+format+"\n", args...)
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "report:", err)
	os.Exit(1)
}
