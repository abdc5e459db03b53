package resilient

// This file holds the steps of the quick bulk reader (quickbulk.go) that
// read JSON values in general.

import (
	"encoding/binary"
	"math/bits"
)

// The quick reader's steps take the body and the offset to read at, and
// return the offset after what they read, or -1 when the body does not have
// the form they read. They read strictly to JSON's grammar, but for strings:
// a string with an escape or a control character is not for the quick
// reader (which makes a string's bytes its text), and an object key must be
// ASCII.

// skipWS skips white space; it passes -1 on.
func skipWS(b []byte, i int) int {
	if i >= 0 && i < len(b) && b[i] > ' ' { // compact JSON: none
		return i
	}
	return skipSpaces(b, i)
}

func skipSpaces(b []byte, i int) int {
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

// stringEnd reads the string at b[i], which holds its opening quote, and
// returns the offset of its closing quote, or -1 when the string holds an
// escape or a control character first. It looks at eight bytes at a time.
func stringEnd(b []byte, i int) int { return scanString(b, i, false) }

// scanString is stringEnd, and with plain set it also ends at a bracket or
// a byte outside ASCII, with -1.
func scanString(b []byte, i int, plain bool) int {
	const lows, highs = 0x0101010101010101, 0x8080808080808080
	j := i + 1
	for ; j+8 <= len(b); j += 8 {
		x := binary.LittleEndian.Uint64(b[j:])
		m := specials(x)
		if plain {
			k := x ^ '['*lows
			m |= (k-lows)&^k&highs | x&highs
		}
		if m != 0 {
			if j += bits.TrailingZeros64(m) / 8; b[j] == '"' {
				return j
			}
			return -1
		}
	}
	for ; j < len(b); j++ {
		switch c := b[j]; {
		case c == '"':
			return j
		case c == '\\' || c < 0x20, plain && (c == '[' || c >= 0x80):
			return -1
		}
	}
	return -1
}

// specials flags the bytes of x that end a string or are not for the quick
// reader (a quote, a backslash, a control character) with their high bit.
// It flags every such byte, the lowest exactly, and may flag a byte above
// one that is none. For k·0x01… a byte k in every byte, (x-k·0x01…)&^x&0x80…
// flags the bytes of x below k; a quote and a backslash are the bytes below
// 1 of x^'"'·0x01… and x^'\\'·0x01….
func specials(x uint64) uint64 {
	const lows, highs = 0x0101010101010101, 0x8080808080808080
	q, e := x^'"'*lows, x^'\\'*lows
	return ((q-lows)&^q | (e-lows)&^e | (x-0x20*lows)&^x) & highs
}

// skipString reads the string at b[i], which holds its opening quote.
func skipString(b []byte, i int) int {
	if i = stringEnd(b, i); i < 0 {
		return -1
	}
	return i + 1
}

// keyAt reads an object key (which must be ASCII, for an encoding/json
// match of a key outside it is not ASCII's) and its colon, and returns the
// key and the offset of the value.
func keyAt(b []byte, i int) ([]byte, int) {
	if i >= len(b) || b[i] != '"' {
		return nil, -1
	}
	end := stringEnd(b, i)
	if end < 0 {
		return nil, -1
	}
	key := b[i+1 : end]
	if !plainASCII(key) {
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
func skipValue(b []byte, i, depth int) int {
	if i < 0 || i >= len(b) || depth > quickDepth {
		return -1
	}
	switch c := b[i]; c {
	case '"':
		return skipString(b, i)
	case '{', '[':
		return skipContainer(b, i, depth)
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
func skipContainer(b []byte, i, depth int) int {
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
			if _, i = keyAt(b, i); i < 0 {
				return -1
			}
		}
		if i = skipWS(b, skipValue(b, i, depth+1)); i < 0 || i >= len(b) {
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
	if len(b)-i < len(w) || string(b[i:i+len(w)]) != w {
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
