package main

import (
	"bytes"
	"os"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestRun(t *testing.T) {
	var out bytes.Buffer
	err := run(t.Context(), &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	// Without jitter the numbers are exact: every before/after line, in order.
	lines := []string{
		"   default    7 attempts   waits 40ms 60ms 90ms 135ms 203ms 304ms         → transient code 11, gave up: attempts used up",
		"   with rule  8 attempts   waits 64ms 96ms 144ms 216ms 324ms 486ms 729ms  → success",

		"   default    2 attempts   waits 40ms                                     → success",
		"   with rule  1 attempt    waits none                                     → transient code 5, gave up: attempts used up",
		"   permanent  1 attempt    waits none                                     → permanent code 5, returned at once",

		`   default    1 attempt    waits none                                     → permanent "Account is suspended" (HTTP 403), returned at once`,
		"              no circuit opened; next call sent, 1 request",
		`   with rule  1 attempt    waits none                                     → account "Account is suspended" (HTTP 403), returned at once`,
		"              account circuit opened for 10m0s; next call failed fast, 0 requests, probe in 10m0s",

		"   default    1 attempt    waits none                                     → account code 8, returned at once",
		"              account circuit opened for 1m0s; next call failed fast, 0 requests, probe in 1m0s",
		"   with rule  1 attempt    waits none                                     → account code 8, returned at once",
		"              account circuit opened for 10s; next call failed fast, 0 requests, probe in 10s",
	}
	text := out.String()
	for _, l := range lines {
		i := strings.Index(text, "\n"+l+"\n")
		if i < 0 {
			t.Errorf("no line %q", l)
			continue
		}
		text = text[i+len(l)+1:]
	}
}

// A mode whose outcome differs from what it wants fails the program.
func TestCheckFails(t *testing.T) {
	d := demos()[0]
	m := d.modes[0]
	m.want.attempts = 3
	out, err := d.try(t.Context(), m)
	if err != nil {
		t.Fatal(err)
	}
	if err := m.want.check(out); err == nil || !strings.Contains(err.Error(), "7 attempts, want 3") {
		t.Fatalf("check = %v", err)
	}
}

// TestREADMEShowsTheseRules keeps the README's rules snippet the same as
// the rules this example shows.
func TestREADMEShowsTheseRules(t *testing.T) {
	data, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(data), "The rules of `go run ./examples/policies`")
	if !ok {
		t.Fatal("the README has no rules snippet")
	}
	_, snippet, _ := strings.Cut(after, "```go\n")
	snippet, _, _ = strings.Cut(snippet, "```")
	flat := func(s string) string { return strings.Join(strings.Fields(s), " ") }
	readme := flat(snippet)
	for _, d := range demos() {
		if rule := flat(strings.Join(d.rule, " ")); !strings.Contains(readme, rule) {
			t.Errorf("the README's snippet lacks %s", rule)
		}
	}
	if got, want := strings.Count(readme, "resilient.With"), len(demos()); got != want {
		t.Errorf("the README's snippet has %d rules, the example %d", got, want)
	}
}
