// Package redisserver runs a throwaway redis-server for the examples and
// their tests: on a free loopback port, with a temporary directory and no
// persistence, stopped (and its directory removed) by Stop. It is the start
// logic of redisfleet's test harness (redisfleet/internal/redistest), which
// a package outside the redisfleet module may not import.
//
// The redis-server binary is looked up on PATH; scripts/redis.sh installs
// it.
package redisserver

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
	"time"
)

// ErrNotFound reports that redis-server is not on PATH.
var ErrNotFound = errors.New("redis-server is not on PATH")

// Server is one redis-server process.
type Server struct {
	// Version is what the binary reports, such as "7.0.15"; "" if unknown.
	Version string

	port int
	dir  string
	cmd  *exec.Cmd
	done chan struct{} // closed when the process has exited
	out  *lockedBuffer
	stop sync.Once
}

// Binary returns the path of redis-server, or ErrNotFound.
func Binary() (string, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return "", ErrNotFound
	}
	return bin, nil
}

// Start runs a redis-server on a free loopback port and waits until it
// answers PING. It returns ErrNotFound when there is no redis-server.
func Start() (*Server, error) {
	bin, err := Binary()
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "redisserver-")
	if err != nil {
		return nil, err
	}
	s := &Server{dir: dir, Version: version(bin)}
	for range 5 {
		if s.port, err = freePort(); err != nil {
			continue
		}
		if err = s.start(bin); err == nil {
			return s, nil
		}
	}
	_ = os.RemoveAll(dir)
	return nil, fmt.Errorf("redisserver: cannot start redis-server: %w", err)
}

// Addr returns the server's host:port.
func (s *Server) Addr() string { return net.JoinHostPort("127.0.0.1", strconv.Itoa(s.port)) }

// Stop ends the server (SIGTERM, then SIGKILL after 5 s), waits for it to
// exit and removes its directory. It may be called more than once.
func (s *Server) Stop() {
	s.stop.Do(func() {
		_ = s.cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.done:
		case <-time.After(5 * time.Second):
			_ = s.cmd.Process.Kill()
			<-s.done
		}
		_ = os.RemoveAll(s.dir)
	})
}

// Log returns what the server printed.
func (s *Server) Log() string { return s.out.String() }

func (s *Server) start(bin string) error {
	out := &lockedBuffer{}
	cmd := exec.Command(bin,
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
		err := ping(s.Addr(), cmd.Process.Pid)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
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
	s.cmd, s.done, s.out = cmd, done, out
	return nil
}

// version runs redis-server --version and returns its v= field.
func version(bin string) string {
	out, err := exec.Command(bin, "--version").Output()
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
