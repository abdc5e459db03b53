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
	ok      bool   // lits, kinds, slots and hasCode hold an element's shape
	join    []byte // the bytes after the last slot, a comma and the bytes before the first: a memo's shape only
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
	r.sh.ok, r.sh.slots, r.sh.clears, r.sh.join, r.from = false, 0, 0, nil, i
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
	c.lits = [maxSlots + 1][]byte{} // none of the bytes past the shape's
	n := 0
	for _, l := range sh.lits[:sh.slots+1] {
		n += len(l)
	}
	buf := make([]byte, 0, 2*n+1)
	for k, l := range sh.lits[:sh.slots+1] {
		buf = append(buf, l...)
		c.lits[k] = buf[len(buf)-len(l) : len(buf) : len(buf)]
	}
	if sh.slots > 0 {
		from := len(buf)
		buf = append(append(append(buf, sh.lits[sh.slots]...), ','), sh.lits[0]...)
		c.join = buf[from:len(buf):len(buf)]
	}
	return &c
}

// run reads the elements from b[i] on while each has the shape and the
// next follows it after a bare comma, comparing the bytes from one
// element's last slot to the next one's first at once (a memo's shape
// only). It returns how many it read and the offset after the last of
// them; 0 when the first does not have the shape. An element's references
// and ids are checked, not kept.
func (sh *itemShape) run(b []byte, i int) (n, next int) {
	if !sh.ok || sh.join == nil || !has(b, i, sh.lits[0]) {
		return 0, -1
	}
	tail := sh.lits[sh.slots]
	for i += len(sh.lits[0]); ; {
		for k := 1; ; k++ { // at the text of slot k-1
			end := stringEnd(b, i-1)
			if end < 0 {
				return n, next
			}
			if i = end; k == sh.slots {
				break
			}
			if !has(b, i, sh.lits[k]) {
				return n, next
			}
			i += len(sh.lits[k])
		}
		switch {
		case has(b, i, sh.join):
			n, next = n+1, i+len(tail)
			i += len(sh.join)
		case has(b, i, tail):
			return n + 1, i + len(tail)
		default:
			return n, next
		}
	}
}

// has reports whether b holds lit at i.
func has(b []byte, i int, lit []byte) bool {
	return len(b)-i >= len(lit) && string(b[i:i+len(lit)]) == string(lit)
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
		if !has(b, i, lit) {
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
