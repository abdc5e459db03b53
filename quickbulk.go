package resilient

import "bytes"

// quickDepth is the nesting the quick bulk reader follows; a deeper body
// goes to the full parse.
const quickDepth = 16

// quickItems reads the result array of a bulk create answer in which every
// recipient was accepted, in one pass and without a general parser: the
// usual bulk answer. It reports ok only for a body that is valid JSON
// without escapes or control characters and with ASCII keys (a key outside
// ASCII may fold to a field's name), whose last "result" (in any case)
// is an array of objects of which at least one holds an "error", each one 0
// or "0", and whose references and ids are strings, null, booleans or
// absent; the items it returns are then those parseAnswer returns, their
// references and ids slices of one string. Any other body, an error among
// the recipients included, yields ok false and goes to the full parse. The
// fuzz tests hold it to agreeing with parseAnswer.
func quickItems(body []byte) (items []wireItem, ok bool) {
	if bytes.IndexByte(body, '[') < 0 || bytes.IndexByte(body, '\\') >= 0 || !controlFree(body) {
		return nil, false
	}
	b, ascii := body, plainASCII(body)
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return nil, false
	}
	for i = skipWS(b, i+1); i < len(b) && b[i] != '}'; {
		var key []byte
		if key, i = keyAt(b, i, ascii); i < 0 {
			return nil, false
		}
		switch {
		case !asciiIs(key, "result"):
			i = skipValue(b, i, 1, ascii)
		case b[i] == '[':
			items, i = itemsAt(b, i, ascii)
		default:
			items, i = nil, skipValue(b, i, 1, ascii)
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

// itemsAt reads a result array of accepted recipients. Their references
// and ids are slices of one string of the body.
func itemsAt(b []byte, i int, ascii bool) ([]wireItem, int) {
	s := string(b)
	items := make([]wireItem, 0, bytes.Count(b[i:], []byte{'{'}))
	coded := false
	if i = skipWS(b, i+1); i < len(b) && b[i] == ']' {
		return nil, -1 // no element: the full parse decides
	}
	for i >= 0 && i < len(b) {
		var it wireItem
		var hasCode bool
		if it, hasCode, i = itemAt(b, s, i, ascii); i < 0 {
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
func itemAt(b []byte, s string, i int, ascii bool) (it wireItem, hasCode bool, _ int) {
	if b[i] != '{' {
		return it, false, -1
	}
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		return it, false, i + 1
	}
	for i >= 0 && i < len(b) {
		var key []byte
		if key, i = keyAt(b, i, ascii); i < 0 {
			return it, false, -1
		}
		switch {
		case asciiIs(key, "error"):
			hasCode, i = true, zero(b, i)
			it.code = wireCode{set: true}
		case asciiIs(key, "reference"):
			it.reference, i = textAt(b, s, i)
		case asciiIs(key, "id"):
			it.id, i = textAt(b, s, i)
		default:
			i = skipValue(b, i, 2, ascii)
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
// not for the quick reader.
func textAt(b []byte, s string, i int) (string, int) {
	if b[i] == '"' {
		end := stringEnd(b, i)
		if end < 0 {
			return "", -1
		}
		return s[i+1 : end], end + 1
	}
	for _, w := range [...]string{"null", "true", "false"} {
		if j := skipWord(b, i, w); j > 0 {
			return "", j
		}
	}
	return "", -1
}
