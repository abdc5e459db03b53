package resilient

// This file holds the steps of the quick bulk reader (quickbulk.go) that
// read JSON values in general.

import "bytes"

// The quick reader's steps take the body and the offset to read at, and
// return the offset after what they read, or -1 when the body does not have
// the form they read. The body holds no escape and no control character
// (quickItems has made sure), and is read strictly to JSON's grammar.

// skipWS skips white space; it passes -1 on.
func skipWS(b []byte, i int) int {
	for i >= 0 && i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// stringEnd reads the string at b[i], which holds its opening quote; it returns
// the offset of its closing quote.
func stringEnd(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		if b[j] == '"' {
			return j
		}
	}
	return -1
}

// keyAt reads an object key (which must be ASCII, for an encoding/json
// match of a key outside it is not ASCII's; ascii reports that the whole
// body is) and its colon, and returns the key and the offset of the value.
func keyAt(b []byte, i int, ascii bool) ([]byte, int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end := stringEnd(b, i)
	if end < 0 {
		return nil, -1
	}
	key := b[i+1 : end]
	if !ascii && !plainASCII(key) {
		return nil, -1
	}
	if i = skipWS(b, end+1); i < 0 || i >= len(b) || b[i] != ':' {
		return nil, -1
	}
	if i = skipWS(b, i+1); i >= len(b) {
		return nil, -1
	}
	return key, i
}

// skipValue reads any value.
func skipValue(b []byte, i, depth int, ascii bool) int {
	if i < 0 || i >= len(b) || depth > quickDepth {
		return -1
	}
	switch c := b[i]; c {
	case '"':
		if i = stringEnd(b, i); i < 0 {
			return -1
		}
		return i + 1
	case '{', '[':
		return skipContainer(b, i, depth, ascii)
	case 't':
		return skipWord(b, i, "true")
	case 'f':
		return skipWord(b, i, "false")
	case 'n':
		return skipWord(b, i, "null")
	}
	return skipNumber(b, i)
}

// skipContainer reads an object or an array.
func skipContainer(b []byte, i, depth int, ascii bool) int {
	closing := byte(']')
	object := b[i] == '{'
	if object {
		closing = '}'
	}
	if i = skipWS(b, i+1); i < len(b) && b[i] == closing {
		return i + 1
	}
	for i >= 0 && i < len(b) {
		if object {
			if _, i = keyAt(b, i, ascii); i < 0 {
				return -1
			}
		}
		if i = skipWS(b, skipValue(b, i, depth+1, ascii)); i < 0 || i >= len(b) {
			return -1
		}
		switch b[i] {
		case closing:
			return i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			return -1
		}
	}
	return -1
}

func skipWord(b []byte, i int, w string) int {
	if !bytes.HasPrefix(b[i:], []byte(w)) {
		return -1
	}
	return i + len(w)
}

// skipNumber reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func skipNumber(b []byte, i int) int {
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i >= len(b):
		return -1
	case b[i] == '0':
		i++
	case b[i] >= '1' && b[i] <= '9':
		i = skipDigits(b, i)
	default:
		return -1
	}
	if i < len(b) && b[i] == '.' {
		if i = skipDigits(b, i+1); i < 0 {
			return -1
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		if i++; i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		return skipDigits(b, i)
	}
	return i
}

// skipDigits reads one digit or more.
func skipDigits(b []byte, i int) int {
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	if i == start {
		return -1
	}
	return i
}
