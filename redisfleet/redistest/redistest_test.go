package redistest

import (
	"errors"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewServerClose(t *testing.T) {
	Require(t)
	s, err := NewServer()
	if err != nil {
		t.Fatal(err)
	}
	if s.Version() == "" {
		t.Error("no version")
	}
	if err := ping(s.Addr(), s.cmd.Process.Pid); err != nil {
		t.Fatalf("the server does not answer: %v", err)
	}
	dir := s.dir
	s.Close()
	s.Close()
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the server answers after Close")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("its directory %s is still there: %v", dir, err)
	}
}

func TestNotFound(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := NewServer(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("NewServer without redis-server: %v, want ErrNotFound", err)
	}
}

// TestKillRestartPause: a killed server is gone until Restart brings up an
// empty one on the same port; a paused one keeps the connection and does
// not answer until Resume.
func TestKillRestartPause(t *testing.T) {
	s := Start(t)
	addr := s.Addr()
	s.Kill()
	if c, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		c.Close()
		t.Fatal("the server answers after Kill")
	}
	s.Restart()
	if s.Addr() != addr {
		t.Fatalf("restarted on %s, want %s", s.Addr(), addr)
	}
	c, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		t.Fatalf("the restarted server does not answer: %v", err)
	}
	defer c.Close()
	s.Pause()
	_ = c.SetDeadline(time.Now().Add(200 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if n, err := c.Read(buf); err == nil {
		t.Fatalf("a paused server answered %q", buf[:n])
	}
	s.Resume()
	_ = c.SetDeadline(time.Now().Add(5 * time.Second))
	n, err := c.Read(buf)
	if err != nil || !strings.HasPrefix(string(buf[:n]), "+PONG") {
		t.Fatalf("after Resume: %q, %v; want the PONG", buf[:n], err)
	}
}
