package resilient

import (
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
)

// The state of a call is reused by later calls once its RoundTrip returns
// (see calls). These tests hold on to everything a call hands out, or that
// a base transport may keep, make many more calls, some of them retried and
// some concurrent, and then check that what they held still says what it
// said: nothing handed out points into reused state.

// echoBase answers every attempt with the id of its request body, so that
// an answer can be matched to its call; with failOdd the first attempt of
// every odd id is answered HTTP 503 (transient: retried), and every request
// it got is kept in got.
type echoBase struct {
	failOdd bool
	mu      sync.Mutex
	got     []*http.Request
	tried   map[string]bool
}

func (b *echoBase) RoundTrip(req *http.Request) (*http.Response, error) {
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return nil, err
	}
	id := strings.TrimPrefix(string(body), "id=")
	b.mu.Lock()
	b.got = append(b.got, req)
	first := !b.tried[id]
	b.tried[id] = true
	b.mu.Unlock()
	if n, _ := strconv.Atoi(id); b.failOdd && first && n%2 == 1 {
		return response(http.StatusServiceUnavailable, "busy"), nil
	}
	return response(http.StatusOK, `{"result":{"error":0,"errorDescription":"No errors","reference":"`+id+`","id":"`+id+`"}}`), nil
}

func TestNothingHandedOutPointsIntoReusedCallState(t *testing.T) {
	cases := []struct {
		name    string
		callers int
		failOdd bool
		getBody bool // the requests carry GetBody (else the body is buffered)
	}{
		{"one caller, bodies buffered", 1, false, false},
		{"one caller, retried, bodies buffered", 1, true, false},
		{"one caller, retried, GetBody", 1, true, true},
		{"eight callers, retried, bodies buffered", 8, true, false},
		{"eight callers, GetBody", 8, false, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			base := &echoBase{failOdd: tc.failOdd, tried: map[string]bool{}}
			clk := newFakeClock()
			rt := NewTransport(base, withClock(clk), WithRetryBudget(RetryBudget{Ratio: -1}))
			const perCaller = 40
			resps := make([][]*http.Response, tc.callers)
			var wg sync.WaitGroup
			for g := range tc.callers {
				wg.Go(func() {
					for i := range perCaller {
						id := strconv.Itoa(g*perCaller + i)
						req := newCall(t, http.MethodPost, "http://api.test/rest/sms/create", "", testKey)
						req.Body = io.NopCloser(strings.NewReader("id=" + id))
						if tc.getBody {
							req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(strings.NewReader("id=" + id)), nil }
						}
						resp, err := rt.RoundTrip(req)
						if err != nil {
							t.Errorf("call %s: %v", id, err)
							return
						}
						resps[g] = append(resps[g], resp)
					}
				})
			}
			wg.Wait()
			for g := range resps {
				for i, resp := range resps[g] {
					id := strconv.Itoa(g*perCaller + i)
					out, ok := OutcomeOf(resp)
					if !ok || out.Class != ClassSuccess {
						t.Errorf("call %s: outcome %+v, %v", id, out, ok)
					}
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if want := `"reference":"` + id + `"`; err != nil || !strings.Contains(string(b), want) {
						t.Errorf("call %s: body %q (%v), want it to contain %s", id, b, err, want)
					}
					if resp.Request == nil || resp.Request.Context().Value(outcomeKey{}) == nil {
						t.Errorf("call %s: the answer's Request does not carry its outcome", id)
					}
				}
			}
			// The requests the base kept replay their own bodies.
			for _, req := range base.got {
				if req.GetBody == nil {
					continue
				}
				rc, err := req.GetBody()
				if err != nil {
					t.Fatal(err)
				}
				b, _ := io.ReadAll(rc)
				if !strings.HasPrefix(string(b), "id=") {
					t.Errorf("a kept request's GetBody replays %q", b)
				}
			}
			if n, want := len(base.got), tc.callers*perCaller; n < want {
				t.Errorf("%d attempts for %d calls", n, want)
			}
		})
	}
}

// TestKeptRequestReplaysItsOwnBody checks each kept attempt's GetBody
// against the body the base read from it, for buffered bodies, whose
// replay the Transport supplies.
func TestKeptRequestReplaysItsOwnBody(t *testing.T) {
	type kept struct {
		req  *http.Request
		body string
	}
	var got []kept
	base := roundTripFunc(func(req *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(req.Body)
		got = append(got, kept{req, string(b)})
		return response(http.StatusOK, `{"result":{"error":0}}`), nil
	})
	rt := NewTransport(base)
	for i := range 50 {
		req := newCall(t, http.MethodPost, "http://api.test/rest/sms/create", "", testKey)
		req.Body = io.NopCloser(strings.NewReader(fmt.Sprintf(`{"reference":"r%d"}`, i)))
		resp, err := rt.RoundTrip(req)
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
	}
	for i, k := range got {
		if k.req.GetBody == nil {
			t.Fatalf("attempt %d: a buffered body without GetBody", i)
		}
		rc, _ := k.req.GetBody()
		b, _ := io.ReadAll(rc)
		if string(b) != k.body {
			t.Errorf("attempt %d: GetBody replays %q, the attempt sent %q", i, b, k.body)
		}
	}
}
