package resilient

import (
	"net/http"
	"strings"
)

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
