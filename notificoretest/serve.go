package notificoretest

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
)

// maxBody is the largest request body the server reads.
const maxBody = 4 << 20

// request is one request being served, with its body already read.
type request struct {
	r     *http.Request
	body  []byte
	fault *Fault // the fault the request consumed, or nil
}

// code returns n as an error code in the form the request's fault asks for.
func (q *request) code(n int) code {
	return code{n: n, str: q.fault != nil && q.fault.CodeString}
}

// topError returns the top-level error answer for an API 1.0 code.
func (q *request) topError(n int) reply {
	return jsonReply(http.StatusOK, topError{Error: q.code(n), Description: describe(n)})
}

// overrides returns the per-recipient codes the request's fault asks for.
func (q *request) overrides() map[int]int {
	if q.fault == nil {
		return nil
	}
	return q.fault.Recipients
}

// serveHTTP records the request, applies the fault it consumes, if any, and
// otherwise answers it normally.
func (s *Server) serveHTTP(w http.ResponseWriter, r *http.Request) {
	defer s.handled()
	s.mu.Lock()
	s.requests++
	idx := len(s.log)
	f := s.popFaultLocked(s.targetLocked(r))
	s.log = append(s.log, Received{
		Method:        r.Method,
		Path:          r.URL.Path,
		APIKey:        r.Header.Get("X-API-KEY"),
		Authorization: r.Header.Get("Authorization"),
		Header:        r.Header.Clone(),
		Fault:         f != nil,
	})
	s.mu.Unlock()

	if f != nil && f.Reset == ResetBeforeBody {
		s.wait(r, f.Delay)
		reset(w)
		return
	}

	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if len(body) > 0 {
		s.mu.Lock()
		s.log[idx].Body = body
		s.mu.Unlock()
	}
	if err != nil {
		if tooLarge := new(http.MaxBytesError); errors.As(err, &tooLarge) {
			htmlReply(http.StatusRequestEntityTooLarge).write(w)
		}
		// Otherwise the client went away while sending: nobody to answer.
		return
	}
	if f == nil && isLogin(r) {
		// A login's key is in its body: match faults scoped to it now.
		s.mu.Lock()
		f = s.popFaultLocked(target{path: r.URL.Path, method: r.Method, key: loginKey(body), keyKnown: true})
		s.log[idx].Fault = f != nil
		s.mu.Unlock()
		if f != nil && f.Reset == ResetBeforeBody {
			s.wait(r, f.Delay)
			reset(w)
			return
		}
	}

	q := &request{r: r, body: body, fault: f}
	var rep reply
	if f != nil && f.Reset == ResetNone && f.replaces() {
		rep = f.answer()
	} else {
		rep = s.route(q)
	}
	if f != nil && !s.wait(r, f.Delay) {
		// The client went away or the server is closing: drop the connection.
		reset(w)
		return
	}
	if s.closing() || (f != nil && f.Reset == ResetAfterProcessing) {
		reset(w)
		return
	}
	f.adjust(rep).write(w)
}

// targetLocked describes r for fault matching before its body is read: an
// API 2.0 request by the key behind its bearer token, a login by nothing yet
// (its key is in the body), any other by its X-API-KEY header.
// The caller holds s.mu.
func (s *Server) targetLocked(r *http.Request) target {
	t := target{path: r.URL.Path, method: r.Method, keyKnown: true}
	switch {
	case isLogin(r):
		t.keyKnown = false
	case strings.HasPrefix(r.URL.Path, "/api/"):
		t.key = s.tokens[bearer(r)].key
	default:
		t.key = r.Header.Get("X-API-KEY")
	}
	return t
}

// closing reports whether Close has been called.
func (s *Server) closing() bool {
	select {
	case <-s.done:
		return true
	default:
		return false
	}
}

// handled calls the onHandled test hook, if set.
func (s *Server) handled() {
	s.mu.Lock()
	h := s.onHandled
	s.mu.Unlock()
	if h != nil {
		h()
	}
}

// reset closes the connection under w with a TCP RST, without answering.
// If w cannot hand over its connection, it answers a bare HTTP 502 and asks
// for the connection to be closed instead.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		w.Header().Set("Connection", "close")
		w.WriteHeader(http.StatusBadGateway)
		return
	}
	if tc, ok := conn.(*tls.Conn); ok {
		// Drop the TCP connection under TLS without a close_notify.
		conn = tc.NetConn()
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		_ = tc.SetLinger(0)
	}
	_ = conn.Close()
}

// route answers a request normally.
func (s *Server) route(q *request) reply {
	p := strings.TrimSuffix(q.r.URL.Path, "/")
	if rest, ok := strings.CutPrefix(p, "/rest/"); ok {
		return s.routeREST(q, strings.Split(rest, "/"))
	}
	if rest, ok := strings.CutPrefix(p, "/api/"); ok {
		return s.routeAPI2(q, rest)
	}
	return htmlReply(http.StatusNotFound)
}

func isKind(s string) bool { return s == kindSMS || s == kindViber || s == kindHLR }

// routeREST answers an API 1.0 request; seg is the path after "/rest/".
func (s *Server) routeREST(q *request, seg []string) reply {
	m := q.r.Method
	switch {
	case len(seg) == 2 && seg[0] == "common" && seg[1] == "balance":
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return s.balance(q)
	case len(seg) == 2 && isKind(seg[0]) && seg[1] == "create":
		if m != http.MethodPut && m != http.MethodPost {
			return methodNotAllowed("PUT, POST")
		}
		switch seg[0] {
		case kindViber:
			return s.createViber(q)
		case kindHLR:
			return s.createHLR(q)
		}
		return s.createSMS(q)
	case len(seg) == 2 && isKind(seg[0]) && seg[1] != "":
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return s.lookup(q, seg[0], seg[1], false)
	case len(seg) == 3 && isKind(seg[0]) && seg[1] == "reference" && seg[2] != "":
		if m != http.MethodGet {
			return methodNotAllowed(http.MethodGet)
		}
		return s.lookup(q, seg[0], seg[2], true)
	}
	return htmlReply(http.StatusNotFound)
}
