package bench

import (
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"time"
)

// NewHappyServer starts a loopback server that answers every request with
// SuccessBody, HTTP 200, after reading the request body whole: the cheapest
// server that still answers like Notificore, so that the clients' costs
// stand out. The caller closes it.
func NewHappyServer() *httptest.Server {
	body := []byte(SuccessBody)
	length := strconv.Itoa(len(body))
	return httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		h := w.Header()
		h["Content-Type"] = []string{"application/json"}
		h["Content-Length"] = []string{length}
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write(body)
	}))
}

// NewBareTransport returns the floor every client is measured against: an
// *http.Transport tuned for many parallel calls to one host (enough idle
// connections kept per host that b.RunParallel never dials again).
func NewBareTransport() *http.Transport {
	return &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        256,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
		DisableCompression:  true,
		ForceAttemptHTTP2:   false,
	}
}
