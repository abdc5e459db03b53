package resilient

import (
	"net/http"

	"github.com/sony/gobreaker/v2"
)

// probeAccount sends AccountCircuit.Probe's request in place of the call
// when the call holds the probe slot of its half-open account circuit. A
// success closes the circuit and the call goes on; another account-level
// answer re-opens it and the call fails fast, having sent nothing of its
// own; anything else frees the slot and the call goes on. It returns nil, nil
// when the call should proceed.
func (t *Transport) probeAccount(c *call) (*http.Response, error) {
	probe := t.circuits.cfg.account.Probe
	if probe == nil || c.acctDone == nil || c.acct.cb.State() != gobreaker.StateHalfOpen {
		return nil, nil
	}
	preq, err := probe(c.req)
	if err != nil || preq == nil {
		return nil, nil // the call is the probe
	}
	preq = preq.WithContext(c.req.Context())
	resp, _, out, rule := t.exchange(c.req.Context(), preq, new(responseBody))
	discard(resp)
	t.tel.probed(c.tc, &out)
	t.circuits.recordAccount(c, &out, rule)
	t.circuits.publish(c)
	if out.Class != ClassAccount || out.Canceled {
		return nil, nil
	}
	now := t.clock.Now()
	if e := c.acct.gate(now); e != nil {
		return t.circuits.failFast(c, e, now)
	}
	return nil, nil
}
