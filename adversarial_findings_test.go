// Each test here once failed: it describes the bug it found, which is
// fixed, and keeps it fixed.

package resilient

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"
)

// Finding 1: a base transport's ContentLength that is smaller than the body
// (the zero value of a hand-built Response, most often) cuts the body handed
// back to ContentLength+1 bytes; the rest is closed unread. net/http's own
// Client hands such a body back whole.
func TestAdversarialFindingContentLengthShorterThanBody(t *testing.T) {
	const body = `{"result":{"error":0,"id":"42","price":0.02}}`
	for _, cl := range []int64{0, 5} {
		base := roundTripFunc(func(*http.Request) (*http.Response, error) {
			return &http.Response{StatusCode: 200, Header: http.Header{}, ContentLength: cl,
				Body: io.NopCloser(strings.NewReader(body))}, nil
		})
		plain, _ := base.RoundTrip(nil)
		want, _ := io.ReadAll(plain.Body)
		resp, err := NewTransport(base, withClock(newFakeClock())).RoundTrip(newCall(t, http.MethodGet, "http://api.test/rest/sms/42", "", testKey))
		if err != nil {
			t.Fatal(err)
		}
		if got := readAll(t, resp); got != string(want) {
			t.Errorf("ContentLength %d: body %q, want %q as the base gave it", cl, got, want)
		}
	}
}

// Finding 2: a 101 Switching Protocols answer (Connection: Upgrade) hands
// the raw connection back as its body; the Transport reads it for
// classification until 256 KiB or EOF, which never come, and the read does
// not watch the context: RoundTrip hangs past cancellation.
func TestAdversarialFindingSwitchingProtocolsHangs(t *testing.T) {
	srv := newRawServer(t, func(c net.Conn, _ int, _ *http.Request) {
		io.WriteString(c, "HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n")
	})
	rt := wireTransport(t)
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	done := make(chan struct{})
	go func() {
		defer close(done)
		resp, err := rt.RoundTrip(newCall(t, http.MethodGet, srv.url("/rest/common/balance"), "", testKey).WithContext(ctx))
		if err == nil {
			resp.Body.Close()
		}
	}()
	select {
	case <-done:
	case <-time.After(3 * time.Second): // a watchdog
		srv.ln.Close()
		srv.mu.Lock()
		for _, c := range srv.conns {
			c.Close() // frees the stuck call so the test can end
		}
		srv.mu.Unlock()
		<-done
		t.Fatal("RoundTrip still reading a 101 answer's body 3 s after its context ended")
	}
}

// slowBody is a request body without GetBody whose reads take 100 ms; it
// is not safe for concurrent use, as io.ReadCloser does not promise.
type slowBody struct{ closed bool }

func (b *slowBody) Read(p []byte) (int, error) {
	time.Sleep(100 * time.Millisecond)
	if b.closed {
		return 0, io.ErrClosedPipe
	}
	p[0] = 'a'
	return 1, nil
}

func (b *slowBody) Close() error { b.closed = true; return nil }

// Finding 4: when the context ends while readUpTo buffers a request body,
// newBodySource closes the body while readUpTo's goroutine is still inside
// its Read: Close and Read run concurrently, a data race (run with -race)
// on any body that is not a pipe.
func TestAdversarialFindingBodyClosedDuringItsRead(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rt := NewTransport(roundTripFunc(func(*http.Request) (*http.Response, error) { return response(200, `{}`), nil }))
		ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
		defer cancel()
		req, _ := http.NewRequestWithContext(ctx, http.MethodPut, "https://api.test/rest/sms/create", nil)
		req.Body = &slowBody{}
		if _, err := rt.RoundTrip(req); !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("error %v", err)
		}
		time.Sleep(time.Second) // the reading goroutine wakes and reads the closed flag
	})
}

// Finding 6: when the request's GetBody fails for a resend, the call ends
// with a local *Error that claims two attempts, one of which never left,
// and the answer the server did give (a 500 here, with its body) is drained
// and lost. The resend was never made: the call should end on the answer it
// holds, as when a resend is unsafe.
func TestAdversarialFindingFailedGetBodyLosesTheAnswer(t *testing.T) {
	const answer = `{"error":5,"errorDescription":"unknown error"}`
	sent := 0
	base := roundTripFunc(func(r *http.Request) (*http.Response, error) {
		sent++
		io.ReadAll(r.Body)
		return response(500, answer), nil
	})
	rt := NewTransport(base, withClock(newFakeClock()))
	req := newCall(t, http.MethodPut, "https://api.test/rest/sms/create", smsWithRef, testKey)
	gets := 0
	req.GetBody = func() (io.ReadCloser, error) {
		if gets++; gets > 1 {
			return nil, errors.New("body gone")
		}
		return io.NopCloser(strings.NewReader(smsWithRef)), nil
	}
	resp, err := rt.RoundTrip(req)
	if err != nil {
		var e *Error
		errors.As(err, &e)
		t.Fatalf("after %d send(s): %v (attempts %d); want the 500 answer", sent, err, e.Attempts)
	}
	if body := readAll(t, resp); resp.StatusCode != 500 || body != answer {
		t.Errorf("%d %q, want the server's 500", resp.StatusCode, body)
	}
}
