// Command policies shows what per-code rules change. Each demo meets the
// same calls with the same faults of a fake Notificore API twice, through a
// Transport without the rule and one with it, and prints a line for each:
// attempts made, the waits between them, the final class and why the call
// stopped, and whether a circuit opened, for how long, and what that did to
// the next call.
//
// Run it from the repository root:
//
//	go run ./examples/policies
//
// The rules shown:
//
//   - code 11 (throttling): more attempts and a longer back-off;
//   - code 5 (unknown error): never resent;
//   - an API 2.0 error message of your own that means the account is
//     unusable: an account-level failure, which opens the account circuit;
//   - code 8 (not enough funds): a shorter time before the circuit probes.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	sdktrace "go.opentelemetry.io/otel/sdk/trace"

	"github.com/resilient-sms/resilient"
	"github.com/resilient-sms/resilient/examples/internal/scenario"
	"github.com/resilient-sms/resilient/notificoretest"
	"github.com/resilient-sms/resilient/resilientconv"
)

func main() {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := run(ctx, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "policies:", err)
		cancel()
		os.Exit(1)
	}
}

// baseline is what every Transport of the demos starts from: the library's
// defaults, except a back-off of 40ms growing ×1.5 without jitter (the
// default starts at 500ms, ±50%), so that the demos are quick and print the
// same numbers on every run.
var baseline = []resilient.Option{
	resilient.WithBackoff(resilient.Backoff{Initial: 40 * time.Millisecond, Jitter: -1}),
}

// key is the API key of every demo's account.
const key = "test_policies"

func run(ctx context.Context, w io.Writer) error {
	fmt.Fprintln(w, "What per-code rules change, each shown against the fake Notificore API without and with the rule.")
	fmt.Fprintln(w, "Every Transport starts from the library's defaults, with back-off 40ms ×1.5 and no jitter so that")
	fmt.Fprintln(w, "the demos are quick and their numbers exact.")
	for i, d := range demos() {
		fmt.Fprintf(w, "\n%d. %s\n", i+1, d.title)
		block(w, "rule", d.rule)
		block(w, "server", []string{d.server})
		for _, m := range d.modes {
			out, err := d.try(ctx, m)
			if err != nil {
				return fmt.Errorf("%s, %s: %w", d.title, m.name, err)
			}
			fmt.Fprintf(w, "   %-10s %s\n", m.name, out.line())
			if l := out.circuitLine(d.next != nil); l != "" {
				fmt.Fprintf(w, "   %-10s %s\n", "", l)
			}
			if err := m.want.check(out); err != nil {
				return fmt.Errorf("%s, %s: %w", d.title, m.name, err)
			}
		}
		block(w, "why", d.why)
	}
	return nil
}

// block prints lines under a heading in the left column.
func block(w io.Writer, heading string, lines []string) {
	for i, l := range lines {
		if i > 0 {
			heading = ""
		}
		fmt.Fprintf(w, "   %-10s %s\n", heading, l)
	}
}

// demo is one rule, the calls and faults it is shown with, and the
// Transports it is shown through.
type demo struct {
	title  string
	rule   []string // the option, as Go source
	server string   // what the server does
	why    []string
	setup  func(srv *notificoretest.Server) // accounts and faults, on a fresh server
	api2   bool                             // the calls need a bearer token
	call   func(e env) (*http.Request, error)
	next   func(e env) (*http.Request, error) // a second call, or nil
	modes  []mode
}

// env is what a demo's calls are made against.
type env struct {
	srv   *notificoretest.Server
	token string // an API 2.0 bearer token of the account, if the demo needs one
}

// mode is one Transport a demo runs through.
type mode struct {
	name string
	opts []resilient.Option
	want want
}

// want is what must come of a mode; the program fails when it does not.
type want struct {
	attempts     int
	class        resilient.Class
	reason       resilientconv.Reason
	openFor      time.Duration
	nextFailFast bool
}

func demos() []demo {
	single := func(ref, msisdn string) func(env) (*http.Request, error) {
		return func(e env) (*http.Request, error) {
			body := fmt.Sprintf(`{"destination":"phone","originator":"Shop","body":"Your code is 4711","msisdn":%q,"reference":%q}`, msisdn, ref)
			req, err := http.NewRequest(http.MethodPut, e.srv.RESTURL()+"/sms/create", strings.NewReader(body))
			if err == nil {
				req.Header.Set("X-API-KEY", key)
				req.Header.Set("Content-Type", "application/json")
			}
			return req, err
		}
	}
	const suspended = "Account is suspended"
	return []demo{{
		title: "Throttling (code 11): more attempts, a longer back-off",
		rule: []string{
			"resilient.WithCodeRule(11, resilient.Rule{Class: resilient.ClassTransient, MaxAttempts: 8,",
			"    Backoff: resilient.Backoff{Initial: 64 * time.Millisecond, Multiplier: 1.5, Jitter: -1}})",
		},
		server: "answers code 11 to the first 7 attempts of a single SMS, then accepts it",
		why: []string{
			"code 11 is a refusal that processed nothing, so resending is always safe; at peak hours",
			"waiting longer and trying more often gets the message through where the defaults give up",
		},
		setup: func(srv *notificoretest.Server) {
			for range 7 {
				srv.Script(notificoretest.Fault{Path: "/sms/create", Code: 11})
			}
		},
		call: single("pol11", "+37060000001"),
		modes: []mode{{
			name: "default",
			want: want{attempts: 7, class: resilient.ClassTransient, reason: resilientconv.ReasonAttempts},
		}, {
			name: "with rule",
			opts: []resilient.Option{resilient.WithCodeRule(11, resilient.Rule{
				Class: resilient.ClassTransient, MaxAttempts: 8,
				Backoff: resilient.Backoff{Initial: 64 * time.Millisecond, Multiplier: 1.5, Jitter: -1},
			})},
			want: want{attempts: 8, class: resilient.ClassSuccess, reason: resilientconv.ReasonSuccess},
		}},
	}, {
		title:  "Unknown error (code 5): never resent",
		rule:   []string{"resilient.WithCodeRule(5, resilient.Rule{Class: resilient.ClassTransient, MaxAttempts: 1})"},
		server: "answers code 5 to the first attempt of a single SMS with a reference",
		why: []string{
			"code 5 may come after the message was processed. By default it is resent only when every",
			"message carries a reference (the API then refuses a second copy with code 23, which counts",
			"as accepted earlier). The rule never resends it: reconcile by looking the reference up.",
			"MaxAttempts 1 keeps the class transient, so the host circuit still counts code 5 as the",
			"server's trouble; ClassPermanent stops just as well, but tells the host circuit that the",
			"server is healthy and marks the answer as the request's fault in traces and metrics.",
		},
		setup: func(srv *notificoretest.Server) {
			srv.Script(notificoretest.Fault{Path: "/sms/create", Code: 5})
		},
		call: single("pol5", "+37060000002"),
		modes: []mode{{
			name: "default",
			want: want{attempts: 2, class: resilient.ClassSuccess, reason: resilientconv.ReasonSuccess},
		}, {
			name: "with rule",
			opts: []resilient.Option{resilient.WithCodeRule(5, resilient.Rule{Class: resilient.ClassTransient, MaxAttempts: 1})},
			want: want{attempts: 1, class: resilient.ClassTransient, reason: resilientconv.ReasonAttempts},
		}, {
			name: "permanent",
			opts: []resilient.Option{resilient.WithCodeRule(5, resilient.Rule{Class: resilient.ClassPermanent})},
			want: want{attempts: 1, class: resilient.ClassPermanent, reason: resilientconv.ReasonPermanent},
		}},
	}, {
		title: "An API 2.0 message of your own that means the account is unusable",
		rule: []string{
			fmt.Sprintf("resilient.WithMessageRule(%q, resilient.Rule{Class: resilient.ClassAccount,", suspended),
			"    OpenFor: 10 * time.Minute})",
		},
		server: fmt.Sprintf("answers HTTP 403 {\"errors\":[{\"message\":%q}]} to a campaign send, once", suspended),
		why: []string{
			"API 2.0 has no codes: an undocumented message is classified by its status, and a 403 is",
			"permanent. Made account-level, it opens the account's circuit: the next calls of the",
			"account fail fast, without a request, for the time given; other accounts go on.",
		},
		setup: func(srv *notificoretest.Server) {
			srv.Script(notificoretest.Fault{Path: "/campaigns/sms/send", Shape: notificoretest.ShapeAPI2,
				Status: http.StatusForbidden, Description: suspended})
		},
		api2: true,
		call: campaign("+37060000003"),
		next: campaign("+37060000004"),
		modes: []mode{{
			name: "default",
			want: want{attempts: 1, class: resilient.ClassPermanent, reason: resilientconv.ReasonPermanent},
		}, {
			name: "with rule",
			opts: []resilient.Option{resilient.WithMessageRule(suspended, resilient.Rule{
				Class: resilient.ClassAccount, OpenFor: 10 * time.Minute,
			})},
			want: want{attempts: 1, class: resilient.ClassAccount, reason: resilientconv.ReasonAccount,
				openFor: 10 * time.Minute, nextFailFast: true},
		}},
	}, {
		title: "Not enough funds (code 8): probe again sooner",
		rule: []string{
			"resilient.WithCodeRule(8, resilient.Rule{Class: resilient.ClassAccount, OpenFor: 10 * time.Second})",
		},
		server: "the account has no funds left",
		why: []string{
			"code 8 holds the account's circuit open for a minute by default. With automatic top-ups",
			"that land within seconds, a shorter open time lets the first call after one through sooner.",
		},
		setup: func(srv *notificoretest.Server) { srv.SetBalance(key, 0) },
		call:  single("pol8a", "+37060000005"),
		next:  single("pol8b", "+37060000006"),
		modes: []mode{{
			name: "default",
			want: want{attempts: 1, class: resilient.ClassAccount, reason: resilientconv.ReasonAccount,
				openFor: time.Minute, nextFailFast: true}, // code 8's default open time
		}, {
			name: "with rule",
			opts: []resilient.Option{resilient.WithCodeRule(8, resilient.Rule{Class: resilient.ClassAccount, OpenFor: 10 * time.Second})},
			want: want{attempts: 1, class: resilient.ClassAccount, reason: resilientconv.ReasonAccount,
				openFor: 10 * time.Second, nextFailFast: true},
		}},
	}}
}

// campaign returns a builder of an API 2.0 campaign send to msisdn.
func campaign(msisdn string) func(env) (*http.Request, error) {
	return func(e env) (*http.Request, error) {
		body := fmt.Sprintf(`{"phones":[%q],"text":"Your parcel has shipped","sender":"Shop"}`, msisdn)
		req, err := http.NewRequest(http.MethodPost, e.srv.URL+"/api/campaigns/sms/send", strings.NewReader(body))
		if err == nil {
			req.Header.Set("Authorization", "Bearer "+e.token)
			req.Header.Set("Content-Type", "application/json")
		}
		return req, err
	}
}

// login trades the demo's key for an API 2.0 bearer token, without the
// Transport.
func login(srv *notificoretest.Server) (string, error) {
	resp, err := srv.Client().Post(srv.URL+"/api/auth/login", "application/json",
		bytes.NewReader([]byte(`{"api_key":"`+key+`"}`)))
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var ans struct {
		Bearer string `json:"bearer"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&ans); err != nil || ans.Bearer == "" {
		return "", fmt.Errorf("login: HTTP %d, %v", resp.StatusCode, err)
	}
	return ans.Bearer, nil
}

// outcome is what came of one mode of a demo.
type outcome struct {
	call     scenario.Call
	final    resilient.Outcome // of the first call's answer
	openFor  time.Duration     // how long a circuit opened for; 0 if none did
	scope    resilient.Scope
	next     *scenario.Call // the second call, if any
	nextReqs int            // requests the second call sent
}

// try runs a demo's calls through a Transport of mode m, against a fresh
// server set up for the demo.
func (d *demo) try(ctx context.Context, m mode) (*outcome, error) {
	srv := notificoretest.NewServer(notificoretest.WithKey(key))
	defer srv.Close()
	d.setup(srv)
	e := env{srv: srv}
	if d.api2 {
		var err error
		if e.token, err = login(srv); err != nil {
			return nil, err
		}
	}

	rec := scenario.NewRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	defer tp.Shutdown(context.Background())

	out := &outcome{}
	// The listener hears every state change of a circuit, on the goroutine
	// of the call that caused it; At and Until give the exact open time.
	var mu sync.Mutex
	listen := resilient.WithCircuitListener(func(ev resilient.CircuitEvent) {
		mu.Lock()
		defer mu.Unlock()
		if ev.To == resilient.StateOpen {
			out.openFor, out.scope = ev.Until.Sub(ev.At), ev.Scope
		}
	})
	opts := append(append(append([]resilient.Option{}, baseline...), resilient.WithTracerProvider(tp), listen), m.opts...)
	tr := resilient.NewTransport(nil, opts...)
	client := &http.Client{Transport: tr}

	call, final, err := send(ctx, client, e, rec, d.call)
	if err != nil {
		return nil, err
	}
	out.call, out.final = call, final
	if d.next != nil {
		before := srv.Requests()
		next, _, err := send(ctx, client, e, rec, d.next)
		if err != nil && !errors.Is(err, resilient.ErrCircuitOpen) {
			return nil, err
		}
		out.next, out.nextReqs = &next, srv.Requests()-before
	}
	mu.Lock()
	defer mu.Unlock()
	return out, nil
}

// send makes one call and returns its trace and the classification of its
// answer. An error is returned when no answer came.
func send(ctx context.Context, client *http.Client, e env, rec *scenario.Recorder,
	build func(env) (*http.Request, error)) (scenario.Call, resilient.Outcome, error) {
	req, err := build(e)
	if err != nil {
		return scenario.Call{}, resilient.Outcome{}, err
	}
	resp, err := client.Do(req.WithContext(ctx))
	var out resilient.Outcome
	if err == nil {
		out, _ = resilient.OutcomeOf(resp)
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	calls := rec.Take()
	if len(calls) != 1 {
		return scenario.Call{}, out, fmt.Errorf("%d calls traced for one request", len(calls))
	}
	return calls[0], out, err
}

// line says what the first call did.
func (o *outcome) line() string {
	var waits []string
	for _, a := range o.call.Attempts {
		if a.Next.Retry {
			waits = append(waits, scenario.Duration(a.Next.Delay))
		}
	}
	w := "none"
	if len(waits) > 0 {
		w = strings.Join(waits, " ")
	}
	final := o.final.Class.String()
	switch {
	case o.final.Code != 0:
		final += fmt.Sprintf(" code %d", o.final.Code)
	case o.final.Description != "":
		final += fmt.Sprintf(" %q (HTTP %d)", o.final.Description, o.final.StatusCode)
	}
	var reason resilientconv.Reason
	if last := o.call.Last(); last != nil {
		reason = last.Next.Reason
	}
	switch reason {
	case resilientconv.ReasonSuccess:
	case resilientconv.ReasonAttempts:
		final += ", gave up: attempts used up"
	case resilientconv.ReasonPermanent, resilientconv.ReasonAccount:
		final += ", returned at once"
	default:
		final += ", " + string(reason)
	}
	return fmt.Sprintf("%-11s  waits %-40s → %s", scenario.Plural(len(o.call.Attempts), "attempt"), w, final)
}

// circuitLine says whether a circuit opened and what became of the next
// call; "" when there is nothing to say.
func (o *outcome) circuitLine(hasNext bool) string {
	var parts []string
	if o.openFor > 0 {
		parts = append(parts, fmt.Sprintf("%s circuit opened for %s", o.scope, o.openFor))
	} else if hasNext {
		parts = append(parts, "no circuit opened")
	}
	if n := o.next; n != nil {
		if f := n.FailedFast; f != nil {
			parts = append(parts, fmt.Sprintf("next call failed fast, %s, probe in %s",
				scenario.Plural(o.nextReqs, "request"), f.RetryAt.Sub(f.At).Round(time.Second)))
		} else {
			parts = append(parts, fmt.Sprintf("next call sent, %s", scenario.Plural(o.nextReqs, "request")))
		}
	}
	return strings.Join(parts, "; ")
}

// check reports how o differs from what w asks for.
func (w want) check(o *outcome) error {
	var bad []string
	if n := len(o.call.Attempts); n != w.attempts {
		bad = append(bad, fmt.Sprintf("%d attempts, want %d", n, w.attempts))
	}
	if o.final.Class != w.class {
		bad = append(bad, fmt.Sprintf("class %s, want %s", o.final.Class, w.class))
	}
	if last := o.call.Last(); last == nil || last.Next.Reason != w.reason {
		bad = append(bad, fmt.Sprintf("stopped for another reason than %q", w.reason))
	}
	if o.openFor != w.openFor {
		bad = append(bad, fmt.Sprintf("circuit opened for %s, want %s", o.openFor, w.openFor))
	}
	if o.next != nil && (o.next.FailedFast != nil) != w.nextFailFast {
		bad = append(bad, fmt.Sprintf("next call failed fast: %t, want %t", o.next.FailedFast != nil, w.nextFailFast))
	}
	if o.next != nil && w.nextFailFast && o.nextReqs != 0 {
		bad = append(bad, fmt.Sprintf("the next call sent %d requests through an open circuit", o.nextReqs))
	}
	if len(bad) > 0 {
		return errors.New(strings.Join(bad, "; "))
	}
	return nil
}
