package resilient

import (
	"bytes"
	"encoding/binary"
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
func quickItems(body []byte) (items []Recipient, ok bool) { return (*itemMemo)(nil).items(body) }

// items is quickItems, the first element read by the shape m remembers
// when it has it; a nil memo remembers nothing.
func (m *itemMemo) items(body []byte) ([]Recipient, bool) {
	q := bulkRead{keep: true, memo: m}
	if !q.body(body) {
		return nil, false
	}
	return q.items, true
}

// quickAccepted reports whether quickItems reads body, without keeping
// the recipients: the check of a bulk answer whose recipients are read
// only when the caller asks for them.
func quickAccepted(body []byte) bool { return (*itemMemo)(nil).accepted(body) }

// accepted is quickAccepted, the first element read by the shape m
// remembers when it has it; a nil memo remembers nothing.
func (m *itemMemo) accepted(body []byte) bool {
	q := bulkRead{memo: m}
	return q.body(body)
}

// bulkRead is one read of a bulk answer by quickItems (keep set: the
// recipients in items, their texts in s) or quickAccepted (keep unset:
// each element is checked in one scratch Recipient, its texts not copied).
type bulkRead struct {
	keep  bool
	memo  *itemMemo // the first elements' shape, if any
	items []Recipient
	s     strings.Builder
	found bool // a result array was read, the last one in items
}

// body reads the answer b and reports whether it is one quickItems reads.
func (q *bulkRead) body(b []byte) bool {
	if bytes.IndexByte(b, '[') < 0 {
		return false
	}
	sized := false // only the first result array is sized ahead: a body of many stays linear
	i := skipWS(b, 0)
	if i >= len(b) || b[i] != '{' {
		return false
	}
	for i = skipWS(b, i+1); i < len(b) && b[i] != '}'; {
		var key []byte
		if key, i = keyAt(b, i); i < 0 {
			return false
		}
		switch {
		case !asciiIs(key, "result"):
			i = skipValue(b, i, 1)
		case b[i] == '[':
			n := 1
			if q.keep && !sized {
				n, sized = bytes.Count(b[i:], []byte{'{'}), true
			}
			i = q.array(b, i, n)
		default:
			q.items, q.found, i = nil, false, skipValue(b, i, 1)
		}
		if i = skipWS(b, i); i < 0 || i >= len(b) {
			return false
		}
		if b[i] == ',' {
			if i = skipWS(b, i+1); i >= len(b) || b[i] != '"' {
				return false // a trailing comma
			}
		} else if b[i] != '}' {
			return false
		}
	}
	if i >= len(b) || skipWS(b, i+1) != len(b) || !q.found {
		q.items = nil
		return false
	}
	return true
}

// array reads a result array of accepted recipients, about n of them.
// An element is read by the shape of the last one read in full when it has
// it (quickshape.go), and in full, giving the shape, when it does not; the
// first by the shape memo remembers, if any.
// Their references and ids are copied into one strings.Builder, whose bytes
// never change once written, and are slices of its string.
func (q *bulkRead) array(b []byte, i, n int) int {
	q.items, q.found = nil, false
	var s *strings.Builder
	var scratch Recipient
	if q.keep {
		q.items = make([]Recipient, 0, n)
		q.s = strings.Builder{}
		q.s.Grow(16 * n)
		s = &q.s
	}
	coded := false
	var keys itemKeys
	shape := q.memo.load()
	if i = skipWS(b, i+1); i < len(b) && b[i] == ']' {
		return -1 // no element: the full parse decides
	}
	for first := true; i >= 0 && i < len(b); first = false {
		it := &scratch
		if q.keep {
			q.items = append(q.items, Recipient{})
			it = &q.items[len(q.items)-1]
		}
		hasCode, next := false, -1
		if !q.keep { // the elements that follow it alike, at once
			if n, end := shape.run(b, i); n > 0 {
				hasCode, next = shape.hasCode, end
			}
		}
		if next < 0 {
			hasCode, next = shape.read(b, s, it, i)
		}
		if next < 0 {
			*it = Recipient{}
			if hasCode, next = itemAt(b, s, &keys, &shapeRecorder{sh: &shape}, it, i); next < 0 {
				return -1
			}
			if first {
				q.memo.missed(&shape, next-i)
			}
		}
		i = next
		coded = coded || hasCode
		if i = skipWS(b, i); i >= len(b) {
			return -1
		}
		switch b[i] {
		case ']':
			if !coded {
				return -1
			}
			q.found = true
			return i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			return -1
		}
	}
	return -1
}

// itemAt reads one accepted recipient into it: an object whose error, if
// any, is 0. keys holds the keys of the elements before it; rec notes the
// element's shape.
func itemAt(b []byte, s *strings.Builder, keys *itemKeys, rec *shapeRecorder, it *Recipient, i int) (hasCode bool, _ int) {
	if b[i] != '{' {
		return false, -1
	}
	rec.begin(i)
	if i = skipWS(b, i+1); i < len(b) && b[i] == '}' {
		rec.end(b, i+1, false)
		return false, i + 1
	}
	for p := 0; i >= 0 && i < len(b); p++ {
		var kind keyKind
		if p < len(keys) && keys[p].at(b, i) {
			kind, i = keys[p].kind, i+len(keys[p].raw)
		} else if kind, i = keys.read(b, i, p); i < 0 {
			return false, -1
		}
		switch kind {
		case keyError:
			hasCode, i = true, zero(b, i)
		case keyReference, keyID:
			open := i
			var t string
			if t, i = textAt(b, s, i); i >= 0 && b[open] == '"' {
				rec.slot(b, kind, open, i-1)
			} else if i >= 0 {
				rec.clear(kind)
			}
			if kind == keyReference {
				it.Reference = t
			} else {
				it.ID = t
			}
		default:
			if b[i] == '"' { // a string, the most common value
				i = skipString(b, i)
			} else {
				i = skipValue(b, i, 2)
			}
		}
		if i = skipWS(b, i); i < 0 || i >= len(b) {
			return false, -1
		}
		switch b[i] {
		case '}':
			rec.end(b, i+1, hasCode)
			return hasCode, i + 1
		case ',':
			i = skipWS(b, i+1)
		default:
			return false, -1
		}
	}
	return false, -1
}

// itemKeys remembers the keys of a result array's elements by their place:
// a server writes every element with the same keys in the same order, so
// the bytes of an element's key, from its opening quote to its value, name
// the next element's key at that place in a comparison of a word or two. A
// key that differs is read in full and remembered in its stead.
type itemKeys [8]itemKey

// itemKey is a key as written, through its colon and the white space after:
// its first eight bytes (but the bits of drop, those past a shorter key's
// end), its last eight bytes, its bytes and what it names. The zero
// itemKey matches nothing.
type itemKey struct {
	head, drop, tail uint64
	raw              []byte
	kind             keyKind
}

// keyKind is what a recipient's key names, in any case.
type keyKind uint8

const (
	keyOther keyKind = iota
	keyError
	keyReference
	keyID
)

// at reports whether b holds the key at i, with a value after it.
func (k *itemKey) at(b []byte, i int) bool {
	n := len(k.raw)
	if n == 0 || len(b)-i <= n|7 || binary.LittleEndian.Uint64(b[i:])&^k.drop != k.head {
		return false
	}
	return n <= 8 || binary.LittleEndian.Uint64(b[i+n-8:]) == k.tail &&
		(n <= 16 || string(b[i+8:i+n-8]) == string(k.raw[8:n-8]))
}

// read reads the key at b[i] in full and remembers it as the p-th.
func (k *itemKeys) read(b []byte, i, p int) (keyKind, int) {
	start := i
	key, i := keyAt(b, i)
	if i < 0 {
		return keyOther, -1
	}
	kind := keyOther
	switch n := len(key); {
	case n == 5 && asciiIs(key, "error"):
		kind = keyError
	case n == 9 && asciiIs(key, "reference"):
		kind = keyReference
	case n == 2 && asciiIs(key, "id"):
		kind = keyID
	}
	if p < len(k) {
		k[p] = newItemKey(b[start:i], kind)
	}
	return kind, i
}

// newItemKey remembers raw, a key of kind as written.
func newItemKey(raw []byte, kind keyKind) itemKey {
	k := itemKey{raw: raw, kind: kind}
	var w [8]byte
	copy(w[:], raw)
	k.head = binary.LittleEndian.Uint64(w[:])
	if n := len(raw); n < 8 {
		k.drop = ^uint64(0) << (8 * n)
	} else {
		k.tail = binary.LittleEndian.Uint64(raw[n-8:])
	}
	return k
}

// zero reads a code of 0, written 0 or "0"; any other code is not for the
// quick reader.
func zero(b []byte, i int) int {
	switch {
	case b[i] == '0':
		if i+1 < len(b) && isNumberByte(b[i+1]) {
			return -1
		}
		return i + 1
	case b[i] == '"' && len(b)-i >= 3 && b[i+1] == '0' && b[i+2] == '"':
		return i + 3
	}
	return -1
}

// textAt reads a reference or an id as text(v) would: a string as it is,
// null or a boolean as "". A number (which text formats) or a container is
// not for the quick reader. The text is copied to s and returned as a slice
// of its string; with s nil it is only checked, and "" returned.
func textAt(b []byte, s *strings.Builder, i int) (string, int) {
	if b[i] == '"' {
		end := stringEnd(b, i)
		if end < 0 {
			return "", -1
		}
		if end == i+1 || s == nil {
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
