package resilient

import (
	"errors"
	"net/http"
	"testing"
	"time"
)

func TestWindowCounts(t *testing.T) {
	// Ten buckets of 3 s: an attempt leaves the window between 27 s and 30 s
	// after it, as its bucket ages out; t0 starts a bucket.
	const span = 30 * time.Second
	t0 := time.Unix(3*566_666_667, 0)
	tests := []struct {
		name         string
		adds         []time.Duration // offsets from t0; even index healthy, odd failed
		at           time.Duration
		wantOK, want uint64
	}{
		{"empty", nil, 0, 0, 0},
		{"same bucket", []time.Duration{0, time.Second}, 2 * time.Second, 1, 1},
		{"within the span", []time.Duration{0, 10 * time.Second}, 29 * time.Second, 1, 1},
		{"a late add in the first bucket lasts as long", []time.Duration{2 * time.Second}, 29 * time.Second, 1, 0},
		{"oldest bucket leaves", []time.Duration{0, 10 * time.Second}, 30 * time.Second, 0, 1},
		{"all left", []time.Duration{0, 10 * time.Second}, 40 * time.Second, 0, 0},
		{"a bucket reused a span later", []time.Duration{0, 0, 30 * time.Second}, 31 * time.Second, 1, 0},
		{"clock went back", []time.Duration{10 * time.Second, 10 * time.Second}, 0, 0, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			w := newWindow(span)
			for i, d := range tt.adds {
				w.add(t0.Add(d), i%2 == 1)
			}
			ok, fail := w.counts(t0.Add(tt.at))
			if ok != tt.wantOK || fail != tt.want {
				t.Errorf("counts %d healthy, %d failed; want %d, %d", ok, fail, tt.wantOK, tt.want)
			}
		})
	}
}

func TestWindowSaturates(t *testing.T) {
	w := newWindow(time.Second)
	now := time.Unix(0, 0)
	for range countMax + 5 {
		w.add(now, true)
	}
	if _, fail := w.counts(now); fail != countMax {
		t.Errorf("failed count %d, want it held at %d", fail, countMax)
	}
}

// The host circuit counts failures within its Window only: failures spread
// wider than the window never reach MinRequests together.
func TestHostCircuitWindowExpiry(t *testing.T) {
	tests := []struct {
		name     string
		gap      time.Duration // between failures
		wantOpen bool
	}{
		{"failures within the window open it", time.Second, true},
		{"failures wider than the window do not", 3 * time.Second, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := newFakeClock()
			base := roundTripFunc(func(*http.Request) (*http.Response, error) {
				return response(503, `{"message":"Service Unavailable"}`), nil
			})
			var ev events
			rt := NewTransport(base, withClock(clk), WithMaxAttempts(1), WithCircuitListener(ev.add),
				WithHostCircuit(HostCircuit{Window: 10 * time.Second, MinRequests: 5}))
			for i := range 8 {
				resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "https://api.test/rest/common/balance", "", testKey))
				if errors.Is(err, ErrCircuitOpen) {
					break
				}
				if err != nil {
					t.Fatalf("call %d: %v", i, err)
				}
				readAll(t, resp)
				clk.Advance(tt.gap)
			}
			if got := ev.count(ScopeHost, StateOpen) == 1; got != tt.wantOpen {
				t.Errorf("host circuit opened: %v, want %v (%+v)", got, tt.wantOpen, ev.all)
			}
		})
	}
}
