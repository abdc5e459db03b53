package resilient

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// answer is what a Notificore answer body says, in every shape the API uses:
// a top-level code as a number or a string, a wrapped single result, a bulk
// result array, no error field at all, or API 2.0's errors array.
type answer struct {
	code    wireCode
	desc    string
	single  *wireItem  // {"result":{...}}
	items   []wireItem // {"result":[...]} whose elements carry an error field
	api2    []string   // {"errors":[{"message":...}]}
	isAPI2  bool
	hasBody bool // the body was a JSON object
}

type wireAnswer struct {
	Error       wireCode        `json:"error"`
	Description wireString      `json:"errorDescription"`
	Result      json.RawMessage `json:"result"`
	Errors      []wireAPI2Error `json:"errors"`
}

type wireAPI2Error struct {
	Message wireString `json:"message"`
}

type wireItem struct {
	Error       wireCode   `json:"error"`
	Description wireString `json:"errorDescription"`
	Reference   wireString `json:"reference"`
	ID          wireString `json:"id"`
}

// parseAnswer decodes body. It never fails: a body that is not a JSON object
// yields an answer with hasBody false, and fields of the wrong type are
// skipped (encoding/json keeps decoding past an UnmarshalTypeError).
func parseAnswer(body []byte) answer {
	var a answer
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return a
	}
	var w wireAnswer
	if err := json.Unmarshal(body, &w); err != nil && !isTypeError(err) {
		return a
	}
	a.hasBody = true
	a.code = w.Error
	a.desc = string(w.Description)
	if w.Errors != nil {
		a.isAPI2 = true
		for _, e := range w.Errors {
			a.api2 = append(a.api2, string(e.Message))
		}
	}
	res := bytes.TrimSpace(w.Result)
	switch {
	case len(res) == 0:
	case res[0] == '{':
		var it wireItem
		if err := json.Unmarshal(res, &it); err == nil || isTypeError(err) {
			a.single = &it
		}
	case res[0] == '[':
		var items []wireItem
		if err := json.Unmarshal(res, &items); err == nil || isTypeError(err) {
			for _, it := range items {
				if it.Error.set {
					a.items = items
					break
				}
			}
		}
	}
	return a
}

func isTypeError(err error) bool {
	var te *json.UnmarshalTypeError
	return errors.As(err, &te)
}

// wireCode is an error code as the API writes it: a number, a string holding
// a number, null, or (from broken proxies) something else, which is bad.
type wireCode struct {
	set bool // present and not null or false
	bad bool // present but not a code
	n   int
}

// UnmarshalJSON implements json.Unmarshaler. It never returns an error, so a
// malformed code cannot hide the rest of the body.
func (c *wireCode) UnmarshalJSON(b []byte) error {
	*c = wireCode{}
	s := string(b)
	switch {
	case s == "null" || s == "false":
		return nil
	case len(s) >= 2 && s[0] == '"':
		str, ok := unquote(b)
		if !ok {
			c.set, c.bad = true, true
			return nil
		}
		s = strings.TrimSpace(str)
		if s == "" {
			return nil // "" means no error
		}
	}
	c.set = true
	if n, err := strconv.Atoi(s); err == nil {
		c.n = n
		return nil
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && f == math.Trunc(f) && math.Abs(f) < 1<<31 {
		c.n = int(f)
		return nil
	}
	c.bad = true
	return nil
}

// wireString accepts a JSON string or any other scalar (ids and references
// arrive as both strings and numbers); other values leave it empty.
type wireString string

// UnmarshalJSON implements json.Unmarshaler and never returns an error.
func (s *wireString) UnmarshalJSON(b []byte) error {
	switch {
	case len(b) > 0 && b[0] == '"':
		if str, ok := unquote(b); ok {
			*s = wireString(str)
		}
	case len(b) > 0 && (b[0] == '-' || (b[0] >= '0' && b[0] <= '9')):
		*s = wireString(b)
	}
	return nil
}

// unquote decodes a JSON string literal, without encoding/json's machinery
// when it holds no escape.
func unquote(b []byte) (string, bool) {
	if len(b) >= 2 && b[len(b)-1] == '"' && bytes.IndexByte(b, '\\') < 0 {
		return string(b[1 : len(b)-1]), true
	}
	var str string
	err := json.Unmarshal(b, &str)
	return str, err == nil
}
