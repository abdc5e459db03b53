package resilient

import (
	"bytes"
	"encoding/binary"
	"sync/atomic"
)

// successMemo remembers the shape of a plain success answer (quickSuccess):
// its bytes but the texts of its string values, which change from one
// answer to the next (an id, a reference, a description). An answer of that
// shape is a plain success too, and is known as one by comparing the bytes
// between its texts and checking each text, without a scan of every byte.
// An answer of another shape goes to quickSuccess, and every eighth plain
// success that did not match takes the place: an answer seen now and then
// does not push out the one seen most. The zero successMemo is empty and
// ready; it is safe for concurrent use.
type successMemo struct {
	last   atomic.Pointer[successShape]
	misses missCount
}

// missCount decides when a memo's miss takes the place of what the memo
// remembers: every eighth, so that a value seen now and then does not push
// out the one seen most. The zero missCount is ready; it is safe for
// concurrent use.
type missCount struct{ n atomic.Uint32 }

// replaces counts a miss and reports whether it takes the place.
func (c *missCount) replaces() bool { return c.n.Add(1)%8 == 1 }

// maxShapeBody bounds the answers the memo takes the shape of.
const maxShapeBody = 512

// successShape is a plain success answer and where its texts lie in it.
type successShape struct {
	body  []byte   // a copy of the answer
	texts [][2]int // the start and end of each string value's text, in order
	// For inPlace, the answer word by word: the k-th word is the eight
	// bytes at 8k, the last one the eight that end the answer; none for an
	// answer shorter than a word.
	words []uint64
	masks []uint64 // 0xff in each byte of a word that is a text's
	short [][2]int // the texts of 5 to 7 bytes, which may spell error, errors or message
}

// success reports quickSuccess(body); a nil memo remembers nothing.
func (m *successMemo) success(body []byte) bool {
	if m == nil {
		return quickSuccess(body)
	}
	if sh := m.last.Load(); sh != nil && sh.matches(body) {
		return true
	}
	if !quickSuccess(body) {
		return false
	}
	if len(body) <= maxShapeBody && m.misses.replaces() {
		m.last.Store(newSuccessShape(body))
	}
	return true
}

// newSuccessShape returns the shape of body, a plain success. The value of
// a key spelled error stays in the bytes compared; every other string value
// is a text.
func newSuccessShape(body []byte) *successShape {
	sh := &successShape{body: bytes.Clone(body)}
	b := sh.body
	errorKey := false // the last key is spelled error
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := bytes.IndexByte(b[i+1:], '"')
		if end < 0 {
			break // not for a plain success; nothing more to remember
		}
		end += i + 1
		if after := trimSpace(b[end+1:]); len(after) > 0 && after[0] == ':' {
			errorKey = asciiIs(b[i+1:end], "error")
		} else if !errorKey {
			sh.texts = append(sh.texts, [2]int{i + 1, end})
		}
		i = end
	}
	sh.wordsOf()
	return sh
}

// wordsOf fills the shape's words, masks and short texts.
func (sh *successShape) wordsOf() {
	b := sh.body
	if len(b) < 8 {
		return
	}
	text := make([]byte, len(b)) // 0xff in each byte of a text
	for _, t := range sh.texts {
		for i := t[0]; i < t[1]; i++ {
			text[i] = 0xff
		}
		if n := t[1] - t[0]; n >= 5 && n <= 7 {
			sh.short = append(sh.short, t)
		}
	}
	for off := 0; off < len(b); off += 8 {
		off := min(off, len(b)-8)
		sh.words = append(sh.words, binary.LittleEndian.Uint64(b[off:]))
		sh.masks = append(sh.masks, binary.LittleEndian.Uint64(text[off:]))
	}
}

// matches reports whether body has the shape: its bytes are the shape's
// but for the texts, and each text is one quickSuccess passes wherever it
// stands (a string without an escape or a control character, ASCII,
// without a bracket, and not spelled error, errors or message).
func (sh *successShape) matches(body []byte) bool {
	return len(body) == len(sh.body) && sh.inPlace(body) || sh.searched(body)
}

// searched is matches, finding the end of each text in body.
func (sh *successShape) searched(body []byte) bool {
	pos, from := 0, 0
	for _, t := range sh.texts {
		lit := sh.body[from:t[0]] // through the text's opening quote
		if !has(body, pos, lit) {
			return false
		}
		pos += len(lit)
		end := textEnd(body, pos-1)
		if end < 0 || errorWord(body[pos:end]) {
			return false
		}
		pos, from = end, t[1]
	}
	return string(body[pos:]) == string(sh.body[from:])
}

// inPlace reports whether body, of the shape's length, has the shape with
// every text where the shape's stands: the usual answer, whose ids and
// references keep their length. It reads eight bytes at a time: the bytes
// outside the texts must be the shape's (the quotes that close the texts
// among them), and those inside plain (unplain). Every body it takes,
// searched takes; one it refuses may still have the shape with texts of
// other lengths.
func (sh *successShape) inPlace(body []byte) bool {
	if len(sh.words) == 0 || len(body) != len(sh.body) {
		return false
	}
	masks := sh.masks[:len(sh.words)]
	for k, w := range sh.words {
		x := binary.LittleEndian.Uint64(body[min(8*k, len(body)-8):])
		if m := masks[k]; (x^w)&^m != 0 || m != 0 && unplain(x)&m != 0 {
			return false
		}
	}
	for _, t := range sh.short {
		if errorWord(body[t[0]:t[1]]) {
			return false
		}
	}
	return true
}

// unplain flags, with its high bit, each byte of x that ends a string or
// that quickSuccess refuses in one: a quote, a backslash, a control
// character, a bracket or a byte outside ASCII. Unlike specials it flags
// those bytes only, each byte's flag being worked out within the byte: no
// sum carries out of one. For a byte b, ((b&0x7f)+0x7f)|b has its high bit
// clear only when b is 0, and ((b&0x7f)+0x60)|b only when b is below 0x20.
func unplain(x uint64) uint64 {
	const lows, low7, highs = 0x0101010101010101, 0x7f7f7f7f7f7f7f7f, 0x8080808080808080
	q, e, k := x^'"'*lows, x^'\\'*lows, x^'['*lows
	plain := (q&low7 + low7 | q) & (e&low7 + low7 | e) & (k&low7 + low7 | k) & (x&low7 + 0x60*lows | x) &^ x
	return ^plain & highs
}

// errorWord reports whether t is spelled error, errors or message, a text
// quickSuccess does not pass.
func errorWord(t []byte) bool {
	n := len(t)
	return n >= 5 && n <= 7 && (asciiIs(t, "error") || asciiIs(t, "errors") || asciiIs(t, "message"))
}

// textEnd reads the string at b[i], which holds its opening quote, and
// returns the offset of its closing quote, or -1 when the string holds an
// escape, a control character, a bracket or a byte outside ASCII first.
func textEnd(b []byte, i int) int { return scanString(b, i, true) }

// itemMemo remembers the shape of the first result element of a bulk answer
// (quickshape.go), so that the next answer's first element is read by that
// shape too, and no element of an answer of the usual shape is read in
// full. Every eighth first element that did not match takes the place, as
// in successMemo. The zero itemMemo is empty and ready; it is safe for
// concurrent use, and the shape it holds never changes once stored.
type itemMemo struct {
	last   atomic.Pointer[itemShape]
	misses missCount
}

// load returns the shape remembered, or the zero shape, which matches
// nothing; a nil memo remembers nothing.
func (m *itemMemo) load() itemShape {
	if m != nil {
		if sh := m.last.Load(); sh != nil {
			return *sh
		}
	}
	return itemShape{}
}

// maxShapeItem bounds the elements the memo takes the shape of.
const maxShapeItem = 1024

// missed offers the shape of a first element read in full, of n bytes.
func (m *itemMemo) missed(sh *itemShape, n int) {
	if m != nil && sh.ok && n <= maxShapeItem && m.misses.replaces() {
		m.last.Store(sh.clone())
	}
}
