package resilient

import (
	"net/http"
	"strings"
)

// probe sends AccountCircuit.Probe's request in place of the call. A success
// closes the circuit and the call goes on; another account-level answer
// re-opens it and the call fails fast, having sent nothing of its own;
// anything else frees the slot and the call goes on.
func (c *call) probe() *CircuitOpenError {
	preq, err := c.t.circuits.cfg.account.Probe(c.req)
	if err != nil || preq == nil {
		return nil // the call is the probe
	}
	r := new(result)
	c.t.exchange(c.ctx, preq.WithContext(c.ctx), new(responseBody), r)
	discard(r.resp)
	c.t.tel.probed(c.tel, &r.out)
	g := gate{ap: c.g.ap} // only the account circuit hears of the probe
	c.g.ap = permit{}
	now := c.t.clock.Now()
	acct, _ := c.t.circuits.record(&g, c.acct, &r.out, r.rule, now)
	c.report(acct, ScopeAccount, now, true)
	if acct.to == StateOpen {
		c.g.release()
		return acct.o.err
	}
	return nil
}

// BalanceProbe is a ready AccountCircuit.Probe for API 1.0: a GET of the
// balance (…/rest/common/balance on the call's host, under the call's path
// prefix) with the call's X-API-KEY. It tells a blocked user (code 2) from an
// active one without sending a message; with missing funds (code 8) the
// balance answers, the circuit closes, and the next send finds out. Calls
// without an X-API-KEY probe themselves.
func BalanceProbe(call *http.Request) (*http.Request, error) {
	key := call.Header.Get("X-API-KEY")
	if key == "" {
		return nil, nil
	}
	prefix := ""
	if i := strings.Index(call.URL.Path, "/rest/"); i >= 0 {
		prefix = call.URL.Path[:i]
	}
	u := *call.URL
	u.Path, u.RawPath, u.RawQuery, u.Fragment = prefix+"/rest/common/balance", "", "", ""
	req, err := http.NewRequestWithContext(call.Context(), http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("X-API-KEY", key)
	return req, nil
}
