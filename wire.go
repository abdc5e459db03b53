package resilient

// This file reads JSON values the way the classification needs them: keys
// as encoding/json matches them, codes and texts of any JSON type, and
// bodies fastjson refuses.

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math"
	"strconv"
	"strings"

	"github.com/valyala/fastjson"
)

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
	if d.Decode(&v) != nil || len(bytes.TrimSpace(body[d.InputOffset():])) != 0 {
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
// refuse the whole body.) A body without any byte below 0x20, the usual
// answer, is told eight bytes at a time.
func controlFree(body []byte) bool {
	if !hasControl(body) {
		return true
	}
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

// keyIs reports whether JSON key k names the field name (ASCII, as every
// field here is) the way encoding/json matches keys to fields:
// bytes.EqualFold. Only two letters have other spellings under Unicode's
// simple folding, both longer (the long s for s, the Kelvin sign for k), so
// a key as long as name matches in ASCII or not at all, and a shorter one
// never.
func keyIs(k []byte, name string) bool {
	switch {
	case len(k) == len(name):
		for i := 0; i < len(k); i++ {
			if c, n := k[i], name[i]; c != n && lower(c) != lower(n) {
				return false
			}
		}
		return true
	case len(k) < len(name):
		return false
	}
	return bytes.EqualFold(k, []byte(name))
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
		f, err := numberOf(v)
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

// numberOf reads a JSON number as the nearest float64, as encoding/json
// does. fastjson's own Float64 rounds some exponents off (1.1e2 reads as
// 110.00000000000001), which would make code 110 a malformed code.
func numberOf(v *fastjson.Value) (float64, error) {
	var buf [32]byte
	raw := v.MarshalTo(buf[:0])
	if isInteger(raw) && len(raw) < 10 {
		n, _ := atoi(raw)
		return float64(n), nil
	}
	return strconv.ParseFloat(string(raw), 64)
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

// text reads a string, or a number (ids and references arrive as both): an
// integer as written, any other number as its nearest float64 in the
// shortest form, without a fraction when it has none; any other value reads
// as "".
func text(v *fastjson.Value) string {
	switch typeOf(v) {
	case fastjson.TypeString:
		s, _ := v.StringBytes()
		return string(s)
	case fastjson.TypeNumber:
		var buf [32]byte
		return string(appendNumber(buf[:0], v))
	}
	return ""
}

// textLen is the length of text(v), or more.
func textLen(v *fastjson.Value) int {
	switch typeOf(v) {
	case fastjson.TypeString:
		sb, _ := v.StringBytes()
		return len(sb)
	case fastjson.TypeNumber:
		var buf [32]byte
		return max(24, len(v.MarshalTo(buf[:0])))
	}
	return 0
}

// writeText writes text(v) to b without a string of its own.
func writeText(b *strings.Builder, v *fastjson.Value) {
	switch typeOf(v) {
	case fastjson.TypeString:
		sb, _ := v.StringBytes()
		b.Write(sb)
	case fastjson.TypeNumber:
		var buf [32]byte
		b.Write(appendNumber(buf[:0], v))
	}
}

// appendNumber appends the text of the number v to dst.
func appendNumber(dst []byte, v *fastjson.Value) []byte {
	start := len(dst)
	dst = v.MarshalTo(dst)
	if isInteger(dst[start:]) {
		return dst
	}
	f, _ := numberOf(v)
	dst = dst[:start]
	if f == math.Trunc(f) && math.Abs(f) < 1<<53 {
		return strconv.AppendInt(dst, int64(f), 10)
	}
	return strconv.AppendFloat(dst, f, 'g', -1, 64)
}

// isInteger reports whether b is digits with an optional minus sign.
func isInteger(b []byte) bool {
	if len(b) > 0 && b[0] == '-' {
		b = b[1:]
	}
	if len(b) == 0 {
		return false
	}
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func (c wireCode) isError() bool { return c.set && (c.bad || c.n != 0) }

// code returns the code's number, -1 for a malformed one.
func (c wireCode) code() int {
	if c.bad {
		return -1
	}
	return c.n
}

// hasControl reports whether b holds a byte below 0x20, eight bytes at a
// time.
func hasControl(b []byte) bool {
	const lows, highs = 0x0101010101010101, 0x8080808080808080
	for len(b) >= 8 {
		if x := binary.LittleEndian.Uint64(b); (x-0x20*lows)&^x&highs != 0 {
			return true
		}
		b = b[8:]
	}
	for _, c := range b {
		if c < 0x20 {
			return true
		}
	}
	return false
}
