package resilient

import "bytes"

// quickDepth is the nesting the quick bulk reader follows; a deeper body
// goes to the full parse.
const quickDepth = 16

// quickItems reads the result array of a bulk create answer in which every
// recipient was accepted, in one pass and without a general parser: the
// usual bulk answer. It reports ok only for a body that is valid JSON, ASCII
// without escapes or control characters, whose last "result" (in any case)
// is an array of objects of which at least one holds an "error", each one 0
// or "0", and whose references and ids are strings, null, booleans or
// absent; the items it returns are then those parseAnswer returns, their
// references and ids slices of one string. Any other body, an error among
// the recipients included, yields ok false and goes to the full parse. The
// fuzz tests hold it to agreeing with parseAnswer.
func quickItems(body []byte) (items []wireItem, ok bool) {
	if bytes.IndexByte(body, '[') < 0 || bytes.IndexByte(body, '\\') >= 0 ||
		!plainASCII(body) || !controlFree(body) {
		return nil, false
	}
	p := scanner{b: body}
	p.ws()
	if !p.is('{') {
		return nil, false
	}
	for first := true; ; first = false {
		if p.ws(); first && p.is('}') {
			break
		}
		key, ok := p.key()
		if !ok {
			return nil, false
		}
		switch {
		case !asciiIs(key, "result"):
			ok = p.value(1)
		case p.peek() == '[':
			items, ok = p.items()
		default:
			items, ok = nil, p.value(1)
		}
		if !ok {
			return nil, false
		}
		if p.ws(); p.is('}') {
			break
		}
		if !p.is(',') {
			return nil, false
		}
	}
	if p.ws(); p.i != len(p.b) || items == nil {
		return nil, false
	}
	return items, true
}

// scanner reads JSON that holds no escape, no control character and no
// byte outside ASCII (quickItems has made sure), strictly to the grammar.
type scanner struct {
	b []byte
	i int
	s string // the body as a string, of which references and ids are slices
}

func (p *scanner) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

func (p *scanner) peek() byte {
	if p.i < len(p.b) {
		return p.b[p.i]
	}
	return 0
}

// is consumes c when it comes next.
func (p *scanner) is(c byte) bool {
	if p.peek() != c {
		return false
	}
	p.i++
	return true
}

// str reads a string and returns the offsets of its contents.
func (p *scanner) str() (start, end int, ok bool) {
	if !p.is('"') {
		return 0, 0, false
	}
	n := bytes.IndexByte(p.b[p.i:], '"')
	if n < 0 {
		return 0, 0, false
	}
	start, end = p.i, p.i+n
	p.i = end + 1
	return start, end, true
}

// key reads an object key and its colon, and leaves p at the value.
func (p *scanner) key() ([]byte, bool) {
	s, e, ok := p.str()
	if p.ws(); !ok || !p.is(':') {
		return nil, false
	}
	p.ws()
	return p.b[s:e], true
}

// value reads any value.
func (p *scanner) value(depth int) bool {
	if depth > quickDepth {
		return false
	}
	switch c := p.peek(); {
	case c == '"':
		_, _, ok := p.str()
		return ok
	case c == '{', c == '[':
		return p.container(depth)
	case c == 't':
		return p.word("true")
	case c == 'f':
		return p.word("false")
	case c == 'n':
		return p.word("null")
	}
	return p.number()
}

// container reads an object or an array.
func (p *scanner) container(depth int) bool {
	object := p.peek() == '{'
	closing := byte(']')
	if object {
		closing = '}'
	}
	p.i++
	for first := true; ; first = false {
		if p.ws(); first && p.is(closing) {
			return true
		}
		if object {
			if _, ok := p.key(); !ok {
				return false
			}
		}
		if !p.value(depth + 1) {
			return false
		}
		if p.ws(); p.is(closing) {
			return true
		}
		if !p.is(',') {
			return false
		}
	}
}

func (p *scanner) word(w string) bool {
	if !bytes.HasPrefix(p.b[p.i:], []byte(w)) {
		return false
	}
	p.i += len(w)
	return true
}

// number reads a number as JSON writes it: -?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?
func (p *scanner) number() bool {
	p.is('-')
	switch c := p.peek(); {
	case c == '0':
		p.i++
	case c >= '1' && c <= '9':
		p.digits()
	default:
		return false
	}
	if p.is('.') && !p.digits() {
		return false
	}
	if p.is('e') || p.is('E') {
		if !p.is('+') {
			p.is('-')
		}
		return p.digits()
	}
	return true
}

// digits reads one digit or more.
func (p *scanner) digits() bool {
	start := p.i
	for p.i < len(p.b) && p.b[p.i] >= '0' && p.b[p.i] <= '9' {
		p.i++
	}
	return p.i > start
}

// items reads a result array of accepted recipients.
func (p *scanner) items() ([]wireItem, bool) {
	if p.s == "" {
		p.s = string(p.b)
	}
	items := make([]wireItem, 0, bytes.Count(p.b[p.i:], []byte{'{'}))
	coded := false
	p.i++
	for first := true; ; first = false {
		if p.ws(); first && p.is(']') {
			break
		}
		it, hasCode, ok := p.item()
		if !ok {
			return nil, false
		}
		items, coded = append(items, it), coded || hasCode
		if p.ws(); p.is(']') {
			break
		}
		if !p.is(',') {
			return nil, false
		}
	}
	return items, coded && len(items) > 0
}

// item reads one accepted recipient: an object whose error, if any, is 0.
func (p *scanner) item() (it wireItem, hasCode, ok bool) {
	if !p.is('{') {
		return it, false, false
	}
	for first := true; ; first = false {
		if p.ws(); first && p.is('}') {
			return it, hasCode, true
		}
		key, ok := p.key()
		if !ok {
			return it, false, false
		}
		switch {
		case asciiIs(key, "error"):
			hasCode, ok = true, p.zero()
			it.code = wireCode{set: true}
		case asciiIs(key, "reference"):
			it.reference, ok = p.text()
		case asciiIs(key, "id"):
			it.id, ok = p.text()
		default:
			ok = p.value(2)
		}
		if !ok {
			return it, false, false
		}
		if p.ws(); p.is('}') {
			return it, hasCode, true
		}
		if !p.is(',') {
			return it, false, false
		}
	}
}

// zero reads a code of 0, written 0 or "0"; any other code is not for the
// quick reader.
func (p *scanner) zero() bool {
	if p.word(`"0"`) {
		return true
	}
	return p.is('0') && !isNumberByte(p.peek())
}

// text reads a reference or an id as text(v) would: a string as it is, null
// or a boolean as "". A number (which text formats) or a container is not
// for the quick reader.
func (p *scanner) text() (string, bool) {
	if p.peek() == '"' {
		s, e, ok := p.str()
		return p.s[s:e], ok
	}
	return "", p.word("null") || p.word("true") || p.word("false")
}
