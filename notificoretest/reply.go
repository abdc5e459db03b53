package notificoretest

import (
	"encoding/json"
	"fmt"
	"html"
	"net/http"
	"strconv"
)

// reply is an answer computed by a handler, written later so that a fault
// can change its status and headers or drop it.
type reply struct {
	status int
	header http.Header
	body   []byte
}

func (r reply) write(w http.ResponseWriter) {
	for k, v := range r.header {
		w.Header()[k] = v
	}
	w.Header().Set("Content-Length", strconv.Itoa(len(r.body)))
	w.WriteHeader(r.status)
	_, _ = w.Write(r.body)
}

func jsonReply(status int, v any) reply {
	b, err := json.Marshal(v)
	if err != nil {
		// Every value marshalled here is built from plain types.
		b = []byte(`{}`)
	}
	return reply{status: status, header: http.Header{"Content-Type": {"application/json"}}, body: b}
}

// htmlReply answers a small HTML page for status, as a web server or a
// proxy in front of the API would.
func htmlReply(status int) reply {
	title := html.EscapeString(fmt.Sprintf("%d %s", status, http.StatusText(status)))
	body := fmt.Sprintf("<html>\r\n<head><title>%s</title></head>\r\n<body>\r\n<center><h1>%s</h1></center>\r\n</body>\r\n</html>\r\n", title, title)
	return reply{status: status, header: http.Header{"Content-Type": {"text/html; charset=utf-8"}}, body: []byte(body)}
}

func methodNotAllowed(allow string) reply {
	r := htmlReply(http.StatusMethodNotAllowed)
	r.header.Set("Allow", allow)
	return r
}

// code is an API 1.0 error code that marshals as a JSON number, or as a JSON
// string when str is set.
type code struct {
	n   int
	str bool
}

// MarshalJSON implements json.Marshaler.
func (c code) MarshalJSON() ([]byte, error) {
	s := strconv.Itoa(c.n)
	if c.str {
		s = `"` + s + `"`
	}
	return []byte(s), nil
}

// topError is the top-level error shape: {"error":N,"errorDescription":".."}.
type topError struct {
	Error       code   `json:"error"`
	Description string `json:"errorDescription"`
}

// wrappedError is {"result":{"error":N,"errorDescription":".."}}.
type wrappedError struct {
	Result topError `json:"result"`
}

// api2Errors is the older API 2.0 error shape, kept for ShapeAPI2:
// {"errors":[{"message":".."}]}.
type api2Errors struct {
	Errors []api2Message `json:"errors"`
}

type api2Message struct {
	Message string `json:"message"`
}

// api2Err is the API 2.0 error shape of the published spec:
// {"message":"..","errors":[]}, or on a validation error
// {"message":"The given data was invalid.","errors":{"field":[".."]}}.
type api2Err struct {
	Message string `json:"message"`
	Errors  any    `json:"errors"`
}

// msgInvalidData is the message of every API 2.0 validation error.
const msgInvalidData = "The given data was invalid."

// api2Error answers {"message":message,"errors":[]}.
func api2Error(status int, message string) reply {
	return jsonReply(status, api2Err{Message: message, Errors: []string{}})
}

// api2FieldError answers a validation error naming one field.
func api2FieldError(status int, field, message string) reply {
	return jsonReply(status, api2Err{Message: msgInvalidData, Errors: map[string][]string{field: {message}}})
}

// itemResult is one element of a create answer. A failed element has no id,
// price or currency.
type itemResult struct {
	Error       code    `json:"error"`
	Description string  `json:"errorDescription"`
	Reference   string  `json:"reference"`
	ID          string  `json:"id,omitempty"`
	Price       float64 `json:"price,omitempty"`
	Currency    string  `json:"currency,omitempty"`
}

// euros turns a number of messages into their price in EUR.
func euros(messages int) float64 {
	return float64(messages*pricePerMessage) / 100
}
