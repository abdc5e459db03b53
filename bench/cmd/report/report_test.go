package main

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/resilient-sms/resilient/bench/scenario"
)

func TestParseLine(t *testing.T) {
	name, r, ok := parseLine("BenchmarkHappyPath/resilient+tracing-2   \t 8785\t     40756 ns/op\t   15275 B/op\t     130 allocs/op")
	if !ok || name != "HappyPath/resilient+tracing" || r.ns != 40756 || r.bytes != 15275 || r.allocs != 130 {
		t.Fatalf("got %q %+v %v", name, r, ok)
	}
	for _, l := range []string{"goos: linux", "PASS", "BenchmarkX-2 --- FAIL", ""} {
		if _, _, ok := parseLine(l); ok {
			t.Errorf("parsed %q", l)
		}
	}
}

func TestRatioWithinRounds(t *testing.T) {
	rounds := []round{
		{"a": {ns: 110}, "b": {ns: 100}},
		{"a": {ns: 240}, "b": {ns: 200}},
		{"a": {ns: 100}, "b": {ns: 100}},
		{"a": {ns: 1}}, // b missing: the round is skipped
	}
	s := ratio(rounds, "a", "b")
	if s.n != 3 || s.med != 1.1 || s.lo != 1 || s.hi != 1.2 {
		t.Fatalf("ratio = %+v", s)
	}
	if d := diff(rounds, "a", "b"); d.med != 10 {
		t.Fatalf("diff = %+v", d)
	}
}

func TestReportWithoutScenarios(t *testing.T) {
	rep := report{rounds: []round{{
		"HappyPath/bare": {ns: 100, allocs: 80}, "HappyPath/resilient": {ns: 101, allocs: 83},
		"Overhead/bare": {ns: 100, allocs: 1}, "Overhead/resilient": {ns: 1100, allocs: 4}, "Overhead/retryablehttp": {ns: 1000, allocs: 12},
	}}}
	var b bytes.Buffer
	rep.write(&b)
	for _, want := range []string{"| Happy path, tracing off: resilient ≤ 1.02× bare on the wire | 1.010× | met |",
		"| Happy path, tracing off: added CPU in memory ≤ go-retryablehttp's | 1.00 µs vs 900 ns (1.11×) | **missed**, by 11.1% |",
		"| Happy path, tracing off: ≤ +3 allocations | +3 | met |"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, b.String())
		}
	}
}

func TestSaveAndLoad(t *testing.T) {
	file := t.TempDir() + "/run.json"
	a := report{rev: "abc", benchtime: "200ms", writes: map[string]float64{"bare": 1}}
	a.machine.CPU = "cpu"
	if err := a.save(file); err != nil {
		t.Fatal(err)
	}
	var b report
	if err := b.load(file); err != nil {
		t.Fatal(err)
	}
	if b.rev != "abc" || b.benchtime != "200ms" || b.machine.CPU != "cpu" || b.writes["bare"] != 1 {
		t.Fatalf("loaded %+v", b)
	}
}

func TestMedianRunOfRepetitions(t *testing.T) {
	rep := func(oracle, adaptive, lost int) []scenario.CapRun {
		return []scenario.CapRun{
			{Client: scenario.Oracle.Name, Accepted: oracle, Elapsed: time.Second},
			{Client: scenario.Adaptive.Name, Accepted: adaptive, Elapsed: time.Second, Lost: lost},
		}
	}
	tests := []struct {
		name      string
		reps      [][]scenario.CapRun
		share     float64
		clean, ok bool
	}{
		{"one repetition", [][]scenario.CapRun{rep(100, 97, 0)}, 0.97, true, true},
		{"the median of three", [][]scenario.CapRun{rep(100, 99, 0), rep(200, 190, 0), rep(100, 94, 0)}, 0.95, true, true},
		{"a loss in any repetition", [][]scenario.CapRun{rep(100, 99, 0), rep(100, 98, 1), rep(100, 97, 0)}, 0.98, false, true},
		{"no such client", [][]scenario.CapRun{rep(100, 99, 0)[:1]}, 0, false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s, _, clean, ok := medianRun(tt.reps, scenario.Adaptive.Name)
			if ok != tt.ok || clean != tt.clean || math.Abs(s-tt.share) > 1e-9 {
				t.Errorf("share %v clean %v ok %v, want %v %v %v", s, clean, ok, tt.share, tt.clean, tt.ok)
			}
		})
	}
}
