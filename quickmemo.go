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
	misses atomic.Uint32
}

// maxShapeBody bounds the answers the memo takes the shape of.
const maxShapeBody = 512

// successShape is a plain success answer and where its texts lie in it.
type successShape struct {
	body  []byte   // a copy of the answer
	texts [][2]int // the start and end of each string value's text, in order
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
	if len(body) <= maxShapeBody && m.misses.Add(1)%8 == 1 {
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
	return sh
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
		if len(body)-pos < len(lit) || string(body[pos:pos+len(lit)]) != string(lit) {
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
// references keep their length. Each text is then known by its bytes alone,
// without a search for its end; the closing quote after it is in the bytes
// compared. Every body it takes, searched takes; one it refuses may still
// have the shape with texts of other lengths.
func (sh *successShape) inPlace(body []byte) bool {
	from := 0
	for _, t := range sh.texts {
		if string(body[from:t[0]]) != string(sh.body[from:t[0]]) {
			return false
		}
		if text := body[t[0]:t[1]]; !plainText(text) || errorWord(text) {
			return false
		}
		from = t[1]
	}
	return string(body[from:]) == string(sh.body[from:])
}

// plainText reports whether t holds no byte that ends a string or that
// quickSuccess refuses in one: a quote, a backslash, a control character,
// a bracket or a byte outside ASCII. It looks at eight bytes at a time.
func plainText(t []byte) bool {
	const lows, highs = 0x0101010101010101, 0x8080808080808080
	i := 0
	for ; i+8 <= len(t); i += 8 {
		x := binary.LittleEndian.Uint64(t[i:])
		k := x ^ '['*lows
		if specials(x)|(k-lows)&^k&highs|x&highs != 0 {
			return false
		}
	}
	for ; i < len(t); i++ {
		if c := t[i]; c == '"' || c == '\\' || c < 0x20 || c == '[' || c >= 0x80 {
			return false
		}
	}
	return true
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
	misses atomic.Uint32
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
	if m != nil && sh.ok && n <= maxShapeItem && m.misses.Add(1)%8 == 1 {
		m.last.Store(sh.clone())
	}
}
