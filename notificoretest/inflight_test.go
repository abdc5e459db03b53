package notificoretest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// watchInFlight returns a channel that receives the number of messages in
// flight every time it changes.
func watchInFlight(srv *Server) <-chan int {
	ch := make(chan int, 256)
	srv.mu.Lock()
	srv.onInFlight = func(n int) { ch <- n }
	srv.mu.Unlock()
	return ch
}

func waitFor(t *testing.T, ch <-chan int, want int) {
	t.Helper()
	timeout := time.After(time.Minute)
	for {
		select {
		case n := <-ch:
			if n == want {
				return
			}
		case <-timeout:
			t.Fatalf("in-flight count never reached %d", want)
		}
	}
}

func TestInFlightCap(t *testing.T) {
	srv := NewServer(WithMaxInFlight(3), WithProcessingTime(time.Hour))
	defer srv.Close()
	changes := watchInFlight(srv)
	hc, url := srv.Client(), srv.RESTURL()+"/sms/create"

	// Three single SMS fill the cap and stay in flight.
	ctx, cancel := context.WithCancel(context.Background())
	var holders sync.WaitGroup
	for i := range 3 {
		holders.Go(func() {
			body, _ := json.Marshal(single(fmt.Sprintf("3706000000%d", i), fmt.Sprintf("hold%d", i)))
			req, _ := http.NewRequestWithContext(ctx, http.MethodPut, url, bytes.NewReader(body))
			req.Header.Set("X-API-KEY", "k")
			if resp, err := hc.Do(req); err == nil {
				resp.Body.Close()
			}
		})
	}
	waitFor(t, changes, 3)

	// Every further create is refused at once, from many goroutines.
	var senders sync.WaitGroup
	for i := range 8 {
		senders.Go(func() {
			ref := fmt.Sprintf("extra%d", i)
			path, body := url, any(single("37060000009", ref))
			if i%2 == 1 {
				path, body = srv.RESTURL()+"/viber/create", viber("hi", phone{"37060000009", ref})
			}
			a, err := trySend(hc, http.MethodPut, path, "k", body)
			if got, _, _ := codeOf(a.obj); err != nil || got != 11 {
				t.Errorf("sender %d: %v %s, want code 11", i, err, a.raw)
			}
		})
	}
	senders.Wait()
	if status, m := api2(t, srv, "/campaigns/sms/send", login(t, srv, "k"),
		map[string]any{"phones": []string{"+37060000001"}, "text": "x"}); status != http.StatusTooManyRequests {
		t.Errorf("API 2.0 over the cap: %d %v, want 429", status, m)
	}
	if srv.InFlight() != 3 || srv.Accepted() != 0 {
		t.Fatalf("InFlight %d Accepted %d, want 3 0", srv.InFlight(), srv.Accepted())
	}

	// Clients that give up release their messages; nothing is accepted.
	cancel()
	holders.Wait()
	waitFor(t, changes, 0)
	if srv.Accepted() != 0 {
		t.Fatalf("Accepted() = %d after the holders gave up", srv.Accepted())
	}

	// Without processing time, a create up to the cap goes through; one
	// larger than the cap never does.
	srv.mu.Lock()
	srv.processing = 0
	srv.mu.Unlock()
	three := bulk(phone{"37060000001", "a"}, phone{"37060000002", "b"}, phone{"37060000003", "c"})
	if got := codes(t, send(t, hc, http.MethodPut, url, "k", three)); len(got) != 3 || got[0]+got[1]+got[2] != 0 {
		t.Fatalf("bulk of 3: %v", got)
	}
	four := bulk(phone{"37060000001", "d"}, phone{"37060000002", "e"}, phone{"37060000003", "f"}, phone{"37060000004", "g"})
	if got := topCode(t, send(t, hc, http.MethodPut, url, "k", four)); got != 11 {
		t.Fatalf("bulk of 4: code %d, want 11", got)
	}
}

func TestInFlightCapConcurrentSenders(t *testing.T) {
	const senders, limit = 24, 4
	srv := NewServer(WithMaxInFlight(limit), WithProcessingTime(20*time.Millisecond))
	defer srv.Close()
	var mu sync.Mutex
	peak := 0
	srv.mu.Lock()
	srv.onInFlight = func(n int) {
		mu.Lock()
		peak = max(peak, n)
		mu.Unlock()
	}
	srv.mu.Unlock()

	results := make([]int, senders)
	var wg sync.WaitGroup
	for i := range senders {
		wg.Go(func() {
			a, err := trySend(srv.Client(), http.MethodPost, srv.RESTURL()+"/sms/create", "k",
				single("37060000001", fmt.Sprintf("ref%d", i)))
			results[i] = -1
			if err != nil {
				t.Errorf("sender %d: %v", i, err)
				return
			}
			if _, top := a.obj["error"]; top {
				results[i], _, _ = codeOf(a.obj)
			} else if m, ok := a.obj["result"].(map[string]any); ok {
				results[i], _, _ = codeOf(m)
			}
		})
	}
	wg.Wait()
	accepted, refused := 0, 0
	for i, c := range results {
		switch c {
		case 0:
			accepted++
		case 11:
			refused++
		default:
			t.Errorf("sender %d: code %d", i, c)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if accepted+refused != senders || srv.Accepted() != accepted || accepted == 0 {
		t.Fatalf("accepted %d refused %d, server Accepted %d", accepted, refused, srv.Accepted())
	}
	if peak > limit || srv.InFlight() != 0 {
		t.Fatalf("peak in flight %d (cap %d), now %d", peak, limit, srv.InFlight())
	}
}
