package notificoretest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// answer is one HTTP answer as a test sees it.
type answer struct {
	status int
	header http.Header
	raw    []byte
	obj    map[string]any // nil unless the body is a JSON object
	list   []any          // the "result" array, if any
}

// send sends body (a string is sent verbatim, anything else as JSON) and
// returns the answer. It fails the test on a transport error.
func send(t testing.TB, hc *http.Client, method, url, key string, body any) answer {
	t.Helper()
	a, err := trySend(hc, method, url, key, body)
	if err != nil {
		t.Fatalf("%s %s: %v", method, url, err)
	}
	return a
}

// requestBody is the body of a request: a string verbatim, nil none,
// anything else as JSON.
func requestBody(body any) (io.Reader, error) {
	switch b := body.(type) {
	case nil:
		return nil, nil
	case string:
		return strings.NewReader(b), nil
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return nil, err
		}
		return bytes.NewReader(j), nil
	}
}

func trySend(hc *http.Client, method, url, key string, body any) (answer, error) {
	rd, err := requestBody(body)
	if err != nil {
		return answer{}, err
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		return answer{}, err
	}
	if key != "" {
		req.Header.Set("X-API-KEY", key)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := hc.Do(req)
	if err != nil {
		return answer{}, err
	}
	return decodeAnswer(resp)
}

// decodeAnswer reads and closes resp's body.
func decodeAnswer(resp *http.Response) (answer, error) {
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return answer{}, err
	}
	a := answer{status: resp.StatusCode, header: resp.Header, raw: raw}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	if dec.Decode(&a.obj) == nil {
		a.list, _ = a.obj["result"].([]any)
	}
	return a, nil
}

// readAnswer is decodeAnswer that fails the test on an error.
func readAnswer(t testing.TB, resp *http.Response) answer {
	t.Helper()
	a, err := decodeAnswer(resp)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// codeOf reads an "error" field: its value, whether it was a JSON string,
// and whether it was there at all.
func codeOf(m map[string]any) (n int, isString, ok bool) {
	switch v := m["error"].(type) {
	case json.Number:
		i, err := v.Int64()
		return int(i), false, err == nil
	case string:
		i, err := strconv.Atoi(v)
		return i, true, err == nil
	}
	return 0, false, false
}

// topCode returns the top-level error code of an answer, failing the test
// if there is none.
func topCode(t testing.TB, a answer) int {
	t.Helper()
	n, _, ok := codeOf(a.obj)
	if !ok {
		t.Fatalf("no top-level error code in %d %s", a.status, a.raw)
	}
	return n
}

// codes returns the per-element error codes of the answer's result array.
func codes(t testing.TB, a answer) []int {
	t.Helper()
	out := make([]int, len(a.list))
	for i, e := range a.list {
		m, _ := e.(map[string]any)
		n, _, ok := codeOf(m)
		if !ok {
			t.Fatalf("result[%d] has no error code: %s", i, a.raw)
		}
		out[i] = n
	}
	return out
}

// wrappedCode returns the code inside {"result":{...}}.
func wrappedCode(t testing.TB, a answer) int {
	t.Helper()
	m, _ := a.obj["result"].(map[string]any)
	n, _, ok := codeOf(m)
	if !ok {
		t.Fatalf("no wrapped error code in %s", a.raw)
	}
	return n
}

func single(msisdn, ref string) map[string]any {
	return map[string]any{
		"destination": "phone", "originator": "Test", "body": "hello",
		"msisdn": msisdn, "reference": ref, "validity": "1", "tariff": nil,
	}
}

// phone is one recipient of a bulk SMS, Viber or HLR create.
type phone struct {
	MSISDN    string `json:"msisdn"`
	Reference string `json:"reference,omitempty"`
}

func bulk(phones ...phone) map[string]any {
	return map[string]any{"destination": "phones", "originator": "Test", "body": "hello", "phones": phones}
}

func viber(text string, to ...phone) map[string]any {
	return map[string]any{
		"tariff": 0, "validity": 86400,
		"messages": []map[string]any{{"to": to, "text": text, "alpha_name": "Test"}},
	}
}

func hlr(items ...phone) []map[string]any {
	out := make([]map[string]any, len(items))
	for i, p := range items {
		out[i] = map[string]any{"msisdn": p.MSISDN, "reference": p.Reference, "tariff": 0, "callback_url": ""}
	}
	return out
}
