package main

import (
	"bytes"
	"net"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/resilient-sms/resilient/redisfleet/redistest"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	redistest.Require(t)
	for _, mode := range []string{"started", "given"} {
		t.Run(mode, func(t *testing.T) {
			addr := ""
			if mode == "given" {
				addr = redistest.Start(t).Addr()
			}
			var out bytes.Buffer
			err := run(t.Context(), &out, addr)
			t.Log("\n" + out.String())
			if err != nil {
				t.Fatal(err)
			}
			text := out.String()
			first := `Redis: started redis-server [\d.]+ on (127\.0\.0\.1:\d+) for this run; it stops at exit`
			if mode == "given" {
				first = `Redis: ` + regexp.QuoteMeta(addr) + ` \(-redis\)`
			}
			if mode == "started" {
				// The server it started is gone.
				m := regexp.MustCompile(first).FindStringSubmatch(text)
				if m == nil {
					t.Fatalf("no line matches %s", first)
				}
				if c, err := net.DialTimeout("tcp", m[1], time.Second); err == nil {
					c.Close()
					t.Errorf("redis-server on %s still answers after run returned", m[1])
				}
			}
			// The decisions that matter, in order.
			lines := []string{
				first,
				`a  sms \(shop account\) +HTTP 200  accepted, id 1`,
				`a  sms \(low account\) +HTTP 200  error 8 \(not enough funds\)`,
				`a  circuit +account closed → open for 500ms \(code 8\); told the fleet`,
				`b  circuit +account closed → open \(code 8\) from instance a, [\d.]+[µm]?s after a's`,
				`c  circuit +account closed → open \(code 8\) from instance a, [\d.]+[µm]?s after a's`,
				`b  sms \(low account\) +failed fast: account circuit open \(code 8, seen by instance a\), probe in \d+ms; nothing sent`,
				`c  sms \(low account\) +failed fast: account circuit open \(code 8, seen by instance a\), probe in \d+ms; nothing sent`,
				`d  circuit +account closed → open \(code 8\) from instance a`,
				`d  sms \(low account\) +failed fast: account circuit open \(code 8, seen by instance a\), probe in \d+ms; nothing sent`,
				`c  sms \(shop account\) +HTTP 200  accepted, id 4`,
				`the server got no request for the low account from b, c or d; the shop account is not held back`,
				`b  sms \(low account\) +holds the fleet's probe lease; the call is the probe: accepted, id 5`,
				`b  circuit +account half-open → closed; told the fleet`,
				`a  circuit +account half-open → closed from instance b, [\d.]+[µm]?s after b's`,
				`c  circuit +account half-open → closed from instance b, [\d.]+[µm]?s after b's`,
				`d  circuit +account half-open → closed from instance b, [\d.]+[µm]?s after b's`,
				`d  sms \(low account\) +HTTP 200  accepted, id 8`,
				`summary: 4 instances, \d+ calls, 9 requests reached the server, \d+ failed fast, 8 messages accepted, 0 duplicates`,
			}
			for _, l := range lines {
				loc := regexp.MustCompile(`(?m)^` + l + `$`).FindStringIndex(text)
				if loc == nil {
					t.Errorf("no line matches %s", l)
					continue
				}
				text = text[loc[1]:]
			}
		})
	}
}

// TestWithoutRedisServer: with no -redis and no redis-server on PATH, the
// example says so and what to do.
func TestWithoutRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	var out bytes.Buffer
	err := run(t.Context(), &out, "")
	if err == nil || !strings.Contains(err.Error(), "redis-server is not on PATH") || !strings.Contains(err.Error(), "-redis host:port") {
		t.Fatalf("run without redis-server: %v, want it to say redis-server is missing and how to give a Redis", err)
	}
}
