package notificoretest

import "testing"

// Start is NewServer for tests: it starts a server configured by opts and
// registers its Close with tb.Cleanup, so the server is shut down when the
// test and its subtests end.
func Start(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := NewServer(opts...)
	tb.Cleanup(s.Close)
	return s
}

// StartTLS is NewTLSServer for tests: it starts an HTTPS server configured
// by opts and registers its Close with tb.Cleanup. Client returns a client
// that trusts it.
func StartTLS(tb testing.TB, opts ...Option) *Server {
	tb.Helper()
	s := NewTLSServer(opts...)
	tb.Cleanup(s.Close)
	return s
}
