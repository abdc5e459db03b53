package resilient

import (
	"bytes"
	"encoding/binary"
	"strings"
	"sync"
	"testing"
)

const memoAnswer = `{"result":{"error":0,"errorDescription":"No errors","reference":"r1","id":"213","price":0.02,"currency":"EUR"}}`

// TestSuccessShape takes the shape of a plain success and reads other
// answers by it: an answer it takes is one quickSuccess passes.
func TestSuccessShape(t *testing.T) {
	tests := []struct {
		name, shape, body string
		want              bool
	}{
		{"the same answer", memoAnswer, memoAnswer, true},
		{"other texts", memoAnswer, `{"result":{"error":0,"errorDescription":"","reference":"a-much-longer-reference","id":"9","price":0.02,"currency":"USD"}}`, true},
		{"a text spelled error", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"error"`, 1), false},
		{"a text spelled ERRORS", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"ERRORS"`, 1), false},
		{"a text spelled Message", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"Message"`, 1), false},
		{"a text of a word like error", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"errorx"`, 1), true},
		{"a bracket in a text", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"r[1"`, 1), false},
		{"an escape in a text", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"r\"1"`, 1), false},
		{"a control character in a text", memoAnswer, strings.Replace(memoAnswer, `"r1"`, "\"r\t1\"", 1), false},
		{"a byte outside ASCII in a text", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"r\u00e9"`, 1), false},
		{"UTF-8 in a text", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"ré"`, 1), false},
		{"a text that holds the rest", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"r1","error":8,"x":"y"`, 1), false},
		{"another code", memoAnswer, strings.Replace(memoAnswer, `"error":0`, `"error":8`, 1), false},
		{"a code as a string", `{"error":"0","id":"1"}`, `{"error":"0","id":"2"}`, true},
		{"another code as a string", `{"error":"0","id":"1"}`, `{"error":"8","id":"1"}`, false},
		{"another number", memoAnswer, strings.Replace(memoAnswer, `0.02`, `0.03`, 1), false},
		{"another key", memoAnswer, strings.Replace(memoAnswer, `"id"`, `"ix"`, 1), false},
		{"a key more", memoAnswer, strings.Replace(memoAnswer, `"id"`, `"x":1,"id"`, 1), false},
		{"cut short", memoAnswer, memoAnswer[:len(memoAnswer)-1], false},
		{"cut in a text", memoAnswer, memoAnswer[:strings.Index(memoAnswer, `r1`)+1], false},
		{"more after", memoAnswer, memoAnswer + " ", false},
		{"empty", memoAnswer, ``, false},
		{"no texts", `{"error":0}`, `{"error":0}`, true},
		{"no texts, another answer", `{"error":0}`, `{"error":0,"x":1}`, false},
		{"an empty text", `{"error":0,"id":""}`, `{"error":0,"id":"abc"}`, true},
		{"texts of the same length", memoAnswer, strings.Replace(memoAnswer, `"213"`, `"214"`, 1), true},
		{"texts of other lengths, the same in all", memoAnswer, strings.Replace(memoAnswer, `"r1","id":"213"`, `"r12","id":"13"`, 1), true},
		{"a bracket in place", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"r["`, 1), false},
		{"a backslash in place", memoAnswer, strings.Replace(memoAnswer, `"213"`, `"2\3"`, 1), false},
		{"a control character in place", memoAnswer, strings.Replace(memoAnswer, `"213"`, "\"2\x003\"", 1), false},
		{"UTF-8 in place", memoAnswer, strings.Replace(memoAnswer, `"r1"`, `"é"`, 1), false},
		{"a quote in place", memoAnswer, strings.Replace(memoAnswer, `"No errors"`, `"No"errors"`, 1), false},
		{"a long text in place", `{"error":0,"id":"0123456789abcdef0123"}`, `{"error":0,"id":"fedcba9876543210fedc"}`, true},
		{"a bracket in place past eight bytes", `{"error":0,"id":"0123456789abcdef0123"}`, `{"error":0,"id":"fedcba98[6543210fedc"}`, false},
		{"a byte outside ASCII in place past eight bytes", `{"error":0,"id":"0123456789abcdef0123"}`, "{\"error\":0,\"id\":\"fedcba9876543210fed\x80\"}", false},
		{"spelled error in place", memoAnswer, strings.Replace(memoAnswer, `"No errors"`, `"message  "`, 1), true},
		{"spelled message in place", `{"error":0,"id":"1234567"}`, `{"error":0,"id":"message"}`, false},
		{"another end in place", memoAnswer, strings.Replace(memoAnswer, `"EUR"}}`, `"EUR"} `, 1), false},
		{"another key in place", memoAnswer, strings.Replace(memoAnswer, `"currency"`, `"currencx"`, 1), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if !quickSuccess([]byte(tt.shape)) {
				t.Fatalf("the shape's answer %s is no plain success", tt.shape)
			}
			sh := newSuccessShape([]byte(tt.shape))
			got := sh.matches([]byte(tt.body))
			if got != tt.want {
				t.Fatalf("matches(%s) = %v, want %v", tt.body, got, tt.want)
			}
			if s := sh.searched([]byte(tt.body)); s != got {
				t.Fatalf("searched(%s) = %v, matches %v", tt.body, s, got)
			}
			if got && !quickSuccess([]byte(tt.body)) {
				t.Fatalf("matches(%s) but quickSuccess does not pass it", tt.body)
			}
		})
	}
}

// TestSuccessShapeKeepsItsBytes: the shape holds a copy of the answer, not
// the caller's buffer.
func TestSuccessShapeKeepsItsBytes(t *testing.T) {
	b := []byte(`{"error":0,"id":"1"}`)
	sh := newSuccessShape(b)
	copy(b, `{"error":8,"id":"1"}`)
	if !sh.matches([]byte(`{"error":0,"id":"2"}`)) || sh.matches(b) {
		t.Fatal("the shape changed with the buffer it was taken from")
	}
}

// TestSuccessMemo: the memo answers as quickSuccess does, takes the first
// plain success's shape, and every eighth that does not match.
func TestSuccessMemo(t *testing.T) {
	var m successMemo
	a := []byte(`{"error":0,"id":"1"}`)
	other := []byte(`{"error":0,"status":"queued","id":"1"}`)
	steps := []struct {
		body     []byte
		want     bool
		shapeOf  []byte // the answer whose shape the memo holds after the step
		wantMiss uint32
	}{
		{a, true, a, 1},
		{[]byte(`{"error":0,"id":"2"}`), true, a, 1}, // matches: no miss
		{[]byte(`{"error":8,"id":"2"}`), false, a, 1},
		{[]byte(`<html>`), false, a, 1},
		{other, true, a, 2},
		{other, true, a, 3},
		{other, true, a, 4},
		{other, true, a, 5},
		{other, true, a, 6},
		{other, true, a, 7},
		{other, true, a, 8},
		{other, true, other, 9}, // the ninth miss takes the place
		{[]byte(`{"error":0,"status":"sent","id":"7"}`), true, other, 9},
	}
	for i, st := range steps {
		if got := m.success(st.body); got != st.want || got != quickSuccess(st.body) {
			t.Fatalf("step %d: success(%s) = %v, want %v", i, st.body, got, st.want)
		}
		if sh := m.last.Load(); sh == nil || string(sh.body) != string(st.shapeOf) || m.misses.n.Load() != st.wantMiss {
			t.Fatalf("step %d: the memo holds %q after %d misses, want %q after %d", i, sh.body, m.misses.n.Load(), st.shapeOf, st.wantMiss)
		}
	}
	var none *successMemo
	if !none.success(a) || none.success([]byte(`{"error":2}`)) {
		t.Fatal("a nil memo does not answer as quickSuccess")
	}
}

// TestSuccessMemoConcurrent calls one memo from many goroutines with
// answers of several shapes, successes and failures: each call answers as
// quickSuccess does (and the race detector watches the memo).
func TestSuccessMemoConcurrent(t *testing.T) {
	var m successMemo
	bodies := [][]byte{
		[]byte(memoAnswer),
		[]byte(`{"error":0,"id":"1"}`),
		[]byte(`{"error":0,"id":"error"}`),
		[]byte(`{"error":11,"id":"1"}`),
		[]byte(`{"error":"0","status":"queued"}`),
		[]byte(`{"error":"2","status":"queued"}`),
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				b := bodies[(g+i)%len(bodies)]
				if got, want := m.success(b), quickSuccess(b); got != want {
					t.Errorf("success(%s) = %v, quickSuccess %v", b, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzSuccessShape holds the memo to quickSuccess: an answer that has the
// shape of a plain success is a plain success. It tries body, and the
// shape's answer with every text replaced by text.
func FuzzSuccessShape(f *testing.F) {
	f.Add([]byte(memoAnswer), []byte(memoAnswer), []byte("r2"))
	f.Add([]byte(`{"error":"0","id":"1"}`), []byte(`{"error":"0","id":"error"}`), []byte("ERROR"))
	f.Add([]byte(`{"a":"b","c":"d"}`), []byte(`{"a":"","c":"message"}`), []byte(`x","error":1,"y":"`))
	f.Add([]byte(`{"x":"y" , "error" : 0}`), []byte(`{"x":"[" , "error" : 0}`), []byte("["))
	f.Fuzz(func(t *testing.T, shape, body, text []byte) {
		if !quickSuccess(shape) {
			return
		}
		sh := newSuccessShape(shape)
		var swapped []byte
		from := 0
		for _, tx := range sh.texts {
			swapped = append(append(swapped, shape[from:tx[0]]...), text...)
			from = tx[1]
		}
		swapped = append(swapped, shape[from:]...)
		for _, b := range [][]byte{body, swapped} {
			if sh.matches(b) && !quickSuccess(b) {
				t.Fatalf("%q has the shape of %q, but quickSuccess does not pass it", b, shape)
			}
			if len(b) == len(shape) && sh.inPlace(b) && !sh.searched(b) {
				t.Fatalf("%q has the shape of %q in place, but not by a search", b, shape)
			}
		}
	})
}

// TestUnplain holds unplain to a byte-by-byte reading: every byte at every
// place of a word whose other bytes are all of any one value, so that no
// neighbour's flag leaks into a byte.
func TestUnplain(t *testing.T) {
	special := func(c byte) bool { return c == '"' || c == '\\' || c < 0x20 || c == '[' || c >= 0x80 }
	var w [8]byte
	for fill := range 256 {
		for p := range 8 {
			for c := range 256 {
				for i := range w {
					w[i] = byte(fill)
				}
				w[p] = byte(c)
				got := unplain(binary.LittleEndian.Uint64(w[:]))
				for i, b := range w {
					if flagged := got>>(8*i)&0xff == 0x80; flagged != special(b) {
						t.Fatalf("unplain(% x): byte %d (%#x) flagged %v", w, i, b, flagged)
					}
				}
				if got&^0x8080808080808080 != 0 {
					t.Fatalf("unplain(% x) = %#x: bits besides the high ones", w, got)
				}
			}
		}
	}
}

// TestShapeWords checks the words a shape reads bodies by: each mask
// covers exactly the texts, also in the last word, which overlaps the one
// before when the answer's length is no multiple of eight.
func TestShapeWords(t *testing.T) {
	for _, body := range []string{memoAnswer, `{"error":0,"id":"1"}`, `{"error":0}`, `{"a":"b"}`, `{"x":"12345678"}`, `{"e":0}`} {
		sh := newSuccessShape([]byte(body))
		if len(body) < 8 {
			if len(sh.words) != 0 {
				t.Errorf("%s: %d words for a body under eight bytes", body, len(sh.words))
			}
			continue
		}
		if want := (len(body) + 7) / 8; len(sh.words) != want || len(sh.masks) != want {
			t.Fatalf("%s: %d words, %d masks, want %d", body, len(sh.words), len(sh.masks), want)
		}
		inText := make([]bool, len(body))
		for _, tx := range sh.texts {
			for i := tx[0]; i < tx[1]; i++ {
				inText[i] = true
			}
		}
		for k := range sh.words {
			off := min(8*k, len(body)-8)
			if sh.words[k] != binary.LittleEndian.Uint64([]byte(body[off:])) {
				t.Errorf("%s: word %d is not the bytes at %d", body, k, off)
			}
			for i := range 8 {
				if inMask := sh.masks[k]>>(8*i)&0xff == 0xff; inMask != inText[off+i] {
					t.Errorf("%s: byte %d: in the mask %v, in a text %v", body, off+i, inMask, inText[off+i])
				}
			}
		}
	}
}

// TestTextEnd holds textEnd to a byte-by-byte reading: every kind of byte
// after 0 to 20 others.
func TestTextEnd(t *testing.T) {
	byByte := func(b []byte) int {
		for j := 1; j < len(b); j++ {
			switch c := b[j]; {
			case c == '"':
				return j
			case c == '\\' || c < 0x20 || c == '[' || c >= 0x80:
				return -1
			}
		}
		return -1
	}
	for _, c := range []byte{'"', '\\', '[', ']', 0, 0x1f, 0x20, 0x5a, 0x5b, 0x5c, 0x7f, 0x80, 0xc3, 0xff} {
		for n := range 21 {
			for _, fill := range []byte{'a', 0x21, 0x23, 0x5a, 0x5c + 1} {
				b := append(append([]byte{'"'}, bytes.Repeat([]byte{fill}, n)...), c, '"', 'x')
				if got, want := textEnd(b, 0), byByte(b); got != want {
					t.Fatalf("textEnd(%q) = %d, byte by byte %d", b, got, want)
				}
			}
		}
	}
}

// memoBulk answers three recipients alike but for their references and ids.
const memoBulk = `{"task_id":"7","result":[` +
	`{"error":0,"errorDescription":"No errors","reference":"ref1","id":"1001","price":0.02},` +
	`{"error":0,"errorDescription":"No errors","reference":"ref2","id":"1002","price":0.02},` +
	`{"error":0,"errorDescription":"No errors","reference":"ref3","id":"1003","price":0.02}],"total_price":0.06}`

// TestItemMemo reads a sequence of bulk answers through one memo: each is
// read as without the memo, the memo takes the first element's shape on the
// first miss and every eighth after it, and the shape it holds is a copy.
func TestItemMemo(t *testing.T) {
	other := `{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"}]}`
	const bulkLit, otherLit = `{"error":0,"errorDescription":"No errors","reference":"`, `{"error":0,"reference":"`
	type step struct {
		body     string
		wantMiss uint32
		lit0     string // the remembered shape's bytes before its first text
	}
	steps := []step{
		{memoBulk, 1, bulkLit},
		{strings.ReplaceAll(memoBulk, `:"ref`, `:"abc`), 1, bulkLit},
		{other, 2, bulkLit},
		{`{"result":[{"error":0,"reference":"a\"","id":"1"}]}`, 2, bulkLit}, // not for the quick reader
		{`{"result":[{"error":5,"reference":"a","id":"1"}]}`, 2, bulkLit},
		{`{"result":[{"error":0,"errorDescription":"No errors","reference":"x","id":"y","price":0.02},{"error":11}]}`, 2, bulkLit},
		{`{"result":[{"error":0,"errorDescription":"No errors","reference":"x","id":"y","price":0.02,"x":1}]}`, 3, bulkLit},
	}
	for miss := uint32(4); miss <= 9; miss++ {
		steps = append(steps, step{other, miss, bulkLit})
	}
	steps[len(steps)-1].lit0 = otherLit // the ninth miss takes the place
	steps = append(steps, step{memoBulk, 10, otherLit})
	var m itemMemo
	for i, st := range steps {
		body := []byte(st.body)
		if got, want := m.accepted(body), quickAccepted(body); got != want {
			t.Fatalf("step %d: accepted = %v, without the memo %v", i, got, want)
		}
		clear(body) // the memo holds no byte of the answer
		sh := m.last.Load()
		if sh == nil || string(sh.lits[0]) != st.lit0 || m.misses.n.Load() != st.wantMiss {
			t.Fatalf("step %d: the memo holds %q after %d misses, want %q after %d", i, sh.lits[0], m.misses.n.Load(), st.lit0, st.wantMiss)
		}
	}
	var none *itemMemo
	if !none.accepted([]byte(memoBulk)) || none.accepted([]byte(`{"result":[{"error":8}]}`)) {
		t.Fatal("a nil memo does not answer as quickAccepted")
	}
}

// TestItemMemoConcurrent reads bulk answers of several shapes through one
// memo from many goroutines: each read answers as without the memo (and the
// race detector watches the memo).
func TestItemMemoConcurrent(t *testing.T) {
	var m itemMemo
	bodies := [][]byte{
		[]byte(memoBulk),
		[]byte(`{"result":[{"error":0,"reference":"a","id":"1"},{"error":0,"reference":"b","id":"2"}]}`),
		[]byte(`{"result":[{"error":0,"reference":"a","id":"1"},{"error":2,"reference":"b","id":"2"}]}`),
		[]byte(`{"result":[{"error":"0","id":null},{"error":"0","id":"x"}]}`),
		[]byte(strings.ReplaceAll(memoBulk, `"error":0`, `"error":"0"`)),
	}
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 2000 {
				b := bodies[(g+i)%len(bodies)]
				if got, want := m.accepted(b), quickAccepted(b); got != want {
					t.Errorf("accepted(%s) = %v, quickAccepted %v", b, got, want)
					return
				}
			}
		})
	}
	wg.Wait()
}

// FuzzItemMemo holds the memo to the reader without it: with the shape of
// prior's first element remembered (and prior's bytes changed after), body
// is accepted exactly when quickAccepted accepts it.
func FuzzItemMemo(f *testing.F) {
	f.Add([]byte(memoBulk), []byte(strings.ReplaceAll(memoBulk, "ref", "x")))
	f.Add([]byte(memoBulk), []byte(strings.ReplaceAll(memoBulk, `"ref1"`, `"a\"b"`)))
	f.Add([]byte(memoBulk), []byte(strings.ReplaceAll(memoBulk, `"ref1"`, `null`)))
	f.Add([]byte(`{"result":[{"id":"1","error":0,"id":null}]}`), []byte(`{"result":[{"id":"2","error":0,"id":null}]}`))
	f.Add([]byte(`{"result":[{"reference":"","error":"0"}]}`), []byte(`{"result":[{"reference":"],\"x","error":"0"}]}`))
	f.Fuzz(func(t *testing.T, prior, body []byte) {
		var m itemMemo
		m.accepted(prior)
		for i := range prior {
			prior[i] ^= 0x55
		}
		if got, want := m.accepted(body), quickAccepted(body); got != want {
			t.Fatalf("with the shape of %q remembered, accepted(%q) = %v; without it %v", prior, body, got, want)
		}
	})
}

// TestItemMemoRuns reads answers by a remembered shape, whose elements are
// read in runs (itemShape.run), and holds each to the reader without the
// memo: a run that stops at an element of another form, at white space
// between elements or inside an element hands the rest to the element-wise
// reading.
func TestItemMemoRuns(t *testing.T) {
	el := func(ref, id string) string {
		return `{"error":0,"errorDescription":"No errors","reference":"` + ref + `","id":"` + id + `","price":0.02}`
	}
	arr := func(els ...string) string {
		return `{"task_id":"7","result":[` + strings.Join(els, ",") + `],"total_price":0.06}`
	}
	tests := []struct {
		name string
		body string
		runs []int // the lengths of the runs read from the first element on, then from each element where the last stopped
	}{
		{"alike", arr(el("a", "1"), el("bb", "22"), el("ccc", "333")), []int{3}},
		{"one", arr(el("a", "1")), []int{1}},
		{"white space between", `{"result":[` + el("a", "1") + ` , ` + el("b", "2") + "\n," + el("c", "3") + `]}`, []int{1, 1, 1}},
		{"an escape in the second", arr(el("a", "1"), el(`b\"`, "2"), el("c", "3")), []int{1, 0, 1}},
		{"a control byte in the third's id", arr(el("a", "1"), el("b", "2"), el("c", "3\x01")), []int{2, 0}},
		{"an error in the second", arr(el("a", "1"), strings.Replace(el("b", "2"), `"error":0`, `"error":5`, 1), el("c", "3")), []int{1, 0, 1}},
		{"another key in the second", arr(el("a", "1"), strings.Replace(el("b", "2"), `"price"`, `"Price"`, 1), el("c", "3")), []int{1, 0, 1}},
		{"a text that spells the join", arr(el(`a","id":"1","price":0.02},{"error":0`, "1")), []int{1, 0}},
		{"the array ends inside", `{"result":[` + el("a", "1") + `,` + el("b", "2")[:40], nil},
		{"null id", arr(el("a", "1"), strings.Replace(el("b", "2"), `"2"`, `null`, 1), el("c", "3")), []int{1, 0, 1}},
		{"code as a string", arr(el("a", "1"), strings.Replace(el("b", "2"), `"error":0`, `"error":"0"`, 1)), []int{1, 0}},
	}
	var primed itemMemo
	primed.accepted([]byte(arr(el("x", "9"))))
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := itemMemo{}
			m.last.Store(primed.last.Load())
			body := []byte(tt.body)
			if got, want := m.accepted(body), quickAccepted(body); got != want {
				t.Fatalf("accepted = %v, without the memo %v", got, want)
			}
			if _, ok := quickItems(body); ok != quickAccepted(body) {
				t.Fatalf("quickItems reads it: %v, quickAccepted %v", ok, !ok)
			}
			if tt.runs == nil {
				return
			}
			sh := m.load()
			i := strings.Index(tt.body, "[") + 1
			for r, want := range tt.runs {
				n, next := sh.run(body, i)
				if n != want {
					t.Fatalf("run %d from %d: %d elements, want %d", r, i, n, want)
				}
				if n > 0 {
					if c := body[next-1]; c != '}' {
						t.Fatalf("run %d ends at %q, not after an element", r, body[next-1:])
					}
					i = next
				} else {
					_, i = itemAt(body, nil, new(itemKeys), &shapeRecorder{sh: new(itemShape)}, new(Recipient), i)
					if i < 0 {
						break
					}
				}
				i = skipWS(body, i)
				if body[i] == ',' {
					i = skipWS(body, i+1)
				}
			}
		})
	}
}

// TestItemMemoBound: the memo keeps no shape of an element longer than
// maxShapeItem, whose bytes it would hold for as long as the Transport.
func TestItemMemoBound(t *testing.T) {
	for _, n := range []int{maxShapeItem - 200, maxShapeItem + 1} {
		body := []byte(`{"result":[{"error":0,"errorDescription":"` + strings.Repeat("x", n) + `","reference":"a","id":"1"}]}`)
		var m itemMemo
		if !m.accepted(body) {
			t.Fatalf("%d: not accepted", n)
		}
		if kept := m.last.Load() != nil; kept != (n < maxShapeItem) {
			t.Fatalf("an element of about %d bytes: shape kept %v", n, kept)
		}
	}
}
