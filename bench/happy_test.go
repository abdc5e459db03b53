package bench

import (
	"flag"
	"net/http"
	"testing"
)

// rotate starts BenchmarkHappyPath at another variant in each round of
// scripts/bench.sh, so that no client always runs first or last.
var rotate = flag.Int("rotate", 0, "start BenchmarkHappyPath at this variant, wrapping around")

// BenchmarkHappyPath measures one single SMS create answered code 0,
// through each client of Variants, from b.RunParallel's goroutines, over a
// fresh tuned bare transport per client. Compare each sub-benchmark with
// "bare" of the same run. The -rotate flag changes the order.
func BenchmarkHappyPath(b *testing.B) {
	srv := NewHappyServer()
	defer srv.Close()
	tp := NewTracerProvider()
	defer Shutdown(tp)
	url := srv.URL + "/rest/sms/create"
	for i := range Variants {
		v := Variants[(i+max(*rotate, 0))%len(Variants)]
		b.Run(v.Name, func(b *testing.B) {
			base := NewBareTransport()
			defer base.CloseIdleConnections()
			client := &http.Client{Transport: v.New(base, tp)}
			b.ReportAllocs()
			b.ResetTimer()
			cpu := cpuTime()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := call(client, url); err != nil {
						b.Error(err)
						return
					}
				}
			})
			reportCPU(b, cpu)
		})
	}
}
