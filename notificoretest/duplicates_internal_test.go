package notificoretest

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// setClock is a Clock whose time a test sets; its After is never due.
type setClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *setClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *setClock) After(time.Duration) <-chan time.Time { return nil }

func (c *setClock) set(t time.Time) {
	c.mu.Lock()
	c.now = t
	c.mu.Unlock()
}

// Originals leave the log once their window has passed.
func TestDuplicateLogPruned(t *testing.T) {
	clk := &setClock{now: time.Unix(1e9, 0)}
	srv := Start(t, WithDuplicateWindow(time.Minute), WithClock(clk))
	srv.mu.Lock()
	defer srv.mu.Unlock()
	a := srv.ensureLocked("k")
	for i := range 10 {
		if srv.duplicateLocked(a, "p", []byte(fmt.Sprint(i))) {
			t.Fatalf("body %d taken for a copy", i)
		}
	}
	if !srv.duplicateLocked(a, "p", []byte("3")) {
		t.Fatal("a copy inside the window passed")
	}
	clk.set(clk.Now().Add(time.Minute))
	if srv.duplicateLocked(a, "p", []byte("3")) {
		t.Fatal("a copy after the window was refused")
	}
	if len(a.dups.seen) != 1 || len(a.dups.order) != 1 {
		t.Fatalf("%d seen, %d in order after the window, want 1 1", len(a.dups.seen), len(a.dups.order))
	}
}
