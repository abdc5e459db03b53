package redisserver

import (
	"errors"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestStartStop(t *testing.T) {
	s, err := Start()
	if errors.Is(err, ErrNotFound) {
		if os.Getenv("CI") == "true" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if s.Version == "" {
		t.Error("no version")
	}
	if err := ping(s.Addr(), s.cmd.Process.Pid); err != nil {
		t.Fatalf("the server does not answer: %v", err)
	}
	dir := s.dir
	s.Stop()
	s.Stop()
	if c, err := net.DialTimeout("tcp", s.Addr(), time.Second); err == nil {
		c.Close()
		t.Error("the server answers after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("its directory %s is still there: %v", dir, err)
	}
}

func TestNotFound(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	if _, err := Start(); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Start without redis-server: %v, want ErrNotFound", err)
	}
}
