package resilient

import (
	"bytes"
	"strings"

	"github.com/valyala/fastjson"
)

// answer is what a Notificore answer body says, in every shape the API uses:
// a top-level code as a number or a string, a wrapped single result, a bulk
// result array, no error field at all, or API 2.0's message and errors.
//
// Keys are matched the way encoding/json matches them to struct fields, as
// the SDKs decode answers: without regard to case, and the last of repeated
// keys wins. A body that is not valid JSON is read as no answer at all.
type answer struct {
	code      wireCode
	desc      string
	single    wireItem   // {"result":{...}} with an error field, when hasSingle
	hasSingle bool       // the result is an object that carries an error field
	items     []wireItem // {"result":[...]} whose elements carry an error field
	api2      api2Answer // API 2.0's message and errors
}

// wireItem is one result element of a create answer.
type wireItem struct {
	code      wireCode
	desc      string
	reference string
	id        string
}

// wireCode is an error code as the API writes it: a number, a string holding
// a number, null, or (from broken proxies) something else, which is bad.
type wireCode struct {
	set bool // present and not null, false or ""
	bad bool // present but not a code
	n   int
}

// parsers recycles the JSON parsers: a parse allocates nothing once warm.
var parsers fastjson.ParserPool

// parseAnswer decodes body. It never fails: a body that is not a JSON
// object yields a zero answer, and fields of unexpected types are read as
// absent (a code of an unexpected type as a bad code).
func parseAnswer(body []byte) answer {
	var a answer
	body = bytes.TrimLeft(body, " \t\r\n")
	if len(body) == 0 || body[0] != '{' || !controlFree(body) {
		return a
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil || fastjson.ValidateBytes(body) != nil {
		if body = pruned(body); body == nil {
			return a
		}
		if v, err = p.ParseBytes(body); err != nil {
			return a
		}
	}
	var f topFields
	f.read(v)
	a.code = codeOf(f.code)
	if a.code.isError() { // a success's "No errors" is not worth a string
		a.desc = text(f.desc)
	}
	a.api2 = readAPI2(f.message, f.errors)
	switch t := typeOf(f.result); t {
	case fastjson.TypeObject:
		var rf topFields
		rf.read(f.result)
		if rf.code != nil {
			a.single, a.hasSingle = wireItem{code: codeOf(rf.code)}, true
			if a.single.code.isError() {
				a.single.desc = text(rf.desc)
			}
		}
	case fastjson.TypeArray:
		arr, _ := f.result.Array()
		for _, e := range arr {
			if typeOf(e) == fastjson.TypeObject && lookup(e, "error") != nil {
				a.items = itemsOf(arr)
				break
			}
		}
	}
	return a
}

// topFields are the fields of an answer object that classification reads.
type topFields struct {
	code, desc, result, message, errors *fastjson.Value
}

// read fills f from object v in one pass over its keys.
func (f *topFields) read(v *fastjson.Value) {
	o, err := v.Object()
	if err != nil {
		return
	}
	o.Visit(func(k []byte, x *fastjson.Value) {
		switch {
		case keyIs(k, "error"):
			f.code = x
		case keyIs(k, "errorDescription"):
			f.desc = x
		case keyIs(k, "result"):
			f.result = x
		case keyIs(k, "message"):
			f.message = x
		case keyIs(k, "errors"):
			f.errors = x
		}
	})
}

// itemsOf reads the elements of a bulk result array. The references and
// ids of all elements share one string: two allocations for the array, not
// two per element.
func itemsOf(arr []*fastjson.Value) []wireItem {
	items := make([]wireItem, len(arr))
	refs := make([]*fastjson.Value, 2*len(arr)) // each element's reference and id
	size := 0
	for i, e := range arr {
		if typeOf(e) != fastjson.TypeObject {
			items[i].code = wireCode{set: true, bad: true}
			continue
		}
		var code, desc *fastjson.Value
		o, _ := e.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			switch {
			case keyIs(k, "error"):
				code = x
			case keyIs(k, "errorDescription"):
				desc = x
			case keyIs(k, "reference"):
				refs[2*i] = x
			case keyIs(k, "id"):
				refs[2*i+1] = x
			}
		})
		items[i].code = codeOf(code)
		if items[i].code.isError() {
			items[i].desc = text(desc)
		}
		size += textLen(refs[2*i]) + textLen(refs[2*i+1])
	}
	var b strings.Builder
	b.Grow(size)
	ends := make([]int, len(refs))
	for i, v := range refs {
		writeText(&b, v)
		ends[i] = b.Len()
	}
	all, start := b.String(), 0
	for i := range items {
		items[i].reference, items[i].id = all[start:ends[2*i]], all[ends[2*i]:ends[2*i+1]]
		start = ends[2*i+1]
	}
	return items
}
