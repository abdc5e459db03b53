package main

import (
	"encoding/json"
	"os"
	"time"

	"github.com/resilient-sms/resilient/bench/scenario"
)

// savedRun is what a run measured besides the benchmark rounds, kept so that
// the report can be written again (after editing NOTES.md, say) without
// measuring again.
type savedRun struct {
	Machine   machine
	Date      time.Time
	Rev       string
	Benchtime string
	Writes    map[string]float64
	Outage    []scenario.Amplification
	Goodput   []scenario.Goodput
	Capped    map[string][]scenario.CapRun
	Load      string // the machine's load averages
	GrowthBT  string // benchtime of the growth rounds
}

func (r *report) save(file string) error {
	b, err := json.MarshalIndent(savedRun{r.machine, r.date, r.rev, r.benchtime, r.writes, r.outage, r.goodput, r.capped, r.loadavg, r.gbench}, "", "\t")
	if err != nil {
		return err
	}
	return os.WriteFile(file, b, 0o644)
}

func (r *report) load(file string) error {
	b, err := os.ReadFile(file)
	if err != nil {
		return err
	}
	var s savedRun
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	r.machine, r.date, r.rev, r.benchtime = s.Machine, s.Date, s.Rev, s.Benchtime
	r.writes, r.outage, r.goodput, r.capped = s.Writes, s.Outage, s.Goodput, s.Capped
	if s.Load != "" {
		r.loadavg = s.Load
	}
	if s.GrowthBT != "" {
		r.gbench = s.GrowthBT
	}
	return nil
}
