package resilient

import (
	"bytes"
	"encoding/json"
	"math"
	"strconv"

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

// prunedDepth is the nesting below which pruned keeps values: deeper than
// any field classification reads, far shallower than fastjson's limit.
const prunedDepth = 8

// pruned returns a valid JSON body that fastjson refuses (it nests deeper
// than fastjson allows) with every value nested deeper than prunedDepth
// replaced by null, so that a code beside a deep value is still read; nil
// for a body that is not valid JSON.
func pruned(body []byte) []byte {
	d := json.NewDecoder(bytes.NewReader(body))
	d.UseNumber()
	var v any
	if d.Decode(&v) != nil || d.More() {
		return nil
	}
	out, err := json.Marshal(prune(v, 0))
	if err != nil {
		return nil
	}
	return out
}

func prune(v any, depth int) any {
	if depth >= prunedDepth {
		return nil
	}
	switch v := v.(type) {
	case map[string]any:
		for k, c := range v {
			v[k] = prune(c, depth+1)
		}
	case []any:
		for i, c := range v {
			v[i] = prune(c, depth+1)
		}
	}
	return v
}

// controlFree reports whether body holds no control character where JSON
// allows none: inside a string, or outside one except as white space.
// (fastjson's validation lets them pass; encoding/json, and so the SDKs,
// refuse the whole body.)
func controlFree(body []byte) bool {
	inString, escaped := false, false
	for _, c := range body {
		switch {
		case c < 0x20 && (inString || c != ' ' && c != '\t' && c != '\n' && c != '\r'):
			return false
		case escaped:
			escaped = false
		case c == '\\':
			escaped = inString
		case c == '"':
			inString = !inString
		}
	}
	return true
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

// itemsOf reads the elements of a bulk result array.
func itemsOf(arr []*fastjson.Value) []wireItem {
	items := make([]wireItem, len(arr))
	for i, e := range arr {
		if typeOf(e) != fastjson.TypeObject {
			items[i].code = wireCode{set: true, bad: true}
			continue
		}
		var code, desc, ref, id *fastjson.Value
		o, _ := e.Object()
		o.Visit(func(k []byte, x *fastjson.Value) {
			switch {
			case keyIs(k, "error"):
				code = x
			case keyIs(k, "errorDescription"):
				desc = x
			case keyIs(k, "reference"):
				ref = x
			case keyIs(k, "id"):
				id = x
			}
		})
		items[i] = wireItem{code: codeOf(code), reference: text(ref), id: text(id)}
		if items[i].code.isError() {
			items[i].desc = text(desc)
		}
	}
	return items
}

// lookup returns the value of key in object v as encoding/json would find
// it: the last key equal to it without regard to case; nil when absent.
func lookup(v *fastjson.Value, key string) *fastjson.Value {
	o, err := v.Object()
	if err != nil {
		return nil
	}
	var found *fastjson.Value
	o.Visit(func(k []byte, x *fastjson.Value) {
		if keyIs(k, key) {
			found = x
		}
	})
	return found
}

// keyIs reports whether JSON key k names the field name the way
// encoding/json matches keys to fields: bytes.EqualFold, with an ASCII fast
// path.
func keyIs(k []byte, name string) bool {
	if len(k) == len(name) {
		ascii := true
		for i := 0; i < len(k); i++ {
			c, n := k[i], name[i]
			if c >= 0x80 {
				ascii = false
				break
			}
			if c != n && lower(c) != lower(n) {
				return false
			}
		}
		if ascii {
			return true
		}
	}
	for _, c := range k {
		if c >= 0x80 { // Unicode folding: the long s and the Kelvin sign fold to ASCII
			return bytes.EqualFold(k, []byte(name))
		}
	}
	return false
}

func lower(c byte) byte {
	if c >= 'A' && c <= 'Z' {
		return c + 'a' - 'A'
	}
	return c
}

func typeOf(v *fastjson.Value) fastjson.Type {
	if v == nil {
		return fastjson.TypeNull
	}
	return v.Type()
}

// codeOf reads an error code written as a number or as a string.
func codeOf(v *fastjson.Value) wireCode {
	switch typeOf(v) {
	case fastjson.TypeNull, fastjson.TypeFalse:
		return wireCode{}
	case fastjson.TypeNumber:
		f, err := v.Float64()
		if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<31 {
			return wireCode{set: true, bad: true}
		}
		return wireCode{set: true, n: int(f)}
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		s = bytes.TrimSpace(s)
		if len(s) == 0 {
			return wireCode{} // "" means no error
		}
		if n, ok := atoi(s); ok {
			return wireCode{set: true, n: n}
		}
	}
	return wireCode{set: true, bad: true}
}

// atoi parses a decimal integer of at most nine digits, with an optional
// sign, without allocating.
func atoi(b []byte) (int, bool) {
	neg := false
	if b[0] == '-' || b[0] == '+' {
		neg, b = b[0] == '-', b[1:]
	}
	if len(b) == 0 || len(b) > 9 {
		return 0, false
	}
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// text reads a string, or a number as written (ids and references arrive as
// both); any other value reads as "".
func text(v *fastjson.Value) string {
	switch typeOf(v) {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return string(s)
	case fastjson.TypeNumber:
		f, _ := v.Float64()
		if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
			return strconv.FormatInt(int64(f), 10)
		}
		return strconv.FormatFloat(f, 'g', -1, 64)
	}
	return ""
}

func (c wireCode) isError() bool { return c.set && (c.bad || c.n != 0) }

// code returns the code's number, -1 for a malformed one.
func (c wireCode) code() int {
	if c.bad {
		return -1
	}
	return c.n
}
