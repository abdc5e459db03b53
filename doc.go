// Package resilient provides an http.RoundTripper for the Notificore (and BSG)
// messaging API that reads every answer the way the API really gives it,
// sorts each failure as transient, permanent or account-level, and then
// retries with back-off, returns at once, or fails fast.
package resilient
