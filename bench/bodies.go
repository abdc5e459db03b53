package bench

import (
	"fmt"
	"strings"
)

// Key is the API key every request of the suite carries.
const Key = "bench_key"

// SuccessBody is the answer of a single SMS create that was accepted: the
// 150-odd bytes Notificore sends on the happy path.
const SuccessBody = `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"213","price":0.02,"currency":"EUR"}}`

// CreateBody is the request body of a single SMS create.
const CreateBody = `{"destination":"phone","originator":"Shop","body":"Your code is 1234","msisdn":"+37060000001","reference":"r1"}`

// ErrorBody is a 200-byte answer carrying a permanent error code (21,
// invalid phone number) in a wrapped single result, padded with the fields
// a real answer may carry so that it is exactly 200 bytes long.
var ErrorBody = errorBody(200)

func errorBody(size int) string {
	head := `{"result":{"error":21,"errorDescription":"invalid phone number","reference":"r1","msisdn":"+37060000001","detail":"`
	tail := `"}}`
	pad := size - len(head) - len(tail)
	if pad < 0 {
		panic("bench: error body too short")
	}
	return head + strings.Repeat("x", pad) + tail
}

// BulkBody is the answer of a bulk SMS create to 50 recipients, all of
// them accepted.
var BulkBody = bulkBody(50)

func bulkBody(n int) string {
	var b strings.Builder
	b.WriteString(`{"task_id":"7","result":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"error":0,"errorDescription":"No errors","reference":"ref%05d","id":"%d","price":0.02,"currency":"EUR"}`, i, 1000+i)
	}
	fmt.Fprintf(&b, `],"total_price":%.2f,"currency":"EUR"}`, float64(n)*0.02)
	return b.String()
}

// Answers are the answers BenchmarkClassify reads, by sub-benchmark name.
var Answers = []struct{ Name, Body string }{
	{"success", SuccessBody},
	{"error200", ErrorBody},
	{"bulk50", BulkBody},
}

// SMS returns the request body of a single SMS create with reference ref.
func SMS(ref string) string {
	return `{"destination":"phone","originator":"Shop","body":"Your code is 1234","msisdn":"+37060000001","reference":"` + ref + `"}`
}
