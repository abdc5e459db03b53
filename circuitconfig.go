package resilient

import (
	"net/http"
	"time"
)

// AccountCircuit configures the account circuits: one per account (see
// WithAccountKey for how a call's account is found), opened by the first
// account-level outcome (codes 2, 8, 9, HTTP
// 402, "Unavailable for your account status") and held open for a time that
// depends on the code, after which one probe call goes through: its success
// closes the circuit, another account-level answer opens it again. The zero
// value means the defaults.
type AccountCircuit struct {
	// Disabled turns account circuits off.
	Disabled bool
	// OpenFor is how long an account-level outcome with no time of its own
	// holds the circuit open; default 1m. Codes 2, 8 and 9 have theirs: 15
	// minutes for a blocked user (2), 5 minutes for an inactive rate scale
	// (9), 1 minute for missing funds (8), which a top-up can end at any
	// moment. A Rule's OpenFor overrides both.
	OpenFor time.Duration
	// Probe, when set, builds the request that tests a half-open account
	// circuit in place of a real call, from the call that found it ready to
	// probe (copy its X-API-KEY or Authorization header). Example: a GET of
	// /rest/common/balance, which answers code 2 while the user is blocked
	// but sends no message. Its success closes the circuit and the call goes
	// on; another account-level answer re-opens it and the call fails fast,
	// unsent. Returning nil (or an error) lets the call itself be the probe,
	// as it is when Probe is nil.
	Probe func(call *http.Request) (*http.Request, error)
	// MaxCircuits bounds the accounts whose failures the Transport
	// remembers; default 100 000. A healthy account holds nothing. Past the
	// bound, closed circuits are dropped first, then any.
	MaxCircuits int
}

// HostCircuit configures the host circuits: one per host, opened when
// transient failures (5xx, 408, 429, network failures; not code 11) are at
// least FailureRatio of at least MinRequests attempts within a rolling
// Window, and held open for OpenFor or the server's Retry-After (capped by
// Policy.MaxRetryAfter), whichever is longer. Permanent answers count as a
// healthy server; cancellations and requests that never left the process
// do not count. The window runs on the Transport's clock. The zero value
// means the defaults.
type HostCircuit struct {
	// Disabled turns host circuits off.
	Disabled bool
	// Window is the rolling window, in ten buckets; default 30s.
	Window time.Duration
	// MinRequests is the volume below which the circuit never opens; default 20.
	MinRequests int
	// FailureRatio is the share of failures that opens it; default 0.5.
	FailureRatio float64
	// OpenFor is how long it stays open at least; default 10s.
	OpenFor time.Duration
}

// defaultOpenFor is how long each account-level code holds an account
// circuit open unless a Rule says otherwise.
var defaultOpenFor = map[int]time.Duration{
	2: 15 * time.Minute,
	8: time.Minute,
	9: 5 * time.Minute,
}

type circuitConfig struct {
	account       AccountCircuit
	host          HostCircuit
	maxCircuits   int
	maxRetryAfter time.Duration
	answers       bool
	listener      func(CircuitEvent)
}

func (c *circuitConfig) finish(p Policy) {
	if c.account.OpenFor <= 0 {
		c.account.OpenFor = time.Minute
	}
	c.maxCircuits = c.account.MaxCircuits
	if c.maxCircuits <= 0 {
		c.maxCircuits = 100000
	}
	h := &c.host
	if h.Window <= 0 {
		h.Window = 30 * time.Second
	}
	if h.MinRequests <= 0 {
		h.MinRequests = 20
	}
	if h.FailureRatio <= 0 || h.FailureRatio > 1 {
		h.FailureRatio = 0.5
	}
	if h.OpenFor <= 0 {
		h.OpenFor = 10 * time.Second
	}
	c.maxRetryAfter = p.MaxRetryAfter
}

// accountOpenFor is the default open time of an account-level code.
func (c *circuitConfig) accountOpenFor(code int) time.Duration {
	if d, ok := defaultOpenFor[code]; ok {
		return d
	}
	return c.account.OpenFor
}

// WithAccountCircuit configures the account circuits.
func WithAccountCircuit(a AccountCircuit) Option {
	return optionFunc(func(c *config) { c.circuits.account = a })
}

// WithHostCircuit configures the host circuits.
func WithHostCircuit(h HostCircuit) Option {
	return optionFunc(func(c *config) { c.circuits.host = h })
}

// WithFailFastAnswers makes a fail-fast return a synthesized answer in place
// of an error: the HTTP status and Notificore-shaped body of the answer that
// opened the circuit (e.g. {"error":8,"errorDescription":"not enough
// funds"}), marked by the FailFastHeader, with Retry-After set to when a
// probe may go. Pick it under SDKs that cannot take a transport error (the
// official Go SDK calls log.Fatal on one); keep the default error, which
// errors.Is(err, ErrCircuitOpen) recognizes, in code of your own.
func WithFailFastAnswers() Option {
	return optionFunc(func(c *config) { c.circuits.answers = true })
}

// WithCircuitListener registers f to hear every circuit state change. f runs
// synchronously on the goroutine of the call that caused the change, outside
// every lock: it must be quick and must not block.
func WithCircuitListener(f func(CircuitEvent)) Option {
	return optionFunc(func(c *config) { c.circuits.listener = f })
}
