package redisfleet

import (
	"context"
	"time"
)

// A session is one connection to Redis, from a successful dial to its first
// failure; the Fleet dials a new one after each failure. Its methods are
// safe for concurrent use and return when ctx ends.
type session interface {
	// write stores facts and publishes them, each in one atomic step
	// unless Redis already holds a newer fact of its account, all in one
	// round trip. It returns one error per op: a *rejectedError when Redis
	// answered with an error (the op will fail again; the session is fine).
	write(ctx context.Context, ops []writeOp) []error
	// lease sets key to token for ttl unless another instance than
	// instance holds it (leaseScript), and reports whether it did.
	lease(ctx context.Context, key, token, instance string, ttl time.Duration) (bool, error)
	// load returns the values of every key matching the SCAN pattern.
	load(ctx context.Context, match string) ([][]byte, error)
	// runID identifies the server process: it changes when Redis restarts.
	runID(ctx context.Context) (string, error)
	// receive calls msg with every fact published from now on and returns
	// once it receives them; the session breaks when that stops.
	receive(ctx context.Context, msg func([]byte)) error
	// broken is closed when the session fails or is closed.
	broken() <-chan struct{}
	// close ends the session and waits for its goroutines.
	close()
}

// writeOp is one fact to write: key is set to payload for ttl; at is the
// fact's At in Unix microseconds, which orders it against the fact Redis
// holds. A release token ends leaseKey first, if it still holds that grant,
// after leaseTTL (at once when it is 0).
type writeOp struct {
	key      string
	payload  []byte
	ttl      time.Duration
	at       int64
	leaseKey string
	release  string
	leaseTTL time.Duration
}

// A dialer opens a session to the server of cfg, for the keys of k.
type dialer func(ctx context.Context, cfg Config, k keys) (session, error)

// rejectedError is an error Redis answered with, as opposed to a failure to
// reach it.
type rejectedError struct{ err error }

func (e *rejectedError) Error() string { return e.err.Error() }
func (e *rejectedError) Unwrap() error { return e.err }
