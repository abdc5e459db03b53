package resilient

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"sync/atomic"
)

// bodySource hands a request's body to every attempt: the original body to
// the first, then GetBody's copies, or copies of a buffer it filled itself
// when the request has no GetBody.
type bodySource struct {
	req        *http.Request
	first      io.ReadCloser // the first attempt's body; nil when none
	sent       bool          // first went to an attempt, which closes it
	buf        []byte        // the buffered body when GetBody is nil
	buffered   bool
	replayable bool // every attempt can get the same bytes
}

// newBodySource prepares req's body for resending. A body without GetBody is
// buffered up to limit bytes; a larger one is sent once, unbuffered, and the
// request is never resent. It fails only when reading the body fails or ctx
// ends first, and then it has closed the body, as RoundTrip must.
func newBodySource(ctx context.Context, req *http.Request, limit int64) (bodySource, error) {
	b := bodySource{req: req, replayable: true}
	switch {
	case req.Body == nil || req.Body == http.NoBody:
		return b, nil
	case req.GetBody != nil:
		b.first = req.Body
		return b, nil
	}
	data, err := readUpTo(ctx, req.Body, limit+1)
	if err != nil {
		return b, err
	}
	if int64(len(data)) > limit {
		b.first = struct {
			io.Reader
			io.Closer
		}{io.MultiReader(bytes.NewReader(data), req.Body), req.Body}
		b.replayable = false
		return b, nil
	}
	req.Body.Close()
	b.buf, b.buffered = data, true
	return b, nil
}

// direct reports whether the attempt with the given 1-based number can send
// the caller's request itself: it has no body, or it is the first attempt
// and the body is the caller's own.
func (b *bodySource) direct(attempt int) bool {
	switch {
	case b.buffered:
		return false
	case b.first == nil:
		return true
	}
	return attempt == 1 && b.first == b.req.Body
}

// replay returns the GetBody of attempts with the buffered body buf, so that
// net/http can replay them itself when a reused connection fails before
// writing. It holds buf alone, not the call, which a base transport may
// outlive.
func replay(buf []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(buf)), nil }
}

// open returns the body for the attempt with the given 1-based number.
func (b *bodySource) open(attempt int) (io.ReadCloser, error) {
	switch {
	case b.buffered:
		return io.NopCloser(bytes.NewReader(b.buf)), nil
	case attempt == 1:
		b.sent = true
		return b.first, nil
	case b.first == nil:
		return nil, nil
	}
	return b.req.GetBody()
}

// bytes returns the whole body, reading a GetBody copy when it was not
// buffered; false when it cannot be had within limit bytes.
func (b *bodySource) bytes(limit int64) ([]byte, bool) {
	switch {
	case b.buffered:
		return b.buf, true
	case !b.replayable || b.first == nil:
		return nil, false
	}
	rc, err := b.req.GetBody()
	if err != nil {
		return nil, false
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, limit+1))
	if err != nil || int64(len(data)) > limit {
		return nil, false
	}
	return data, true
}

// close closes the original body when no attempt sent it.
func (b *bodySource) close() {
	if b.first != nil && !b.sent {
		b.sent = true
		b.first.Close()
	}
}

// readUpTo reads at most n bytes of body, giving up when ctx ends first: a
// stalled body (an io.Pipe whose writer waits) must not hold a call past its
// context. The read runs on a goroutine of its own, which ends when the body
// returns. On failure the body is closed: at once when a Close may run
// beside a Read (a pipe, whose Read it unblocks), else by the reading
// goroutine once its Read returns.
func readUpTo(ctx context.Context, body io.ReadCloser, n int64) ([]byte, error) {
	if ctx.Done() == nil {
		data, err := io.ReadAll(io.LimitReader(body, n))
		if err != nil {
			body.Close()
		}
		return data, err
	}
	type read struct {
		data []byte
		err  error
	}
	done := make(chan read, 1)
	var owner atomic.Int32 // 1: the caller takes the read, 2: the reader closes the body
	go func() {
		data, err := io.ReadAll(io.LimitReader(untilAbandoned{body, &owner}, n))
		if !owner.CompareAndSwap(0, 1) {
			body.Close() // the caller gave up
		}
		done <- read{data, err}
	}()
	var rd read
	select {
	case rd = <-done:
	case <-ctx.Done():
		if owner.CompareAndSwap(0, 2) {
			if _, pipe := body.(*io.PipeReader); pipe {
				body.Close()
			}
			return nil, ctx.Err()
		}
		rd = <-done // the read ended first
	}
	if rd.err != nil {
		body.Close()
	}
	return rd.data, rd.err
}

// untilAbandoned reads r until the caller gives the read up (owner 2).
type untilAbandoned struct {
	r     io.Reader
	owner *atomic.Int32
}

func (u untilAbandoned) Read(p []byte) (int, error) {
	if u.owner.Load() == 2 {
		return 0, context.Canceled
	}
	return u.r.Read(p)
}
