package main

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// result is one benchmark line: the figures of one sub-benchmark in one
// round.
type result struct {
	ns, cpu, bytes, allocs float64            // cpu: the cpu-ns/op metric, 0 if none
	extra                  map[string]float64 // other metrics, by unit
}

// round is one run of the benchmark binary: every sub-benchmark once.
type round map[string]result

// readRounds parses every file matching pattern, each one round of `go
// test -bench` output, in name order.
func readRounds(pattern string) ([]round, error) {
	files, err := filepath.Glob(pattern)
	if err != nil {
		return nil, err
	}
	slices.Sort(files)
	var rounds []round
	for _, f := range files {
		r, err := readRound(f)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		if len(r) > 0 {
			rounds = append(rounds, r)
		}
	}
	return rounds, nil
}

func readRound(file string) (round, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := round{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		name, res, ok := parseLine(sc.Text())
		if ok {
			r[name] = res
		}
	}
	return r, sc.Err()
}

// parseLine reads "BenchmarkX/y-2  N  123 ns/op  45 B/op  6 allocs/op",
// dropping the -GOMAXPROCS suffix of the name.
func parseLine(line string) (string, result, bool) {
	f := strings.Fields(line)
	if len(f) < 4 || !strings.HasPrefix(f[0], "Benchmark") {
		return "", result{}, false
	}
	name := strings.TrimPrefix(f[0], "Benchmark")
	if i := strings.LastIndexByte(name, '-'); i > 0 {
		if _, err := strconv.Atoi(name[i+1:]); err == nil {
			name = name[:i]
		}
	}
	var r result
	seen := false
	for i := 2; i+1 < len(f); i += 2 {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			r.ns, seen = v, true
		case "cpu-ns/op":
			r.cpu = v
		case "B/op":
			r.bytes = v
		case "allocs/op":
			r.allocs = v
		default:
			if r.extra == nil {
				r.extra = map[string]float64{}
			}
			r.extra[f[i+1]] = v
		}
	}
	return name, r, seen
}

// stat is a figure over rounds: its median and its range.
type stat struct {
	med, lo, hi float64
	q1, q3      float64 // the quartiles
	n           int
}

func newStat(v []float64) stat {
	if len(v) == 0 {
		return stat{}
	}
	s := slices.Clone(v)
	slices.Sort(s)
	m := s[len(s)/2]
	if len(s)%2 == 0 {
		m = (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	q := func(f float64) float64 { return s[int(f*float64(len(s)-1)+0.5)] }
	return stat{med: m, lo: s[0], hi: s[len(s)-1], q1: q(0.25), q3: q(0.75), n: len(s)}
}

// series collects f over the rounds in which every named benchmark ran.
func series(rounds []round, f func(round) float64, names ...string) stat {
	var v []float64
	for _, r := range rounds {
		ok := true
		for _, n := range names {
			if _, in := r[n]; !in {
				ok = false
			}
		}
		if ok {
			v = append(v, f(r))
		}
	}
	return newStat(v)
}

// ns, allocs and bytes are the medians of one benchmark's figures.
func ns(rounds []round, name string) stat {
	return series(rounds, func(r round) float64 { return r[name].ns }, name)
}

func allocs(rounds []round, name string) stat {
	return series(rounds, func(r round) float64 { return r[name].allocs }, name)
}

// metric is the median of one benchmark's custom metric.
func metric(rounds []round, name, unit string) stat {
	return series(rounds, func(r round) float64 { return r[name].extra[unit] }, name)
}

func bytesPerOp(rounds []round, name string) stat {
	return series(rounds, func(r round) float64 { return r[name].bytes }, name)
}

// ratio is a/b of ns/op, computed within each round, then summarized: the
// figure the machines' noise leaves comparable.
func ratio(rounds []round, a, b string) stat {
	return series(rounds, func(r round) float64 { return r[a].ns / r[b].ns }, a, b)
}

// cpuRatio is ratio of the cpu-ns/op metric.
func cpuRatio(rounds []round, a, b string) stat {
	return series(rounds, func(r round) float64 {
		if r[b].cpu == 0 {
			return 0
		}
		return r[a].cpu / r[b].cpu
	}, a, b)
}

// diff is a-b of ns/op within each round.
func diff(rounds []round, a, b string) stat {
	return series(rounds, func(r round) float64 { return r[a].ns - r[b].ns }, a, b)
}
