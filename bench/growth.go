package bench

import (
	"fmt"
	"strings"
)

// The points of the growth suite, BenchmarkGrowth (growth_test.go), which
// cmd/report reads back by these names.

// GrowthAccounts are the numbers of distinct accounts of the sweep.
var GrowthAccounts = []int{1, 100, 10_000, 1_000_000}

// GrowthBulk are the recipients per create of the bulk sweep.
var GrowthBulk = []int{1, 2, 5, 10, 20, 50}

// GrowthCallers and GrowthProcs are the parallel sweep's callers and
// GOMAXPROCS.
var (
	GrowthCallers = []int{1, 4, 16, 64}
	GrowthProcs   = []int{1, 2}
)

// FailBody is the answer of an account without funds: code 8, which opens
// the account's circuit.
const FailBody = `{"error":8,"errorDescription":"not enough funds"}`

// BulkCreate is the body of a bulk SMS create to n recipients.
func BulkCreate(n int) string {
	var s strings.Builder
	s.WriteString(`{"destination":"phones","originator":"Shop","body":"Your code is 1234","phones":[`)
	for i := range n {
		if i > 0 {
			s.WriteByte(',')
		}
		fmt.Fprintf(&s, `{"msisdn":"+3706%07d","reference":"ref%05d"}`, i, i)
	}
	s.WriteString(`]}`)
	return s.String()
}
