package resilient

import (
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestREADMECodeTable keeps the README's code table true to ClassOf and
// the code descriptions.
func TestREADMECodeTable(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := regexp.MustCompile(`(?m)^\| (\d+) \| (.*?) \| (\w+) \|`).FindAllStringSubmatch(string(data), -1)
	seen := map[int]bool{}
	for _, r := range rows {
		code, _ := strconv.Atoi(r[1])
		seen[code] = true
		if got := ClassOf(code).String(); got != r[3] {
			t.Errorf("README says code %d is %s, ClassOf says %s", code, r[3], got)
		}
		if got := CodeDescription(code); got != r[2] {
			t.Errorf("README describes code %d as %q, the table as %q", code, r[2], got)
		}
	}
	for code := range apiCodes {
		if !seen[code] {
			t.Errorf("README lacks code %d", code)
		}
	}
}

// TestREADMEBodies sends every create body the README shows to the fake
// server through a Transport: each must be accepted.
func TestREADMEBodies(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := regexp.MustCompile(`(?m)^(PUT|POST) (/\S+)\s+(\S.*)$`).FindAllStringSubmatch(string(data), -1)
	if len(lines) < 8 {
		t.Fatalf("%d create bodies in the README", len(lines))
	}
	srv := newServer(t)
	rt := newTestTransport(t, newFakeClock())
	token := login(t, rt, srv, testKey)
	for _, l := range lines {
		method, path, body := l[1], l[2], l[3]
		var resp *http.Response
		if strings.HasPrefix(path, "/api/") {
			resp, err = sendBearer(t, rt, srv.URL+path, token, body)
		} else {
			resp, err = sendCtx(t, t.Context(), rt, method, srv.URL+path, body, testKey)
		}
		if err != nil {
			t.Errorf("%s %s: %v", method, path, err)
			continue
		}
		answer := readAll(t, resp)
		if out, _ := OutcomeOf(resp); out.Class != ClassSuccess {
			t.Errorf("%s %s %s: %d %s", method, path, body, resp.StatusCode, answer)
		}
	}
}

// TestREADMELayout keeps the README's layout table true to the files of
// the package.
func TestREADMELayout(t *testing.T) {
	data, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, layout, ok := strings.Cut(string(data), "\n## Layout\n")
	if !ok {
		t.Fatal("no layout section")
	}
	listed := map[string]bool{}
	for _, m := range regexp.MustCompile("`([a-z0-9_]+\\.go)`").FindAllStringSubmatch(layout, -1) {
		listed[m[1]] = true
	}
	files, _ := filepath.Glob("*.go")
	for _, f := range files {
		if !strings.HasSuffix(f, "_test.go") && !listed[f] {
			t.Errorf("the layout table lacks %s", f)
		}
		delete(listed, f)
	}
	for f := range listed {
		t.Errorf("the layout table lists %s, which does not exist", f)
	}
}
