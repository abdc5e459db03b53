package notificoretest

import (
	"fmt"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// resultCode returns the code of a single create answer (top-level or
// wrapped), or -1.
func resultCode(a answer) int {
	if _, top := a.obj["error"]; top {
		n, _, _ := codeOf(a.obj)
		return n
	}
	if m, ok := a.obj["result"].(map[string]any); ok {
		if n, _, ok := codeOf(m); ok {
			return n
		}
	}
	return -1
}

// hammer runs n senders at once and counts the codes they get.
func hammer(t *testing.T, n int, sendOne func(i int) (answer, error)) map[int]int {
	t.Helper()
	var mu sync.Mutex
	got := make(map[int]int)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			a, err := sendOne(i)
			if err != nil {
				t.Errorf("sender %d: %v", i, err)
				return
			}
			mu.Lock()
			got[resultCode(a)]++
			mu.Unlock()
		})
	}
	wg.Wait()
	return got
}

func TestConcurrentSameReference(t *testing.T) {
	srv := NewServer(WithProcessingTime(5 * time.Millisecond))
	defer srv.Close()
	got := hammer(t, 40, func(int) (answer, error) {
		return trySend(srv.Client(), http.MethodPut, srv.RESTURL()+"/sms/create", "k", single("37060000001", "once"))
	})
	if got[0] != 1 || got[23] != 39 || srv.Accepted() != 1 {
		t.Fatalf("codes %v, Accepted %d; want one 0 and 39 × 23", got, srv.Accepted())
	}
}

func TestConcurrentBalance(t *testing.T) {
	srv := NewServer(WithBalance("k", 10))
	defer srv.Close()
	got := hammer(t, 30, func(i int) (answer, error) {
		return trySend(srv.Client(), http.MethodPost, srv.RESTURL()+"/sms/create", "k", single("37060000001", "r"+strconv.Itoa(i)))
	})
	if got[0] != 10 || got[8] != 20 || srv.Accepted() != 10 {
		t.Fatalf("codes %v, Accepted %d; want 10 × 0 and 20 × 8", got, srv.Accepted())
	}
}

// Many goroutines use every endpoint while others script faults, change
// accounts and read the log; the counters must add up.
func TestConcurrentMixed(t *testing.T) {
	const workers, each = 16, 10
	srv := NewServer()
	defer srv.Close()
	var sent, accepted atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			hc, url := srv.Client(), srv.RESTURL()
			for i := range each {
				ref := fmt.Sprintf("w%di%d", w, i)
				var a answer
				var err error
				switch i % 4 {
				case 0:
					a, err = trySend(hc, http.MethodPut, url+"/sms/create", "k", single("37060000001", ref))
				case 1:
					a, err = trySend(hc, http.MethodPut, url+"/viber/create", "k", viber("hi", phone{"37060000001", ref}))
				case 2:
					a, err = trySend(hc, http.MethodPut, url+"/hlr/create", "k", hlr(phone{"37060000001", ref}))
				case 3:
					a, err = trySend(hc, http.MethodGet, url+"/common/balance", "k", nil)
				}
				sent.Add(1)
				if err != nil {
					t.Errorf("worker %d: %v", w, err)
					continue
				}
				if i%4 != 3 && resultCode(a) == 0 {
					accepted.Add(1)
				}
				if len(a.list) == 1 {
					if m, _ := a.list[0].(map[string]any); m["id"] != nil {
						accepted.Add(1)
					}
				}
			}
		})
	}
	wg.Go(func() {
		for i := range 20 {
			srv.Script(Fault{Path: "/common/balance", Status: 503})
			srv.SetBalance(fmt.Sprintf("other%d", i), i)
			_ = srv.Log()
			_ = srv.Messages()
		}
	})
	wg.Wait()

	if srv.Requests() != int(sent.Load()) || srv.Accepted() != int(accepted.Load()) {
		t.Fatalf("Requests %d (sent %d), Accepted %d (seen %d)", srv.Requests(), sent.Load(), srv.Accepted(), accepted.Load())
	}
	// Ids are unique and increase in acceptance order.
	prev := 0
	for _, m := range srv.Messages() {
		id, err := strconv.Atoi(m.ID)
		if err != nil || id <= prev {
			t.Fatalf("id %q after %d", m.ID, prev)
		}
		prev = id
	}
}
