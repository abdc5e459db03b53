package resilient

import (
	"bytes"
	"encoding/binary"
)

// quickSuccess reports, without parsing, that body is a plain success: a
// JSON object in which every key spelled "error" (in any case) holds 0 or
// "0", with no "errors" or "message" key (API 2.0) and no array at all (bulk
// results must be read one by one). It errs only towards false, which sends
// the body to the full parse: a body with an escape or a byte outside ASCII,
// which could spell a key another way, always goes there. The fuzz tests
// hold it to agreeing with parseAnswer and with encoding/json.
func quickSuccess(body []byte) bool {
	if len(body) == 0 || body[0] != '{' || bytes.IndexByte(body, '[') >= 0 ||
		bytes.IndexByte(body, '\\') >= 0 || !plainASCII(body) {
		return false
	}
	for i := 1; i < len(body); i++ {
		if body[i] != '"' {
			continue
		}
		j := i + 1
		for j < len(body) && body[j] != '"' {
			j++
		}
		if j == len(body) {
			return false
		}
		tok := body[i+1 : j]
		i = j
		if n := len(tok); n < 5 || n > 7 {
			continue
		}
		switch {
		case asciiIs(tok, "errors"), asciiIs(tok, "message"):
			return false
		case !asciiIs(tok, "error"):
			continue
		}
		// A key (or a value) spelled error: it must hold 0 or "0".
		rest := trimSpace(body[i+1:])
		if len(rest) == 0 || rest[0] != ':' {
			return false
		}
		rest = trimSpace(rest[1:])
		switch {
		case len(rest) >= 2 && rest[0] == '0' && !isNumberByte(rest[1]):
			i = len(body) - len(rest) // at the 0
		case bytes.HasPrefix(rest, quotedZero):
			i = len(body) - len(rest) + len(quotedZero) - 1 // at the closing quote
		default:
			return false
		}
	}
	return true
}

// trimSpace drops JSON white space from the front of b.
func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t' || b[0] == '\r' || b[0] == '\n') {
		b = b[1:]
	}
	return b
}

// plainASCII reports whether b holds ASCII only, eight bytes at a time.
func plainASCII(b []byte) bool {
	for len(b) >= 8 {
		if binary.LittleEndian.Uint64(b)&0x8080808080808080 != 0 {
			return false
		}
		b = b[8:]
	}
	for _, c := range b {
		if c >= 0x80 {
			return false
		}
	}
	return true
}

var quotedZero = []byte(`"0"`)

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}

// asciiIs reports whether tok, which holds ASCII only, is name (lower case)
// in any case.
func asciiIs(tok []byte, name string) bool {
	if len(tok) != len(name) {
		return false
	}
	for i := 0; i < len(tok); i++ {
		if tok[i]|0x20 != name[i] {
			return false
		}
	}
	return true
}
