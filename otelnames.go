package resilient

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
)

// serverOf returns the host and the port, explicit or the scheme's.
func serverOf(u *url.URL) (string, int) {
	host, p := u.Hostname(), u.Port()
	if p == "" {
		switch u.Scheme {
		case "https":
			return host, 443
		case "http":
			return host, 80
		}
		return host, 0
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

// methodOf maps a method to its semconv value; unknown methods are _OTHER.
func methodOf(m string) string {
	switch m {
	case "", http.MethodGet:
		return http.MethodGet
	case http.MethodPost, http.MethodPut, http.MethodDelete, http.MethodHead,
		http.MethodPatch, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "_OTHER"
}

// spanMethod is an attempt span's name: the method, or HTTP when unknown.
func spanMethod(m string) string {
	if mm := methodOf(m); mm != "_OTHER" {
		return mm
	}
	return "HTTP"
}

// operationName names a call's span after the Notificore operation its path
// reveals (sms.create, viber.create, hlr.create, balance, sms.get, ...), or
// the method when the path is not a Notificore one. It allocates nothing for
// the API's own operations.
func operationName(req *http.Request) string {
	p := req.URL.Path
	for _, prefix := range [...]string{"/rest/", "/api/", "/v1.0/"} {
		if i := strings.Index(p, prefix); i >= 0 {
			p = p[i+len(prefix):]
			break
		}
	}
	first, rest, _ := strings.Cut(strings.Trim(p, "/"), "/")
	second, rest, _ := strings.Cut(rest, "/")
	switch first {
	case "common":
		if second == "balance" {
			return "balance"
		}
	case "auth":
		if second == "login" {
			return "auth.login"
		}
	case "sms", "viber", "hlr", "stat":
		if op, ok := operations[first+"/"+second]; ok {
			return op
		}
		if second != "" {
			return operations[first]
		}
	case "campaigns":
		if second == "sms" {
			third, _, _ := strings.Cut(rest, "/")
			if op, ok := operations["campaigns/sms/"+third]; ok {
				return op
			}
		}
		return "campaigns"
	case "2fa":
		return "otp"
	case "contacts", "groups":
		return operations[first]
	}
	return spanMethod(req.Method)
}

// operations maps path segments to operation names, so that names are
// constants rather than built per call.
var operations = func() map[string]string {
	m := map[string]string{"contacts": "contacts", "groups": "groups",
		"campaigns/sms/send": "campaigns.sms.send", "campaigns/sms/send-groups": "campaigns.sms.send-groups"}
	for _, kind := range []string{"sms", "viber", "hlr", "stat"} {
		m[kind] = kind + ".get"
		for _, op := range []string{"create", "prices", "list"} {
			m[kind+"/"+op] = kind + "." + op
		}
		m[kind+"/reference"] = kind + ".get_by_reference"
		m[kind+"/task"] = kind + ".task"
	}
	return m
}()

// urlCache remembers url.full of one URL that has nothing to redact (a
// Transport's calls go to few endpoints, most to one), so that an attempt
// span's url.full costs no string of its own. A URL that differs is
// written out as before, and every eighth such miss takes the place: a
// URL called now and then does not push out the one called most. The zero
// urlCache is empty and ready; it is safe for concurrent use.
type urlCache struct {
	last   atomic.Pointer[cachedURL]
	misses missCount
}

// cachedURL is a URL with nothing to redact, by the parts that make it, and
// its url.full.
type cachedURL struct {
	scheme, host, path, full string
}

// full returns redactURL(u).
func (c *urlCache) full(u *url.URL) string {
	if !nothingToRedact(u) || !partsOnly(u) {
		return redactURL(u)
	}
	if e := c.last.Load(); e != nil && e.scheme == u.Scheme && e.host == u.Host && e.path == u.Path {
		return e.full
	}
	full := u.String()
	if c.misses.replaces() {
		c.last.Store(&cachedURL{scheme: u.Scheme, host: u.Host, path: u.Path, full: full})
	}
	return full
}

// partsOnly reports whether u's url.full is made of its scheme, host and
// path alone, the parts a cachedURL compares.
func partsOnly(u *url.URL) bool {
	return u.Opaque == "" && u.RawPath == "" && !u.ForceQuery && u.RawFragment == "" && !u.OmitHost
}

// nothingToRedact reports whether u holds none of what redactURL redacts,
// so that its url.full is u.String().
func nothingToRedact(u *url.URL) bool {
	return u.User == nil && u.RawQuery == "" && !strings.Contains(u.Path, "reference") && u.Fragment == ""
}

// redactURL is url.full without secrets: no user info, every query value
// REDACTED, and the path segment after "reference" (a client reference)
// REDACTED.
func redactURL(u *url.URL) string {
	if nothingToRedact(u) {
		return u.String()
	}
	r := url.URL{Scheme: u.Scheme, Host: u.Host, Path: u.Path}
	if u.User != nil {
		r.User = url.UserPassword("REDACTED", "REDACTED")
	}
	if seg := strings.Split(r.Path, "/"); len(seg) > 1 {
		for i := 0; i+1 < len(seg); i++ {
			if seg[i] == "reference" {
				seg[i+1] = "REDACTED"
			}
		}
		r.Path = strings.Join(seg, "/")
	}
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			q[k] = []string{"REDACTED"}
		}
		r.RawQuery = q.Encode()
	}
	return r.String()
}
