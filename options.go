package resilient

// Option configures a Transport; see the With... functions. Options apply in
// order, so a later option overrides an earlier one.
type Option interface {
	apply(*config)
}

type optionFunc func(*config)

func (f optionFunc) apply(c *config) { f(c) }

// config is a Transport's settings while NewTransport builds it.
type config struct {
	policy    Policy
	rules     ruleSet
	clock     clock
	apiErrors bool
	tel       telemetryConfig
	circuits  circuitConfig
}

func newConfig(opts []Option) *config {
	c := &config{clock: realClock{}, rules: newRuleSet(Policy{}), circuits: defaultCircuitConfig()}
	for _, o := range opts {
		if o != nil {
			o.apply(c)
		}
	}
	c.policy = c.policy.withDefaults()
	c.rules.finish(c.policy)
	c.circuits.finish(c.policy)
	return c
}

// WithPolicy sets the retry numbers; zero fields keep their defaults. It
// replaces the Policy set by earlier options, including WithMaxAttempts,
// WithBackoff and WithRetryBudget.
func WithPolicy(p Policy) Option {
	return optionFunc(func(c *config) { c.policy = p })
}

// WithMaxAttempts sets Policy.MaxAttempts: how many attempts (not retries) a
// call may make; 1 disables retries. The default is 4.
func WithMaxAttempts(n int) Option {
	return optionFunc(func(c *config) { c.policy.MaxAttempts = n })
}

// WithBackoff sets Policy.Backoff, the delays between attempts.
func WithBackoff(b Backoff) Option {
	return optionFunc(func(c *config) { c.policy.Backoff = b })
}

// WithRetryBudget sets Policy.Budget, the per-host cap on retries; a negative
// Ratio disables it.
func WithRetryBudget(b RetryBudget) Option {
	return optionFunc(func(c *config) { c.policy.Budget = b })
}

// WithCodeRule sets what the Transport does with Notificore API 1.0 error
// code code, top-level or per recipient, in place of the code's default
// class. Example: WithCodeRule(11, Rule{Class: ClassTransient, MaxAttempts: 8}).
func WithCodeRule(code int, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.codes[code] = r })
}

// WithMessageRule sets what the Transport does with an API 2.0 error message,
// matched without regard to case or surrounding space.
func WithMessageRule(msg string, r Rule) Option {
	return optionFunc(func(c *config) { c.rules.messages[normMessage(msg)] = r })
}

// WithStatusRule sets what the Transport does with an HTTP status whose body
// carries no Notificore code.
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

// withClock replaces the wall clock, for tests.
func withClock(cl clock) Option {
	return optionFunc(func(c *config) { c.clock = cl })
}
