package resilient

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"slices"
	"sync"
)

// drainLimit bounds how much of a discarded response is read so that its
// connection can be reused; a longer remainder closes the connection.
const drainLimit = 64 << 10

// responseBody is the body handed back to the caller after classification:
// the bytes read to classify it, then whatever was left unread, then the
// error that cut the read short, if any: byte for byte what the server sent.
type responseBody struct {
	r       bytes.Reader
	rest    io.ReadCloser // unread remainder of an oversized body; nil when read whole
	err     error         // read error after the bytes; nil means io.EOF
	outcome Outcome
	bulk    []byte         // the body the recipients of a pending outcome are read from
	memo    *itemMemo      // with the shape of its Transport's answers
	once    sync.Once      // reads them
	rcs     []Recipient    // and holds them
	ctx     outcomeContext // the context of the final answer's Request
	req     http.Request   // the final answer's Request, carrying ctx
	small   [smallBody]byte
}

// smallBody is the size of a body that is read into its responseBody
// itself rather than into a buffer of its own: a single send's answer.
const smallBody = 256

func (b *responseBody) Read(p []byte) (int, error) {
	if b.r.Len() > 0 {
		return b.r.Read(p)
	}
	if b.rest != nil {
		return b.rest.Read(p)
	}
	if b.err != nil {
		return 0, b.err
	}
	return 0, io.EOF
}

func (b *responseBody) Close() error {
	if b.rest != nil {
		return b.rest.Close()
	}
	return nil
}

// bytes returns the body as read, when it was read whole.
func (b *responseBody) bytes() []byte {
	data := make([]byte, b.r.Size())
	b.r.ReadAt(data, 0)
	return data
}

// readBody reads resp's body up to limit bytes to classify it and puts rb,
// filled with them, in its place. It reports the bytes, whether they are not
// the whole body (too large, not read, or the read failed), and the read
// error. The announced ContentLength only sizes the buffer: a wrong one
// loses nothing. The body of a 1xx answer, such as a switched protocol's
// connection, is handed back unread.
func readBody(resp *http.Response, limit int64, rb *responseBody) (_ *responseBody, data []byte, partial bool, err error) {
	switch {
	case resp.Body == nil || resp.Body == http.NoBody:
		resp.Body = rb
		return rb, nil, false, nil
	case resp.ContentLength > limit || resp.StatusCode < 200 || isWriter(resp.Body):
		rb.rest = resp.Body
		resp.Body = rb
		return rb, nil, true, nil
	}
	buf := rb.small[:0]
	if n := resp.ContentLength + 1; n > smallBody { // one more byte to see EOF
		buf = make([]byte, 0, min(n, 32<<10))
	}
	data, err = readAtMost(resp.Body, limit+1, buf)
	rb.r.Reset(data)
	switch {
	case err != nil:
		resp.Body.Close()
		rb.err = err
		partial = true
	case int64(len(data)) > limit:
		rb.rest = resp.Body
		partial = true
	default:
		resp.Body.Close()
	}
	resp.Body = rb
	return rb, data, partial, err
}

// readAtMost reads r until EOF or n bytes, appending to data, which grows
// as needed; io.EOF is not an error.
func readAtMost(r io.Reader, n int64, data []byte) ([]byte, error) {
	for int64(len(data)) < n {
		if len(data) == cap(data) {
			data = slices.Grow(data, int(min(n-int64(len(data)), int64(cap(data)))))
		}
		m, err := r.Read(data[len(data):min(int64(cap(data)), n)])
		data = data[:len(data)+m]
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return data, err
		}
	}
	return data, nil
}

func isWriter(b io.ReadCloser) bool {
	_, ok := b.(io.Writer)
	return ok
}

// discard drains (bounded) and closes a response the caller will not see,
// so its connection can be reused.
func discard(resp *http.Response) {
	if resp == nil || resp.Body == nil {
		return
	}
	io.CopyN(io.Discard, resp.Body, drainLimit)
	resp.Body.Close()
}

// outcomeKey is the context key under which the Transport leaves a final
// answer's body, so that OutcomeOf finds it through wrapped bodies.
type outcomeKey struct{}

// outcomeContext is a request's context that also answers outcomeKey.
type outcomeContext struct {
	context.Context
	rb *responseBody
}

func (c *outcomeContext) Value(key any) any {
	if key == (outcomeKey{}) {
		return c.rb
	}
	return c.Context.Value(key)
}

// setOutcome gives the final answer's body its classification out and
// makes it reachable from resp.Request too, whose context carries it.
func setOutcome(resp *http.Response, req *http.Request, rb *responseBody, out Outcome) {
	rb.outcome = out
	if resp.Request != nil {
		req = resp.Request
	}
	rb.ctx = outcomeContext{Context: req.Context(), rb: rb}
	rb.req = *req.WithContext(&rb.ctx)
	resp.Request = &rb.req
}

// OutcomeOf returns the classification of the attempt whose response the
// Transport handed back (after any rule and the accepted-earlier finding),
// also when an http.Client with a Timeout or a middleware wrapped its body,
// and for the answers of WithFailFastAnswers. It reports false when resp
// did not come from a Transport. The Recipients of a bulk answer that
// accepted every recipient are read from the answer on the first call only
// (the Transport checks such an answer without keeping them); every call,
// from any goroutine, shares them.
func OutcomeOf(resp *http.Response) (Outcome, bool) {
	if resp == nil {
		return Outcome{}, false
	}
	if rb, ok := resp.Body.(*responseBody); ok {
		return rb.final(), true
	}
	if resp.Request != nil {
		if rb, ok := resp.Request.Context().Value(outcomeKey{}).(*responseBody); ok {
			return rb.final(), true
		}
	}
	return Outcome{}, false
}

// final returns the outcome handed back with the body, with the recipients
// of a pending one read on the first call: safe for concurrent use, and
// every call shares one slice of them, as they shared the outcome's.
func (b *responseBody) final() Outcome {
	o := b.outcome
	if o.pending {
		b.once.Do(b.readRecipients)
		o.Recipients, o.pending = b.rcs, false
	}
	return o
}

// readRecipients reads the recipients of a pending outcome as
// classifyResponse would have: of class success, which mayWait made the
// class of code 0's rule.
func (b *responseBody) readRecipients() {
	b.rcs, _ = b.memo.items(b.bulk)
	b.bulk, b.memo = nil, nil
}
