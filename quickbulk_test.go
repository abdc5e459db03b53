package resilient

import (
	"bytes"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func TestQuickItems(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	tests := []struct {
		name, body string
		quick      bool // the quick reader takes it
	}{
		{"usual bulk", `{"task_id":"6","result":[{"error":0,"errorDescription":"No errors","reference":"r1","id":"10","price":0.02},{"error":0,"reference":"r2","id":"11"}],"total_price":0.04}`, true},
		{"codes as strings", `{"result":[{"error":"0","id":"1"}]}`, true},
		{"keys in any case", `{"RESULT":[{"Error":0,"REFERENCE":"r","Id":"1"}]}`, true},
		{"white space", " \n{ \"result\" : [ { \"error\" : 0 , \"id\" : \"1\" } ] }\r\n", true},
		{"repeated keys: the last wins", `{"result":[{"error":0,"reference":"a","reference":"b"}]}`, true},
		{"null and booleans read as empty", `{"result":[{"error":0,"reference":null,"id":true}]}`, true},
		{"an element without a code", `{"result":[{"error":0},{"id":"2"}]}`, true},
		{"nested values skipped", `{"result":[{"error":0,"x":{"y":[1,-2.5e+3,0.5E-1,true,false,null,"z",{}]}}],"y":[]}`, true},
		{"a recipient refused", `{"result":[{"error":0},{"error":21,"errorDescription":"invalid phone"}]}`, false},
		{"a malformed code", `{"result":[{"error":0.0}]}`, false},
		{"leading zero", `{"result":[{"error":00}]}`, false},
		{"numeric id", `{"result":[{"error":0,"id":12}]}`, false},
		{"no element has a code", `{"result":[{"id":"1"}]}`, false},
		{"empty result", `{"result":[]}`, false},
		{"a later single result", `{"result":[{"error":0}],"result":{"error":8}}`, false},
		{"a non-object element", `{"result":[{"error":0},7]}`, false},
		{"trailing garbage", `{"result":[{"error":0}]} x`, false},
		{"trailing comma", `{"result":[{"error":0},]}`, false},
		{"unterminated", `{"result":[{"error":0}`, false},
		{"escape", `{"result":[{"error":0,"reference":"a\"b"}]}`, false},
		{"control character in a string", "{\"result\":[{\"error\":0,\"id\":\"a\tb\"}]}", false},
		{"text outside ASCII", `{"result":[{"error":0,"reference":"é"}]}`, true},
		{"invalid UTF-8 in a text", "{\"result\":[{\"error\":0,\"reference\":\"\xff\"}]}", true},
		{"key outside ASCII", `{"reſult":[{"error":0}]}`, false},
		{"empty object element", `{"result":[{},{"error":0}]}`, true},
		{"empty top object", `{}`, false},
		{"exponent forms", `{"result":[{"error":0,"a":1E5,"b":-0.5e-7,"c":0}]}`, true},
		{"too deep", `{"result":[{"error":0,"x":` + strings.Repeat("[", 20) + strings.Repeat("]", 20) + `}]}`, false},
		{"not an object", `[{"error":0}]`, false},
		{"bad number", `{"result":[{"error":0,"x":-}]}`, false},
		{"bad exponent", `{"result":[{"error":0,"x":1e}]}`, false},
		{"bare word", `{"result":[{"error":0,"x":nul}]}`, false},
		{"pretty printed", "{\n\t\"result\": [\r\n  {\"error\": 0, \"id\": \"1\"}\n]\n}\n", true},
		{"form feed between tokens", "{\"result\":[{\"error\":0}\f]}", false},
		{"control character between tokens", "{\"result\":[{\"error\":0}\x01]}", false},
		{"backslash between tokens", `{"result":[{"error":0}\]}`, false},
		{"escape in a key", `{"result":[{"err\u006fr":0}]}`, false},
		{"escape in a skipped value", `{"task":"a\nb","result":[{"error":0}]}`, false},
		{"same keys in every element", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"},{"error":0,"reference":"c","id":"3"}]}`, true},
		{"a later element refused", `{"result":[{"error":0,"id":"1"},{"error":0,"id":"2"},{"error":7,"id":"3"}]}`, false},
		{"a key one letter longer later", `{"result":[{"error":0,"id":"1"},{"error":0,"idx":"2"},{"error":0,"id":"3"}]}`, true},
		{"a key in other case later", `{"result":[{"error":0,"id":"1"},{"ERROR":0,"ID":"2"}]}`, true},
		{"a key that names another field later", `{"result":[{"error":0,"idd":"1"},{"error":0,"id":"2"}]}`, true},
		{"keys in another order later", `{"result":[{"error":0,"reference":"a","id":"1"},{"id":"2","error":0,"reference":"b"}]}`, true},
		{"long keys that differ in the middle", `{"result":[{"error":0,"errorDescriptionsAndMore":"x"},{"error":0,"errorDescriptionXAndMore":"y"},{"error":0,"errorDescriptionsAndMore":7}]}`, true},
		{"a long key that differs only in its middle", `{"result":[{"error":0,"reference"       :"a"},{"error":0,"referenXe"       :"b"}]}`, true},
		{"a long key that is a code later", `{"result":[{"error":0,"errorDescription":"x"},{"error":0,"errorDescription":"y","error":5}]}`, false},
		{"keys of eight and sixteen bytes", `{"result":[{"error":0,"abcd":1,"abcdefghijkl":2},{"error":0,"abcd":1,"abcdefghijkl":2}]}`, true},
		{"white space before a remembered colon", `{"result":[{"error" : 0,"id" :"1"},{"error" : 0,"id":"2"},{"error":0,"id" :"3"}]}`, true},
		{"more keys than are remembered", `{"result":[{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"error":0,"id":"1"},{"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"error":0,"id":"2"}]}`, true},
		{"a remembered key at the end", `{"result":[{"error":0},{"error":`, false},
		{"a remembered key without a value", `{"result":[{"error":0,"reference":"a"},{"error":0,"reference":}]}`, false},
		{"long texts", `{"result":[{"error":0,"reference":"` + strings.Repeat("r", 40) + `","id":"` + strings.Repeat("7", 33) + `"}]}`, true},
		// Elements read by the shape of the one before, and ones that leave it.
		{"texts of other lengths later", `{"result":[{"error":0,"reference":"r1","id":"9"},{"error":0,"reference":"r100","id":"10"},{"error":0,"reference":"","id":"11111111111111111"}]}`, true},
		{"a skipped value differs later", `{"result":[{"error":0,"reference":"a","price":0.02},{"error":0,"reference":"b","price":0.025},{"error":0,"reference":"c","price":0.025}]}`, true},
		{"a text then null", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":null,"id":"2"},{"error":0,"reference":"c","id":"3"}]}`, true},
		{"null then a text", `{"result":[{"error":0,"reference":null},{"error":0,"reference":"b"}]}`, true},
		{"an escape in a later text", `{"result":[{"error":0,"reference":"a"},{"error":0,"reference":"b\"c"}]}`, false},
		{"a control character in a later text", "{\"result\":[{\"error\":0,\"id\":\"a\"},{\"error\":0,\"id\":\"b\x01\"}]}", false},
		{"a later text that swallows the next key", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"a\",\"id\":\"2"}]}`, false},
		{"a later text that ends early", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"a","x":"y","id":"2"}]}`, true},
		{"a later element with a key more", `{"result":[{"error":0,"id":"1"},{"error":0,"id":"2","reference":"r"},{"error":0,"id":"3"}]}`, true},
		{"a later element with a key less", `{"result":[{"error":0,"id":"1","reference":"r"},{"error":0,"id":"2"}]}`, true},
		{"a later element without a code", `{"result":[{"error":0,"id":"1"},{"id":"2"},{"error":0,"id":"3"}]}`, true},
		{"a later code in place of the shape's", `{"result":[{"error":0,"id":"1"},{"error":1,"id":"2"}]}`, false},
		{"a later id as a number", `{"result":[{"error":0,"id":"1"},{"error":0,"id":2}]}`, false},
		{"more texts than a shape holds", `{"result":[{"error":0,"id":"1","id":"2","id":"3","id":"4","reference":"5"},{"error":0,"id":"1","id":"2","id":"3","id":"4","reference":"6"}]}`, true},
		{"as many texts as a shape holds", `{"result":[{"error":0,"id":"1","id":"2","id":"3","reference":"4"},{"error":0,"id":"5","id":"6","id":"7","reference":"8"}]}`, true},
		{"a later element cut short", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"`, false},
		{"a later element cut in its text", `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b`, false},
		{"a later text outside ASCII", `{"result":[{"error":0,"reference":"a"},{"error":0,"reference":"é"}]}`, true},
		{"a later empty element", `{"result":[{"error":0,"reference":"a"},{},{"error":0,"reference":"b"}]}`, true},
		{"a text, then null for the same key", `{"result":[{"error":0,"id":"","id":null},{"error":0,"id":"x","id":null}]}`, true},
		{"a text, then a boolean for the same key in other case", `{"result":[{"error":0,"reference":"a","Reference":false},{"error":0,"reference":"b","Reference":false}]}`, true},
		{"null, then a text for the same key", `{"result":[{"error":0,"id":null,"id":"1"},{"error":0,"id":null,"id":"2"}]}`, true},
		{"a text, null, a text", `{"result":[{"error":0,"id":"1","id":true,"id":"2"},{"error":0,"id":"3","id":true,"id":"4"}]}`, true},
		{"white space that differs later", `{"result":[{"error":0,"reference":"a"},{"error":0, "reference":"b"},{"error":0,"reference" :"c"}]}`, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			items, ok := quickItems([]byte(tt.body))
			if ok != tt.quick {
				t.Fatalf("quickItems ok = %v, want %v", ok, tt.quick)
			}
			if !ok {
				return
			}
			if full := rs.recipients(parseAnswer([]byte(tt.body)).items); !slices.Equal(items, full) {
				t.Fatalf("quickItems = %+v; the full parse reads %+v", items, full)
			}
		})
	}
}

// TestItemShape reads an element in full, then the next one by its shape:
// the shape reads what the full step reads, or leaves the element to it.
func TestItemShape(t *testing.T) {
	tests := []struct {
		name, first, next string
		want              Recipient // of next; Reference "-" when the shape leaves it
	}{
		{"same texts", `{"error":0,"reference":"a","id":"1"}`, `{"error":0,"reference":"a","id":"1"}`, Recipient{Reference: "a", ID: "1"}},
		{"other texts", `{"error":0,"reference":"a","id":"1"}`, `{"error":0,"reference":"bcdefghijk","id":""}`, Recipient{Reference: "bcdefghijk"}},
		{"keys in other case", `{"error":0,"reference":"a"}`, `{"error":0,"REFERENCE":"a"}`, Recipient{Reference: "-"}},
		{"a text with an escape", `{"error":0,"id":"1"}`, `{"error":0,"id":"\u0031"}`, Recipient{Reference: "-"}},
		{"a text for a null", `{"error":0,"id":null}`, `{"error":0,"id":"1"}`, Recipient{Reference: "-"}},
		{"a shorter element", `{"error":0,"id":"1","x":1}`, `{"error":0,"id":"1"}`, Recipient{Reference: "-"}},
		{"a longer element", `{"error":0,"id":"1"}`, `{"error":0,"id":"1","x":1}`, Recipient{Reference: "-"}},
		{"a text, then null", `{"id":"1","id":null}`, `{"id":"2","id":null}`, Recipient{}},
		{"a text, null, a text", `{"id":"1","id":null,"reference":"r","id":"3"}`, `{"id":"4","id":null,"reference":"s","id":"5"}`, Recipient{Reference: "s", ID: "5"}},
		{"no slots", `{"error":0,"x":"y"}`, `{"error":0,"x":"y"}`, Recipient{}},
		{"no slots, another value", `{"error":0,"x":"y"}`, `{"error":0,"x":"z"}`, Recipient{Reference: "-"}},
		{"too many slots", `{"id":"1","id":"2","id":"3","id":"4","id":"5"}`, `{"id":"1","id":"2","id":"3","id":"4","id":"5"}`, Recipient{Reference: "-"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sh itemShape
			var keys itemKeys
			var s strings.Builder
			var first Recipient
			b := []byte(tt.first + "," + tt.next + "]")
			if _, end := itemAt(b, &s, &keys, &shapeRecorder{sh: &sh}, &first, 0); end != len(tt.first) {
				t.Fatalf("the full step read the first element to %d, want %d", end, len(tt.first))
			}
			var got Recipient
			_, end := sh.read(b, &s, &got, len(tt.first)+1)
			if tt.want.Reference == "-" {
				if end >= 0 {
					t.Fatalf("the shape read %q as %+v", tt.next, got)
				}
				return
			}
			if end != len(b)-1 || got != tt.want {
				t.Fatalf("the shape read %+v to %d, want %+v to %d", got, end, tt.want, len(b)-1)
			}
		})
	}
}

func TestQuickItemsBackTheOutcome(t *testing.T) {
	body := []byte(`{"result":[{"error":0,"reference":"r1","id":"10"},{"error":"0","reference":"r2","id":"11"}]}`)
	tests := []struct {
		name  string
		code0 *Rule // a rule of code 0, if any
		class Class // the recipients' and the outcome's
	}{
		{"default rules", nil, ClassSuccess},
		{"code 0 ruled transient", &Rule{Class: ClassTransient}, ClassTransient},
		{"code 0 ruled account-level", &Rule{Class: ClassAccount}, ClassAccount},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rs := newRuleSet(Policy{}.withDefaults())
			if tt.code0 != nil {
				rs.codes[0] = *tt.code0
				rs.noteWaits()
			}
			out, _ := rs.classifyRead(200, body, false)
			want := []Recipient{{Reference: "r1", ID: "10", Class: tt.class}, {Reference: "r2", ID: "11", Class: tt.class}}
			if out.Class != tt.class || !slices.Equal(out.Recipients, want) {
				t.Fatalf("outcome %v %+v, want %v %+v", out.Class, out.Recipients, tt.class, want)
			}
			// The full parse, under the same rules, agrees.
			if full := rs.recipients(parseAnswer(body).items); !slices.Equal(full, want) {
				t.Fatalf("the full parse reads %+v", full)
			}
		})
	}
}

// stringEndByByte is stringEnd one byte at a time: the offset of the first
// quote, backslash or control character after b[i], if it is a quote.
func stringEndByByte(b []byte, i int) int {
	j := i + 1
	for j < len(b) && b[j] != '"' && b[j] != '\\' && b[j] >= 0x20 {
		j++
	}
	if j < len(b) && b[j] == '"' {
		return j
	}
	return -1
}

func TestStringEnd(t *testing.T) {
	tests := []struct {
		s    string
		want int
	}{
		{`""`, 1},
		{`"a"`, 2},
		{`"1234567"`, 8},  // the quote ends the first word
		{`"12345678"`, 9}, // the quote starts the second word
		{`"123456789012345"`, 16},
		{`"abc\"d"`, -1},         // an escape first
		{`"abc"\`, 4},            // a backslash after the end
		{"\"abc\tdef\"", -1},     // a control character first
		{"\"abcdefgh\x1f\"", -1}, // one in the second word
		{"\"é ü ß\"", 9},         // bytes outside ASCII are text
		{"\"\xff\xfe\xfd\xfc\xfb\xfa\xf9\xf8\"", 9},
		{`"unterminated`, -1},
		{`"`, -1},
		{"\"\x7f\"", 2}, // DEL is no control character to JSON
	}
	for _, tt := range tests {
		if got := stringEnd([]byte(tt.s), 0); got != tt.want {
			t.Errorf("stringEnd(%q) = %d, want %d", tt.s, got, tt.want)
		}
		if got := stringEndByByte([]byte(tt.s), 0); got != tt.want {
			t.Errorf("the byte-wise reference reads %q as %d, the table says %d", tt.s, got, tt.want)
		}
	}
	// Every placement of each kind of byte after 0 to 20 others.
	for _, c := range []byte{'"', '\\', 0, 0x1f, 0x20, 0x21, 0x5b, 0x5c, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff} {
		for n := range 21 {
			for _, fill := range []byte{'a', 0x80, 0xff, 0x21, 0x23} {
				b := append(append([]byte{'"'}, bytes.Repeat([]byte{fill}, n)...), c, '"', 'x')
				if got, want := stringEnd(b, 0), stringEndByByte(b, 0); got != want {
					t.Fatalf("stringEnd(%q) = %d, byte by byte %d", b, got, want)
				}
			}
		}
	}
}

// TestQuickItemsStayLinear reads bodies of many result arrays, of which
// only the last counts: what it allocates grows with the body, not with its
// square.
func TestQuickItemsStayLinear(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	body := func(arrays int) []byte {
		var b strings.Builder
		b.WriteString(`{`)
		for i := range arrays {
			if i > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`"result":[{"error":0,"reference":"r","id":"1"},{}]`)
		}
		b.WriteString(`}`)
		return []byte(b.String())
	}
	perByte := func(arrays int) float64 {
		b := body(arrays)
		if _, ok := quickItems(b); !ok {
			t.Fatalf("%d arrays: not read", arrays)
		}
		var m0, m1 runtime.MemStats
		runtime.ReadMemStats(&m0)
		out, _ := rs.classifyRead(200, b, false)
		runtime.ReadMemStats(&m1)
		if len(out.Recipients) != 2 {
			t.Fatalf("%d arrays: %d recipients, want the last array's 2", arrays, len(out.Recipients))
		}
		return float64(m1.TotalAlloc-m0.TotalAlloc) / float64(len(b))
	}
	small, large := perByte(100), perByte(10_000)
	if large > 4*small+8 {
		t.Errorf("bytes allocated per body byte: %.1f for 100 arrays, %.1f for 10 000", small, large)
	}
}
