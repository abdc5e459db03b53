package resilient

import "bytes"

// quickSuccess reports, without parsing, that body is a plain success: a
// JSON object in which every key spelled "error" (in any case) holds 0 or
// "0", with no "errors" or "message" key (API 2.0) and no array at all (bulk
// results must be read one by one). It errs only towards false, which sends
// the body to the full parse: a body with an escape or a byte outside ASCII,
// which could spell a key another way, always goes there. The fuzz tests
// hold it to agreeing with parseAnswer and with encoding/json.
func quickSuccess(body []byte) bool {
	if len(body) == 0 || body[0] != '{' {
		return false
	}
	for _, c := range body {
		if c == '\\' || c == '[' || c >= 0x80 {
			return false
		}
	}
	for rest := body; ; {
		i := bytes.IndexByte(rest, '"')
		if i < 0 {
			return true
		}
		rest = rest[i+1:]
		j := bytes.IndexByte(rest, '"')
		if j < 0 {
			return false
		}
		tok := rest[:j]
		rest = rest[j+1:]
		switch {
		case keyIs(tok, "errors"), keyIs(tok, "message"):
			return false
		case !keyIs(tok, "error"):
			continue
		}
		rest = bytes.TrimLeft(rest, " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			return false
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		switch {
		case len(rest) >= 2 && rest[0] == '0' && !isNumberByte(rest[1]):
			rest = rest[1:]
		case bytes.HasPrefix(rest, quotedZero):
			rest = rest[len(quotedZero):]
		default:
			return false
		}
	}
}

var quotedZero = []byte(`"0"`)

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}
