package notificoretest

import "time"

// Option configures a Server built by NewServer, NewTLSServer, Start or
// StartTLS. Options are applied in the order given, and a nil Option is
// ignored; a later option for the same key overrides the earlier one's
// balance setting.
type Option interface {
	apply(*config)
}

// optionFunc is an Option made of a function; a nil one does nothing.
type optionFunc func(*config)

func (f optionFunc) apply(c *config) {
	if f != nil {
		f(c)
	}
}

// config collects what the options ask for before the server starts.
type config struct {
	accounts     map[string]*account
	order        []string // keys in registration order, for deterministic setup
	maxInFlight  int
	processing   time.Duration
	clock        Clock
	opaqueTokens bool
	dupWindow    time.Duration
	refReject    *reply // replaces the answer to a reference_id already taken
}

func (c *config) ensure(key string) *account {
	if c.accounts == nil {
		c.accounts = make(map[string]*account)
	}
	a, ok := c.accounts[key]
	if !ok {
		a = newAccount(key)
		c.accounts[key] = a
		c.order = append(c.order, key)
	}
	return a
}

// WithKey registers key as a valid API key whose account has an unlimited
// balance and is not blocked.
//
// Once any key has been registered through WithKey, WithBalance or
// WithBlocked, only registered keys are valid; a server built without any of
// them accepts every non-empty key, each as its own unlimited account.
func WithKey(key string) Option {
	return optionFunc(func(c *config) {
		a := c.ensure(key)
		a.unlimited = true
	})
}

// WithBalance registers key as a valid API key whose account can pay for
// exactly messages messages (SMS, Viber recipients, HLR requests and OTPs
// each cost one). A create that needs more than what is left is refused as
// a whole with code 8 "not enough funds" (API 2.0: HTTP 402). A negative
// count is taken as zero.
func WithBalance(key string, messages int) Option {
	return optionFunc(func(c *config) {
		a := c.ensure(key)
		a.unlimited = false
		a.balance = max(messages, 0)
	})
}

// WithBlocked registers key as a blocked account: every API 1.0 call made
// with it answers code 2 "the user is blocked", and API 2.0 sends and the
// API 2.0 balance answer HTTP 402. A blocked account can still log in to
// API 2.0. The account keeps an unlimited balance unless WithBalance says
// otherwise.
func WithBlocked(key string) Option {
	return optionFunc(func(c *config) {
		a := c.ensure(key)
		a.blocked = true
	})
}

// WithMaxInFlight caps the number of messages being processed at once at n,
// over every account and both APIs. A create whose messages would push the
// number in flight above n is refused at once, as a whole, with top-level
// code 11 (API 2.0: HTTP 429 "Too Many Requests"), and nothing of it is
// accepted. A create with more than n messages is therefore always refused.
// n <= 0 means no cap, which is the default.
//
// The cap only binds while messages stay in flight, so it is normally used
// together with WithProcessingTime.
func WithMaxInFlight(n int) Option {
	return optionFunc(func(c *config) {
		c.maxInFlight = max(n, 0)
	})
}

// WithProcessingTime makes every create take d on the server side, as
// measured by the server's Clock (see WithClock), during which its messages
// count as in flight (see WithMaxInFlight). If the client goes away or the
// server is closed during that time, the create is dropped and nothing of
// it is accepted. The default is zero: creates are processed at once.
func WithProcessingTime(d time.Duration) Option {
	return optionFunc(func(c *config) {
		c.processing = max(d, 0)
	})
}
