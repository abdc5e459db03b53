package resilient

import (
	"bytes"
	"strings"
)

// quickDepth is the nesting the quick bulk reader follows; a deeper body
// goes to the full parse.
const quickDepth = 16

// quickItems reads the result array of a bulk create answer in which every
// recipient was accepted, in one pass and without a general parser: the
// usual bulk answer. It reports ok only for a body that is valid JSON
// without escapes or control characters in its strings and with ASCII keys (a key outside
// ASCII may fold to a field's name), whose last "result" (in any case)
// is an array of objects of which at least one holds an "error", each one 0
// or "0", and whose references and ids are strings, null, booleans or
// absent; the recipients it returns are then those of parseAnswer's items
// under the default rules (of class success: the caller applies a rule of
// code 0), and their references and ids are slices of one string that holds
// them alone. Any other body, an
// error among the recipients included, yields ok false and goes to the full
// parse. The fuzz tests hold it to agreeing with parseAnswer.
func quickItems(body []byte) (items []Recipient, ok bool) {
	if bytes.IndexByte(body, '[') < 0 {
		return nil, false
	}
	b := body
	sized := false // only the first result array is sized ahead: a body of many stays linear
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	for i = skipWS(b, i+1); i < len(b) && b[i] != '}'; {
		var key []byte
		if key, i = keyAt(b, i); i < 0 {
			return nil, false
		}
		switch {
		case !asciiIs(key, "result"):
			i = skipValue(b, i, 1)
		case b[i] == '[':
			n := 1
			if !sized {
				n, sized = bytes.Count(b[i:], []byte{'{'}), true
			}
			items, i = itemsAt(b, i, n)
		default:
			items, i = nil, skipValue(b, i, 1)
		}
		if i = skipWS(b, i); i < 0 || i >= len(b) {
			return nil, false
		}
		if b[i] == ',' {
			if i = skipWS(b, i+1); i >= len(b) || b[i] != '"' {
				return nil, false // a trailing comma
			}
		} else if b[i] != '}' {
			return nil, false
		}
	}
	if i >= len(b) || skipWS(b, i+1) != len(b) || items == nil {
		return nil, false
	}
	return items, true
}

// itemsAt reads a result array of accepted recipients, about n of them.
// Their references and ids are copied into one strings.Builder, whose bytes
// never change once written, and are slices of its string.
func itemsAt(b []byte, i, n int) ([]Recipient, int) {
	items := make([]Recipient, 0, n)
	var s strings.Builder
	s.Grow(16 * n)
	coded := false
	if i = skipWS(b, i+1); i < len(b) && b[i] == ']' {
		return nil, -1 // no element: the full parse decides
	}
	for i >= 0 && i < len(b) {
		var it Recipient
		var hasCode bool
		if it, hasCode, i = itemAt(b, &s, i); i < 0 {
			return nil, -1
		}
		items, coded = append(items, it), coded || hasCode
		if i = skipWS(b, i); i >= len(b) {
			return nil, -1
		}
		switch b[i] {
		case ']':
			if !coded {
				return nil, -1
			}
			return items, i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			return nil, -1
		}
	}
	return nil, -1
}

// itemAt reads one accepted recipient: an object whose error, if any, is 0.
func itemAt(b []byte, s *strings.Builder, i int) (it Recipient, hasCode bool, _ int) {
	if b[i] != '{' {
		return it, false, -1
	}
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		return it, false, i + 1
	}
	for i >= 0 && i < len(b) {
		var key []byte
		if key, i = keyAt(b, i); i < 0 {
			return it, false, -1
		}
		switch n := len(key); {
		case n == 5 && asciiIs(key, "error"):
			hasCode, i = true, zero(b, i)
		case n == 9 && asciiIs(key, "reference"):
			it.Reference, i = textAt(b, s, i)
		case n == 2 && asciiIs(key, "id"):
			it.ID, i = textAt(b, s, i)
		default:
			i = skipValue(b, i, 2)
		}
		if i = skipWS(b, i); i < 0 || i >= len(b) {
			return it, false, -1
		}
		switch b[i] {
		case '}':
			return it, hasCode, i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			return it, false, -1
		}
	}
	return it, false, -1
}

// zero reads a code of 0, written 0 or "0"; any other code is not for the
// quick reader.
func zero(b []byte, i int) int {
	if j := skipWord(b, i, `"0"`); j > 0 {
		return j
	}
	if b[i] != '0' || i+1 < len(b) && isNumberByte(b[i+1]) {
		return -1
	}
	return i + 1
}

// textAt reads a reference or an id as text(v) would: a string as it is,
// null or a boolean as "". A number (which text formats) or a container is
// not for the quick reader. The text is copied to s and returned as a slice
// of its string.
func textAt(b []byte, s *strings.Builder, i int) (string, int) {
	if b[i] == '"' {
		end := stringEnd(b, i)
		if end < 0 {
			return "", -1
		}
		if end == i+1 {
			return "", end + 1
		}
		start := s.Len()
		s.Write(b[i+1 : end])
		return s.String()[start:], end + 1
	}
	for _, w := range [...]string{"null", "true", "false"} {
		if j := skipWord(b, i, w); j > 0 {
			return "", j
		}
	}
	return "", -1
}
