package resilient

import "strings"

// itemShape is the form of the result elements the quick bulk reader has
// read: a server writes every element alike but for the texts of its
// references and ids, the element's slots. Bytes equal to those of an
// element already read, from the same place in the grammar, read the same,
// so an element whose bytes between the slots are those of the last element
// read in full, and whose slots hold plain strings, is read as the full
// step would read it. One that is not is read in full and gives the shape.
//
// The zero itemShape matches nothing.
type itemShape struct {
	lits    [maxSlots + 1][]byte // the bytes before each slot's text, and after the last
	kinds   [maxSlots]keyKind
	slots   int
	clears  uint8 // bits 1<<kind of the fields a later null or boolean sets to ""
	hasCode bool
	ok      bool // lits, kinds, slots and hasCode hold an element's shape
}

// maxSlots is the number of texts a shape holds; an element with more is
// read in full every time.
const maxSlots = 4

// shapeRecorder notes an element's shape as the full step reads it.
type shapeRecorder struct {
	sh   *itemShape
	from int // the start of the bytes since the last slot
}

// begin starts the shape of the element at b[i].
func (r *shapeRecorder) begin(i int) {
	r.sh.ok, r.sh.slots, r.sh.clears, r.from = false, 0, 0, i
}

// clear notes that the field of kind is set to "" by a value in the bytes
// compared (null or a boolean), after any slot of that kind before it.
func (r *shapeRecorder) clear(kind keyKind) {
	r.sh.clears |= 1 << kind
}

// slot notes a text of kind between the quotes at b[open] and b[close].
func (r *shapeRecorder) slot(b []byte, kind keyKind, open, close int) {
	sh := r.sh
	if sh.slots >= maxSlots {
		sh.slots = maxSlots + 1 // too many: no shape
		return
	}
	sh.lits[sh.slots] = b[r.from : open+1]
	sh.kinds[sh.slots] = kind
	sh.clears &^= 1 << kind // a later text wins
	sh.slots++
	r.from = close
}

// end completes the shape of an element that ends before b[i].
func (r *shapeRecorder) end(b []byte, i int, hasCode bool) {
	sh := r.sh
	if sh.slots > maxSlots {
		sh.slots = 0
		return
	}
	sh.lits[sh.slots] = b[r.from:i]
	sh.hasCode, sh.ok = hasCode, true
}

// clone returns a copy of the shape that holds its bytes in one buffer of
// its own, for an itemMemo.
func (sh *itemShape) clone() *itemShape {
	c := *sh
	n := 0
	for _, l := range sh.lits[:sh.slots+1] {
		n += len(l)
	}
	buf := make([]byte, 0, n)
	for k, l := range sh.lits[:sh.slots+1] {
		buf = append(buf, l...)
		c.lits[k] = buf[len(buf)-len(l) : len(buf) : len(buf)]
	}
	return &c
}

// read reads the element at b[i] into it if it has the shape, and returns
// whether it holds a code and the offset after it; -1 when it does not have
// the shape (it may still be an element the full step reads).
func (sh *itemShape) read(b []byte, s *strings.Builder, it *Recipient, i int) (bool, int) {
	if !sh.ok {
		return false, -1
	}
	for k := 0; ; k++ {
		lit := sh.lits[k]
		if len(b)-i < len(lit) || string(b[i:i+len(lit)]) != string(lit) {
			return false, -1
		}
		if i += len(lit); k == sh.slots {
			break
		}
		end := stringEnd(b, i-1)
		if end < 0 {
			return false, -1
		}
		if s != nil {
			putText(s, it, sh.kinds[k], b[i:end])
		}
		i = end
	}
	if sh.clears&(1<<keyReference) != 0 {
		it.Reference = ""
	}
	if sh.clears&(1<<keyID) != 0 {
		it.ID = ""
	}
	return sh.hasCode, i
}

// putText sets the field of kind of it to t, copied to s.
func putText(s *strings.Builder, it *Recipient, kind keyKind, t []byte) {
	var v string
	if len(t) > 0 {
		start := s.Len()
		s.Write(t)
		v = s.String()[start:]
	}
	if kind == keyReference {
		it.Reference = v
	} else {
		it.ID = v
	}
}
