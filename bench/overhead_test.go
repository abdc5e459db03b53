package bench

import "testing"

// BenchmarkOverhead measures what each client of Variants adds to one call
// when the network is taken away: every client runs over the in-memory
// base of BenchmarkClassify answering SuccessBody, "bare" being that base
// alone. Free of network and scheduling noise, it isolates the clients' own
// CPU and allocations; what a client changes in how net/http writes the
// request does not show here, only in BenchmarkHappyPath.
func BenchmarkOverhead(b *testing.B) {
	tp := NewTracerProvider()
	defer Shutdown(tp)
	const url = "http://127.0.0.1:1/rest/sms/create"
	for _, v := range Variants {
		rt := v.New(newStub(SuccessBody), tp)
		b.Run(v.Name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				resp, err := rt.RoundTrip(newCreate(url))
				if err != nil {
					b.Fatal(err)
				}
				drain(resp)
			}
		})
	}
}
