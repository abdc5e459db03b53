package redistest

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Proxy forwards loopback TCP connections to a server, delaying every chunk
// of data by the same delay in both directions: a slow Redis.
type Proxy struct {
	l      net.Listener
	target string
	delay  atomic.Int64
	wg     sync.WaitGroup

	mu    sync.Mutex
	conns map[net.Conn]bool
	done  bool
	cut   bool
}

// NewProxy starts a proxy to target, stopped by the test's cleanup.
func NewProxy(t testing.TB, target string) *Proxy {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Proxy{l: l, target: target, conns: map[net.Conn]bool{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.Close)
	return p
}

// Addr returns the proxy's host:port.
func (p *Proxy) Addr() string { return p.l.Addr().String() }

// SetDelay sets the delay every chunk of data takes from now on.
func (p *Proxy) SetDelay(d time.Duration) { p.delay.Store(int64(d)) }

// Cut closes every connection and refuses new ones until Restore: this
// side of the network is gone while the server keeps running.
func (p *Proxy) Cut() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.cut = true
	for c := range p.conns {
		_ = c.Close()
	}
}

// Restore accepts connections again after Cut.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.cut = false
	p.mu.Unlock()
}

// Close stops the proxy and its connections and waits for its goroutines.
func (p *Proxy) Close() {
	p.mu.Lock()
	if p.done {
		p.mu.Unlock()
		return
	}
	p.done = true
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	_ = p.l.Close()
	p.wg.Wait()
}

func (p *Proxy) track(c net.Conn) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.done || p.cut {
		_ = c.Close()
		return false
	}
	p.conns[c] = true
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		u, err := net.Dial("tcp", p.target)
		if err != nil {
			_ = c.Close()
			continue
		}
		if !p.track(c) || !p.track(u) {
			_ = c.Close()
			_ = u.Close()
			continue
		}
		p.wg.Add(2)
		go p.pipe(c, u)
		go p.pipe(u, c)
	}
}

type chunk struct {
	b  []byte
	at time.Time
}

// pipe copies from src to dst, each chunk no earlier than the delay after
// it was read, in order.
func (p *Proxy) pipe(src, dst net.Conn) {
	defer p.wg.Done()
	ch := make(chan chunk, 1024)
	var inner sync.WaitGroup
	inner.Add(1)
	go func() {
		defer inner.Done()
		for c := range ch {
			if d := time.Until(c.at); d > 0 {
				time.Sleep(d) // the simulated latency
			}
			if _, err := dst.Write(c.b); err != nil {
				break
			}
		}
		_ = dst.Close()
		_ = src.Close()
		for range ch {
		}
	}()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			ch <- chunk{b: append([]byte(nil), buf[:n]...), at: time.Now().Add(time.Duration(p.delay.Load()))}
		}
		if err != nil {
			if err != io.EOF {
				_ = dst.Close()
			}
			break
		}
	}
	close(ch)
	inner.Wait()
	p.mu.Lock()
	delete(p.conns, src)
	delete(p.conns, dst)
	p.mu.Unlock()
}
