package resilient

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
)

// trackedBody is a response body that counts its Close calls and can fail
// them, and can return its last bytes together with an error.
type trackedBody struct {
	r        io.Reader
	closes   atomic.Int32
	closeErr error
	tailErr  error // returned with the last bytes, in place of io.EOF
}

func (b *trackedBody) Read(p []byte) (int, error) {
	n, err := b.r.Read(p)
	if err == io.EOF && b.tailErr != nil {
		return n, b.tailErr
	}
	if n > 0 && b.tailErr != nil {
		if rest, ok := b.r.(*strings.Reader); ok && rest.Len() == 0 {
			return n, b.tailErr
		}
	}
	return n, err
}

func (b *trackedBody) Close() error { b.closes.Add(1); return b.closeErr }

func TestAdversarialBaseResponseAndErrorTogether(t *testing.T) {
	var bodies []*trackedBody
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		b := &trackedBody{r: strings.NewReader(`{"error":0}`)}
		bodies = append(bodies, b)
		return &http.Response{StatusCode: 200, Header: http.Header{}, Body: b, ContentLength: 11}, errors.New("both")
	})
	rt := NewTransport(base, withClock(newFakeClock()))
	resp, err := rt.RoundTrip(newCall(t, http.MethodGet, "http://api.test/rest/common/balance", "", testKey))
	if resp != nil || err == nil {
		t.Fatalf("resp %v err %v: want the error alone", resp, err)
	}
	for i, b := range bodies {
		if b.closes.Load() != 1 {
			t.Errorf("body %d closed %d times, want 1", i, b.closes.Load())
		}
	}
}

func TestAdversarialBaseNilHeader(t *testing.T) {
	answers := []string{`{"error":5}`, `{"error":23}`}
	var n atomic.Int32
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		a := answers[min(int(n.Add(1))-1, len(answers)-1)]
		return &http.Response{StatusCode: 200, Body: io.NopCloser(strings.NewReader(a)), ContentLength: int64(len(a))}, nil
	})
	rt := NewTransport(base, withClock(newFakeClock()))
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "http://api.test/rest/sms/create", smsWithRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	body := readAll(t, resp)
	if resp.Header.Get(AcceptedEarlierHeader) != "1" || !strings.Contains(body, `"error":0`) {
		t.Errorf("answer %s %v, want accepted earlier", body, resp.Header)
	}
}

func TestAdversarialBaseBodyQuirks(t *testing.T) {
	const code8 = `{"error":8,"errorDescription":"not enough funds"}`
	boom := errors.New("boom")
	for _, tt := range []struct {
		name     string
		body     *trackedBody
		cl       int64
		class    Class
		readErr  error
		wantBody string
	}{
		{"close fails", &trackedBody{r: strings.NewReader(code8), closeErr: boom}, int64(len(code8)), ClassAccount, nil, code8},
		{"last bytes come with io.EOF", &trackedBody{r: strings.NewReader(code8), tailErr: io.EOF}, -1, ClassAccount, nil, code8},
		{"last bytes come with an error", &trackedBody{r: strings.NewReader(code8), tailErr: boom}, -1, ClassTransient, boom, code8},
	} {
		t.Run(tt.name, func(t *testing.T) {
			base := roundTripFunc(func(*http.Request) (*http.Response, error) {
				return &http.Response{StatusCode: 200, Header: http.Header{}, Body: tt.body, ContentLength: tt.cl}, nil
			})
			rt := NewTransport(base, withClock(newFakeClock()), WithMaxAttempts(1))
			resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "http://api.test/rest/sms/create", smsNoRef, testKey))
			if err != nil {
				t.Fatal(err)
			}
			b, rerr := io.ReadAll(resp.Body)
			resp.Body.Close()
			if string(b) != tt.wantBody || !errors.Is(rerr, tt.readErr) && rerr != tt.readErr {
				t.Errorf("body %q, %v; want %q, %v", b, rerr, tt.wantBody, tt.readErr)
			}
			if out, _ := OutcomeOf(resp); out.Class != tt.class {
				t.Errorf("class %v, want %v", out.Class, tt.class)
			}
			if tt.body.closes.Load() == 0 {
				t.Error("the base's body was never closed")
			}
		})
	}
}

func TestAdversarialBaseHugeBodies(t *testing.T) {
	huge := `{"error":8,"pad":"` + strings.Repeat("x", 3<<20) + `"}`
	for _, cl := range []int64{-1, int64(len(huge))} {
		var sent atomic.Int32
		body := &trackedBody{r: strings.NewReader(huge)}
		base := roundTripFunc(func(*http.Request) (*http.Response, error) {
			sent.Add(1)
			return &http.Response{StatusCode: 200, Header: http.Header{}, Body: body, ContentLength: cl}, nil
		})
		rt := NewTransport(base, withClock(newFakeClock()))
		resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "http://api.test/rest/sms/create", smsNoRef, testKey))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); got != huge {
			t.Errorf("ContentLength %d: %d bytes back of %d", cl, len(got), len(huge))
		}
		if out, _ := OutcomeOf(resp); !out.Unread || out.Class != ClassSuccess || sent.Load() != 1 {
			t.Errorf("ContentLength %d: outcome %+v after %d sends, want unread success after 1", cl, out, sent.Load())
		}
		if body.closes.Load() != 1 {
			t.Errorf("ContentLength %d: base body closed %d times", cl, body.closes.Load())
		}
	}
}

func TestAdversarialBaseOversized503IsDrainedAndRetried(t *testing.T) {
	var bodies []*trackedBody
	base := roundTripFunc(func(*http.Request) (*http.Response, error) {
		if len(bodies) == 2 {
			return response(200, `{"error":0}`), nil
		}
		b := &trackedBody{r: strings.NewReader(strings.Repeat("<html>", 100<<10))}
		bodies = append(bodies, b)
		return &http.Response{StatusCode: 503, Header: http.Header{}, Body: b, ContentLength: -1}, nil
	})
	rt := NewTransport(base, withClock(newFakeClock()))
	resp, err := rt.RoundTrip(newCall(t, http.MethodPut, "http://api.test/rest/sms/create", smsNoRef, testKey))
	if err != nil {
		t.Fatal(err)
	}
	if body := readAll(t, resp); body != `{"error":0}` {
		t.Errorf("body %q", body)
	}
	for i, b := range bodies {
		if b.closes.Load() != 1 {
			t.Errorf("discarded body %d closed %d times, want 1", i, b.closes.Load())
		}
	}
}

func TestAdversarialBaseSeesTheWholeUnbufferedBody(t *testing.T) {
	big := bytes.Repeat([]byte("a"), 5000)
	var got [][]byte
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		b, _ := io.ReadAll(r.Body)
		r.Body.Close()
		got = append(got, b)
		return response(500, `{}`), nil
	})
	rt := NewTransport(base, withClock(newFakeClock()), WithPolicy(Policy{MaxRequestBodyBytes: 1000}))
	req := newCall(t, http.MethodGet, "http://api.test/rest/common/balance", "", testKey)
	req.Body, req.GetBody = io.NopCloser(bytes.NewReader(big)), nil // too large to buffer
	resp, err := rt.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	readAll(t, resp)
	if len(got) != 1 || !bytes.Equal(got[0], big) {
		t.Errorf("base saw %d sends; first of %d bytes, want one of %d", len(got), len(got[0]), len(big))
	}
}
