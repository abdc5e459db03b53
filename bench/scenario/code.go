package scenario

import (
	"encoding/json"
	"strconv"
	"strings"
)

// Code returns the Notificore code of an API 1.0 answer: the top-level
// "error", else the wrapped single result's; false when the body carries
// neither. Codes written as JSON strings are read too.
func Code(body []byte) (int, bool) {
	var a struct {
		Error  json.RawMessage `json:"error"`
		Result struct {
			Error json.RawMessage `json:"error"`
		} `json:"result"`
	}
	if json.Unmarshal(body, &a) != nil {
		return 0, false
	}
	if c, ok := number(a.Error); ok && c != 0 {
		return c, true
	}
	if c, ok := number(a.Result.Error); ok {
		return c, true
	}
	return number(a.Error)
}

func number(raw json.RawMessage) (int, bool) {
	s := strings.Trim(string(raw), `"`)
	if s == "" {
		return 0, false
	}
	n, err := strconv.Atoi(s)
	return n, err == nil
}
