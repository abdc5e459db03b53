// Package redistest runs real redis-server processes for tests and
// examples, as net/http/httptest runs HTTP servers: each on a free loopback
// port with a temporary directory and no persistence, with the means to
// kill, restart, pause and resume it, and a Proxy that slows or cuts the
// network between a client and the server.
//
// In a test, Start runs a server that the test's cleanup stops:
//
//	srv := redistest.Start(t)
//	fleet, err := redisfleet.New(redisfleet.Config{Addr: srv.Addr()})
//
// Elsewhere, NewServer runs one that Close stops.
//
// The redis-server binary is looked up on PATH (scripts/redis.sh installs
// it). When it is absent, Start and Require skip the test with a message,
// or fail it when the environment variable CI is "true"; NewServer returns
// ErrNotFound.
package redistest

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// ErrNotFound reports that redis-server is not on PATH.
var ErrNotFound = errors.New("redis-server is not on PATH")

// Server is one redis-server process: Start's is stopped by the test's
// cleanup, NewServer's by Close.
type Server struct {
	t    testing.TB // Start's test; nil for NewServer's
	bin  string
	dir  string
	own  bool // dir is the server's own, removed by Close
	port int

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *lockedBuffer
}

// Binary returns the path of redis-server, or ErrNotFound.
func Binary() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", ErrNotFound
	}
	return bin, nil
}

// Require skips t when redis-server is not on PATH, saying how to install
// it, or fails t when the environment variable CI is "true".
func Require(t testing.TB) {
	t.Helper()
	require(t)
}

func require(t testing.TB) string {
	t.Helper()
	bin, err := Binary()
	if err == nil {
		return bin
	}
	msg := "redis-server is not on PATH: run scripts/redis.sh (it installs Debian's redis-server) to run the tests against a real Redis"
	if os.Getenv("CI") == "true" {
		t.Fatal(msg)
	}
	t.Skip(msg)
	return ""
}

// Start runs a redis-server on a free loopback port and waits until it
// answers PING. The test's cleanup kills it. Without redis-server on PATH,
// Start skips or fails t as Require does.
func Start(t testing.TB) *Server {
	t.Helper()
	s := &Server{t: t, bin: require(t), dir: t.TempDir()}
	if err := s.first(); err != nil {
		t.Fatalf("redistest: cannot start redis-server: %v", err)
	}
	t.Cleanup(func() { s.stop(syscall.SIGKILL) })
	return s
}

// NewServer runs a redis-server on a free loopback port, in a temporary
// directory of its own, and waits until it answers PING. The caller stops
// it with Close. It returns ErrNotFound when redis-server is not on PATH.
//
// A server from NewServer has no test to report to: its Kill, Restart,
// Pause and Resume panic where Start's would fail the test.
func NewServer() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redistest-")
	if err != nil {
		return nil, err
	}
	s := &Server{bin: bin, dir: dir, own: true}
	if err := s.first(); err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("redistest: cannot start redis-server: %w", err)
	}
	return s, nil
}

// first starts the process on a free port, trying a few ports in case
// another process takes one first.
func (s *Server) first() error {
	var err error
	for range 5 {
		if s.port, err = freePort(); err != nil {
			continue
		}
		if err = s.start(); err == nil {
			return nil
		}
	}
	return err
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Version returns the version redis-server reports, such as "7.0.15", or
// "" when it does not say.
func (s *Server) Version() string {
	out, err := exec.Command(s.bin, "--version").Output()
	if err != nil {
		return ""
	}
	for _, f := range strings.Fields(string(out)) {
		if v, ok := strings.CutPrefix(f, "v="); ok {
			return v
		}
	}
	return ""
}

// Kill ends the process with SIGKILL and waits for it to exit. Its data is
// gone: the server keeps nothing on disk.
func (s *Server) Kill() {
	if s.t != nil {
		s.t.Helper()
	}
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGKILL)
	<-done
	s.mu.Lock()
	s.cmd = nil
	s.mu.Unlock()
}

// Restart starts an empty server on the same port after Kill.
func (s *Server) Restart() {
	if s.t != nil {
		s.t.Helper()
	}
	var err error
	for range 50 {
		if err = s.start(); err == nil {
			return
		}
		time.Sleep(20 * time.Millisecond) // the port is briefly busy after a kill
	}
	s.fatalf("redistest: cannot restart redis-server on port %d: %v", s.port, err)
}

// Pause stops the process with SIGSTOP: connections stay open and nothing
// answers.
func (s *Server) Pause() { s.signal(syscall.SIGSTOP) }

// Resume continues a paused process with SIGCONT.
func (s *Server) Resume() { s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) {
	if s.t != nil {
		s.t.Helper()
	}
	s.mu.Lock()
	cmd := s.cmd
	s.mu.Unlock()
	if cmd == nil {
		s.fatalf("redistest: the server is not running")
	}
	if err := cmd.Process.Signal(sig); err != nil {
		s.fatalf("redistest: %v: %v", sig, err)
	}
}

// fatalf fails Start's test, or panics for NewServer's server.
func (s *Server) fatalf(format string, args ...any) {
	if s.t == nil {
		panic(fmt.Sprintf(format, args...))
	}
	s.t.Helper()
	s.t.Fatalf(format, args...)
}

// Log returns what the server printed.
func (s *Server) Log() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.out == nil {
		return ""
	}
	return s.out.String()
}

// Close ends the server (SIGTERM, then SIGKILL after 5 s), waits for it to
// exit and removes the directory NewServer made for it. It may be called
// more than once, and after Kill.
func (s *Server) Close() {
	s.stop(syscall.SIGTERM)
	if s.own {
		_ = os.RemoveAll(s.dir)
	}
}

func (s *Server) start() error {
	out := &lockedBuffer{}
	cmd := exec.Command(s.bin,
		"--port", strconv.Itoa(s.port), "--bind", "127.0.0.1",
		"--save", "", "--appendonly", "no", "--dir", s.dir,
		"--daemonize", "no", "--loglevel", "warning")
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Start(); err != nil {
		return err
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if err := ping(s.Addr(), cmd.Process.Pid); err == nil {
			break
		} else if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			<-done
			return fmt.Errorf("no PONG within 10 s: %v; log: %s", err, out.String())
		}
		select {
		case <-done:
			return fmt.Errorf("redis-server exited: %s", out.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	s.mu.Lock()
	s.cmd, s.done, s.out = cmd, done, out
	s.mu.Unlock()
	return nil
}

// stop continues the process if it is paused, sends it sig and waits for
// it to exit, killing it after 5 s.
func (s *Server) stop(sig syscall.Signal) {
	s.mu.Lock()
	cmd, done := s.cmd, s.done
	s.cmd = nil
	s.mu.Unlock()
	if cmd == nil {
		return
	}
	_ = cmd.Process.Signal(syscall.SIGCONT)
	_ = cmd.Process.Signal(sig)
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		_ = cmd.Process.Kill()
		<-done
	}
}

// ping sends PING in the inline protocol, expects +PONG, and checks with
// INFO that the server answering is the process pid, not one that had the
// port first.
func ping(addr string, pid int) error {
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(time.Second))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	r := bufio.NewReader(c)
	line, err := r.ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("unexpected answer %q", line)
	}
	if _, err := c.Write([]byte("INFO server\r\n")); err != nil {
		return err
	}
	head, err := r.ReadString('\n')
	if err != nil || len(head) < 4 || head[0] != '$' {
		return fmt.Errorf("unexpected INFO answer %q: %v", head, err)
	}
	n, err := strconv.Atoi(strings.TrimSpace(head[1:]))
	if err != nil {
		return err
	}
	body := make([]byte, n+2)
	if _, err := io.ReadFull(r, body); err != nil {
		return err
	}
	if !strings.Contains(string(body), "process_id:"+strconv.Itoa(pid)+"\r\n") {
		return errors.New("another server answers on the port")
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}
