// Package jaegertest runs a real Jaeger v2 (all-in-one, memory storage) on
// loopback for end-to-end tests and reads traces back through its query API.
//
// The binary comes from the environment variable JAEGER_BIN or, failing that,
// from scripts/jaeger-bin.sh at the repository root, which builds it once into
// a cache. Each [Start] runs its own instance with the configuration
// tools/jaeger/loopback.yaml on freshly chosen free ports, so tests in
// different packages can run concurrently.
//
// When no binary is available the test is skipped, except when the
// environment variable CI is "true": then it fails. In -short mode (outside
// CI) a binary that is not built yet counts as unavailable, so -short runs
// never wait for the build.
package jaegertest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	startTimeout = 60 * time.Second // bound on waiting for health
	stopGrace    = 5 * time.Second  // SIGTERM grace before SIGKILL
	startTries   = 3                // attempts when a chosen port was taken meanwhile
	configPath   = "tools/jaeger/loopback.yaml"
	scriptPath   = "scripts/jaeger-bin.sh"
)

// Jaeger is a running Jaeger instance started by [Start].
type Jaeger struct {
	// OTLPEndpoint is the host:port of the OTLP/HTTP receiver, suitable for
	// otlptracehttp.WithEndpoint together with otlptracehttp.WithInsecure.
	OTLPEndpoint string
	// QueryURL is the base URL of the query HTTP API, e.g. http://127.0.0.1:16686.
	QueryURL string
	// HealthURL is the URL of the health endpoint (GET /status).
	HealthURL string
	// LogPath is the file that receives Jaeger's stdout and stderr.
	LogPath string

	client *http.Client
}

// Start starts a Jaeger instance for the test and stops it in t.Cleanup.
// It fails the test if Jaeger does not become healthy within a minute.
func Start(t testing.TB) *Jaeger {
	t.Helper()
	root, err := repoRoot()
	if err != nil {
		unavailable(t, err)
	}
	bin, err := binary(t, root)
	if err != nil {
		unavailable(t, err)
	}
	cfg := filepath.Join(root, configPath)
	for try := 1; ; try++ {
		j, err := start(t, bin, cfg, try)
		if err == nil {
			return j
		}
		var taken portTakenError
		if !errors.As(err, &taken) || try == startTries {
			t.Fatalf("jaegertest: %v", err)
		}
		t.Logf("jaegertest: a port was taken (%s); retrying with other ports", taken.line)
	}
}

// portTakenError reports that Jaeger exited because a port it was given
// was taken in the meantime.
type portTakenError struct{ line, log string }

func (e portTakenError) Error() string {
	return "jaeger exited at start-up, a port was taken:\n" + e.log
}

// start runs one instance and waits until it is healthy.
func start(t testing.TB, bin, cfg string, try int) (*Jaeger, error) {
	t.Helper()
	ports, err := freePorts(4)
	if err != nil {
		return nil, err
	}
	ep := func(i int) string { return fmt.Sprintf("127.0.0.1:%d", ports[i]) }
	j := &Jaeger{
		OTLPEndpoint: ep(0),
		QueryURL:     "http://" + ep(1),
		HealthURL:    "http://" + ep(3) + "/status",
		LogPath:      filepath.Join(t.TempDir(), fmt.Sprintf("jaeger-%d.log", try)),
		client:       &http.Client{Timeout: 5 * time.Second},
	}
	logFile, err := os.Create(j.LogPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(bin, "--config", cfg)
	cmd.Env = append(os.Environ(),
		"JAEGER_LISTEN_HOST=127.0.0.1",
		"JAEGER_OTLP_HTTP_ENDPOINT="+ep(0),
		"JAEGER_QUERY_HTTP_ENDPOINT="+ep(1),
		"JAEGER_QUERY_GRPC_ENDPOINT="+ep(2),
		"JAEGER_HEALTH_ENDPOINT="+ep(3),
	)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, fmt.Errorf("start %s: %w", bin, err)
	}
	up := false
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	t.Cleanup(func() {
		stop(cmd, exited)
		logFile.Close()
		if up && t.Failed() {
			t.Logf("jaegertest: log tail of %s:\n%s", j.LogPath, tail(j.LogPath))
		}
	})

	deadline := time.Now().Add(startTimeout)
	for {
		select {
		case <-exited:
			log := tail(j.LogPath)
			for line := range strings.Lines(log) {
				if strings.Contains(line, "address already in use") {
					return nil, portTakenError{line: strings.TrimSpace(line), log: log}
				}
			}
			return nil, fmt.Errorf("jaeger exited at start-up (%v):\n%s", cmd.ProcessState, log)
		case <-time.After(100 * time.Millisecond):
		}
		if j.ok(j.HealthURL) && j.ok(j.QueryURL+"/api/services") {
			up = true // from now on, failures show the log tail at cleanup
			return j, nil
		}
		if time.Now().After(deadline) {
			return nil, fmt.Errorf("jaeger not healthy after %v:\n%s", startTimeout, tail(j.LogPath))
		}
	}
}

// ok reports whether GET url answers 200.
func (j *Jaeger) ok(url string) bool {
	resp, err := j.client.Get(url)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// stop sends SIGTERM and escalates to SIGKILL after stopGrace.
func stop(cmd *exec.Cmd, exited <-chan struct{}) {
	_ = cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-exited:
	case <-time.After(stopGrace):
		_ = cmd.Process.Kill()
		<-exited
	}
}

// binary returns the Jaeger binary path from JAEGER_BIN or the build script.
func binary(t testing.TB, root string) (string, error) {
	t.Helper()
	if bin := os.Getenv("JAEGER_BIN"); bin != "" {
		if _, err := os.Stat(bin); err != nil {
			return "", fmt.Errorf("JAEGER_BIN: %w", err)
		}
		return bin, nil
	}
	args := []string{filepath.Join(root, scriptPath)}
	if testing.Short() && !inCI() {
		args = append(args, "--cached")
	}
	var stdout, stderr bytes.Buffer
	cmd := exec.CommandContext(t.Context(), "bash", args...)
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("%s: %v\n%s", scriptPath, err, stderr.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		t.Log(s)
	}
	return strings.TrimSpace(stdout.String()), nil
}

// unavailable skips the test, or fails it when running in CI.
func unavailable(t testing.TB, err error) {
	t.Helper()
	if inCI() {
		t.Fatalf("jaegertest: no Jaeger binary (CI=true, not skipping): %v", err)
	}
	t.Skipf("jaegertest: no Jaeger binary: %v", err)
}

func inCI() bool { return os.Getenv("CI") == "true" }

// repoRoot walks up from the working directory to the directory holding the
// build script and the Jaeger configuration.
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		_, e1 := os.Stat(filepath.Join(dir, scriptPath))
		_, e2 := os.Stat(filepath.Join(dir, configPath))
		if e1 == nil && e2 == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no %s and %s above the working directory", scriptPath, configPath)
		}
		dir = parent
	}
}

// freePorts reserves n distinct free loopback ports and releases them.
func freePorts(n int) ([]int, error) {
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		defer l.Close()
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// tail returns the last 4 KiB of the file at path.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return err.Error()
	}
	const limit = 4 << 10
	if len(b) > limit {
		b = b[len(b)-limit:]
	}
	return string(b)
}

// get is shared by the query functions: GET url, returning the body of a 200.
func (j *Jaeger) get(ctx context.Context, url string) ([]byte, int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return nil, 0, err
	}
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(resp.Body); err != nil {
		return nil, resp.StatusCode, err
	}
	return buf.Bytes(), resp.StatusCode, nil
}
