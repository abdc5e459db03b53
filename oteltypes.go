package resilient

import (
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"syscall"

	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
)

// errorType is an attempt's error.type: the status code for HTTP errors,
// the Notificore code for errors in 2xx answers, a short name for transport
// failures; "" for a success.
func errorType(out *Outcome) string {
	switch {
	case out.Class == ClassSuccess:
		return ""
	case out.Err != nil:
		if out.Canceled {
			return "canceled"
		}
		return transportErrorType(out.Err)
	case out.StatusCode >= 400:
		return strconv.Itoa(out.StatusCode)
	case out.Code != 0:
		return "notificore_" + codeLabel(out.Code)
	}
	return out.Class.String()
}

// transportErrorType names a transport failure with a stable, low-cardinality
// name: timeout, connection_reset, connection_refused, eof, dns, tls, or the
// error's type as semconv names it.
func transportErrorType(err error) string {
	var (
		ne   net.Error
		dns  *net.DNSError
		cert *tls.CertificateVerificationError
		rec  tls.RecordHeaderError
	)
	switch {
	case errors.As(err, &ne) && ne.Timeout():
		return "timeout"
	case errors.Is(err, syscall.ECONNRESET):
		return "connection_reset"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection_refused"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "eof"
	case errors.As(err, &dns):
		return "dns"
	case errors.As(err, &cert), errors.As(err, &rec):
		return "tls"
	}
	return semconv.ErrorType(err).Value.AsString()
}
