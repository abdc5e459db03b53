package resilient

import "net/http"

// Option configures a Transport; see the With... functions.
//
// Options apply in order, and a later option replaces what an earlier one
// set, with one exception that makes the order of the policy options
// irrelevant: WithPolicy sets the base Policy, and WithMaxAttempts,
// WithBackoff and WithRetryBudget override their field of it wherever they
// stand. Every other option sets its own setting; rules are kept per key (a
// later rule for the same code, message, status or class replaces the
// earlier one). A nil Option is ignored.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is a Transport's settings while NewTransport builds it.
type config struct {
	policy     Policy
	overrides  []func(*Policy) // WithMaxAttempts, WithBackoff, WithRetryBudget
	rules      ruleSet
	clock      clock
	apiErrors  bool
	accountKey func(*http.Request) string
	fleet      Fleet
	limits     InFlightLimit
	tel        telemetryConfig
	circuits   circuitConfig
}

func newConfig(opts []Option) *config {
	c := &config{clock: realClock{}, rules: newRuleSet(Policy{})}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	for _, f := range c.overrides {
		f(&c.policy)
	}
	c.policy = c.policy.withDefaults()
	c.rules.finish(c.policy)
	c.circuits.finish(c.policy)
	c.limits = c.limits.withDefaults()
	return c
}

// WithPolicy sets the base Policy, the retry numbers; zero fields keep their
// defaults. WithMaxAttempts, WithBackoff and WithRetryBudget override its
// fields whether they come before or after it.
func WithPolicy(p Policy) Option {
	return optionFunc(func(c *config) { c.policy = p })
}

// WithMaxAttempts sets Policy.MaxAttempts: how many attempts (not retries) a
// call may make; 1 disables retries. The default is 4.
func WithMaxAttempts(n int) Option {
	return optionFunc(func(c *config) {
		c.overrides = append(c.overrides, func(p *Policy) { p.MaxAttempts = n })
	})
}

// WithBackoff sets Policy.Backoff, the delays between attempts.
func WithBackoff(b Backoff) Option {
	return optionFunc(func(c *config) {
		c.overrides = append(c.overrides, func(p *Policy) { p.Backoff = b })
	})
}

// WithRetryBudget sets Policy.Budget, the per-host cap on retries; a negative
// Ratio disables it.
func WithRetryBudget(b RetryBudget) Option {
	return optionFunc(func(c *config) {
		c.overrides = append(c.overrides, func(p *Policy) { p.Budget = b })
	})
}

// WithCodeRule sets what the Transport does with Notificore API 1.0 error
// code code, top-level or per recipient, in place of the code's default
// class. Example: WithCodeRule(11, Rule{Class: ClassTransient, MaxAttempts: 8}).
func WithCodeRule(code int, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.codes[code] = r })
}

// WithMessageRule sets what the Transport does with an API 2.0 error
// message, matched without regard to case or surrounding space, whether it
// is the answer's top-level message or one of its errors. Example: mark
// another spelling of a rejected reference_id a duplicate with
// WithMessageRule("The reference id has already been taken.",
// Rule{Class: ClassPermanent, Duplicate: true}).
func WithMessageRule(msg string, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.messages[normMessage(msg)] = r })
}

// WithStatusRule sets what the Transport does with an HTTP status whose body
// carries no Notificore code and no documented message.
func WithStatusRule(status int, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.statuses[status] = r })
}

// WithClassRule sets what the Transport does with every outcome of class cl
// that no code, message or status rule matched: for example more attempts
// for every transient failure.
func WithClassRule(cl Class, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.classes[cl] = r })
}

// WithAPIErrors makes RoundTrip return an *Error, in place of the response,
// when a call ends on a permanent or account-level answer (a Notificore code
// in an HTTP 200, say). The response's body is closed and a bounded copy is
// kept in the Error. By default such answers are returned untouched, as
// net/http returns a 4xx.
func WithAPIErrors() Option {
	return optionFunc(func(c *config) { c.apiErrors = true })
}

// WithAccountKey sets how the Transport finds a call's account, the unit of
// its account circuits and in-flight limits, and the identity its fleet
// shares: f returns a string naming the account (it is hashed, never kept),
// or "" to leave the call to the default. By default the account is the
// X-API-KEY header's value, in whatever case the header's name is written;
// for a bearer token, the account of the API key whose login or refresh
// returned it, else the subject (or BSG's "id" claim) of the token read as
// a JWT, decoded but not verified, else the token itself; for a login, the
// api_key in its body. f must be safe for concurrent use.
func WithAccountKey(f func(*http.Request) string) Option {
	return optionFunc(func(c *config) { c.accountKey = f })
}

// WithFleet shares the Transport's account circuits with the other
// instances of a fleet through f: see Fleet.
func WithFleet(f Fleet) Option {
	return optionFunc(func(c *config) { c.fleet = f })
}

// withClock replaces the wall clock, for tests.
func withClock(cl clock) Option {
	return optionFunc(func(c *config) { c.clock = cl })
}

// WithInFlightLimit configures the adaptive in-flight limits.
func WithInFlightLimit(l InFlightLimit) Option {
	return optionFunc(func(c *config) { c.limits = l })
}
