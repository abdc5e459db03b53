package scenario

import (
	"context"
	"net"
	"net/http"
	"sync/atomic"

	"github.com/resilient-sms/resilient/bench"
	"go.opentelemetry.io/otel/trace"
)

// WritesPerCall sends calls single creates through the happy-path client v
// to the happy-path server and returns how many writes per call the client
// made on its connections. net/http sends the headers and a body it knows to
// be in memory in one write; a client that hides the body from it costs a
// second write (and a second read on the server) on every call. The count
// wraps the connections, which changes how net/http copies the body, so it
// is a scenario of its own, not part of BenchmarkHappyPath.
func WritesPerCall(v bench.Variant, tp trace.TracerProvider, calls int) float64 {
	srv := bench.NewHappyServer()
	defer srv.Close()
	var writes atomic.Int64
	base := bench.NewBareTransport()
	defer base.CloseIdleConnections()
	var d net.Dialer
	base.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return countingConn{c, &writes}, nil
	}
	client := &http.Client{Transport: v.New(base, tp)}
	for i := range calls {
		send(context.Background(), client, srv.URL+"/rest/sms/create", ref(i))
	}
	return float64(writes.Load()) / float64(calls)
}

// countingConn counts the writes made on a connection.
type countingConn struct {
	net.Conn
	writes *atomic.Int64
}

func (c countingConn) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.Conn.Write(p)
}
