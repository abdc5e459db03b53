package resilient

import (
	"bytes"
	"math"
	"strconv"

	"github.com/valyala/fastjson"
)

// answer is what a Notificore answer body says, in every shape the API uses:
// a top-level code as a number or a string, a wrapped single result, a bulk
// result array, no error field at all, or API 2.0's errors array.
type answer struct {
	code      wireCode
	desc      string
	single    wireItem   // {"result":{...}}, when hasSingle
	hasSingle bool       // the result is an object
	items     []wireItem // {"result":[...]} whose elements carry an error field
	api2      []string   // {"errors":[{"message":...}]}
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

// quickSuccess reports, without parsing, that body is a plain success: every
// "error" key in it holds 0 or "0", and it has no "errors" (API 2.0) and no
// array at all (bulk results must be read one by one). It errs only towards
// false, which sends the body to the full parse; the fuzz test holds it to
// agreeing with parseAnswer.
func quickSuccess(body []byte) bool {
	if len(body) == 0 || body[0] != '{' || bytes.IndexByte(body, '[') >= 0 || bytes.Contains(body, errorsKey) {
		return false
	}
	for rest := body; ; {
		i := bytes.Index(rest, errorKey)
		if i < 0 {
			return true
		}
		rest = bytes.TrimLeft(rest[i+len(errorKey):], " \t\r\n")
		if len(rest) == 0 || rest[0] != ':' {
			return false
		}
		rest = bytes.TrimLeft(rest[1:], " \t\r\n")
		switch {
		case len(rest) >= 2 && rest[0] == '0' && !isNumberByte(rest[1]):
			rest = rest[1:]
		case bytes.HasPrefix(rest, quotedZero):
			rest = rest[len(quotedZero):]
		default:
			return false
		}
	}
}

var (
	errorKey   = []byte(`"error"`)
	errorsKey  = []byte(`"errors"`)
	quotedZero = []byte(`"0"`)
)

func isNumberByte(c byte) bool {
	return c >= '0' && c <= '9' || c == '.' || c == 'e' || c == 'E' || c == '-' || c == '+'
}

// parsers recycles the JSON parsers: a parse allocates nothing once warm.
var parsers fastjson.ParserPool

// parseAnswer decodes body. It never fails: a body that is not a JSON
// object yields a zero answer, and fields of unexpected types are read as
// absent (a code of an unexpected type as a bad code).
func parseAnswer(body []byte) answer {
	var a answer
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return a
	}
	p := parsers.Get()
	defer parsers.Put(p)
	v, err := p.ParseBytes(body)
	if err != nil {
		return a
	}
	a.code = codeOf(v.Get("error"))
	if a.code.isError() { // a success's "No errors" is not worth a string
		a.desc = text(v.Get("errorDescription"))
	}
	if errs := v.Get("errors"); errs != nil && errs.Type() == fastjson.TypeArray {
		arr, _ := errs.Array()
		for _, e := range arr {
			if m := text(e.Get("message")); m != "" {
				a.api2 = append(a.api2, m)
			}
		}
	}
	res := v.Get("result")
	switch {
	case res == nil:
	case res.Type() == fastjson.TypeObject:
		a.single, a.hasSingle = wireItem{code: codeOf(res.Get("error"))}, true
		if a.single.code.isError() {
			a.single.desc = text(res.Get("errorDescription"))
		}
	case res.Type() == fastjson.TypeArray:
		arr, _ := res.Array()
		for _, e := range arr {
			if e.Get("error") != nil {
				a.items = itemsOf(arr)
				break
			}
		}
	}
	return a
}

// itemsOf reads the elements of a bulk result array.
func itemsOf(arr []*fastjson.Value) []wireItem {
	items := make([]wireItem, len(arr))
	for i, e := range arr {
		items[i] = wireItem{
			code:      codeOf(e.Get("error")),
			reference: text(e.Get("reference")),
			id:        text(e.Get("id")),
		}
		if items[i].code.isError() {
			items[i].desc = text(e.Get("errorDescription"))
		}
	}
	return items
}

// codeOf reads an error code written as a number or as a string.
func codeOf(v *fastjson.Value) wireCode {
	if v == nil {
		return wireCode{}
	}
	switch v.Type() {
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
	if v == nil {
		return ""
	}
	switch v.Type() {
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
