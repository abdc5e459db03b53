package bench

import (
	"net/http"
	"testing"
)

// BenchmarkClassify measures what the transport adds to an in-memory base
// for one answer: reading it, classifying it and handing it back. For each
// answer, "stub" is the base alone and "resilient" the transport over it;
// their difference is the transport's cost, free of network noise. The
// error answer carries a permanent code, so that every call makes one
// attempt.
func BenchmarkClassify(b *testing.B) {
	for _, c := range Answers {
		base := newStub(c.Body)
		rts := []struct {
			name string
			rt   http.RoundTripper
		}{{"stub", base}, {"resilient", Resilient(base)}}
		for _, r := range rts {
			b.Run(c.Name+"/"+r.name, func(b *testing.B) {
				req := newCreate("http://127.0.0.1:1/rest/sms/create")
				b.ReportAllocs()
				for b.Loop() {
					resp, err := r.rt.RoundTrip(req)
					if err != nil {
						b.Fatal(err)
					}
					drain(resp)
				}
			})
		}
	}
}
