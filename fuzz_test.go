package resilient

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The oracle reads an answer the way the SDKs do, with encoding/json into a
// struct (keys matched without regard to case, the last of repeated keys
// winning), and applies the classification rules written out again here,
// independently of answer.go.

type oracleTop struct {
	Error   json.RawMessage `json:"error"`
	Result  json.RawMessage `json:"result"`
	Message json.RawMessage `json:"message"`
	Errors  json.RawMessage `json:"errors"`
}

type oracleItem struct {
	Error json.RawMessage `json:"error"`
}

// oracleCode interprets a raw code: ok false when absent (or null, false,
// ""); bad when present but not a code.
func oracleCode(raw json.RawMessage) (n int, bad, ok bool) {
	raw = bytes.TrimSpace(raw)
	switch {
	case len(raw) == 0, string(raw) == "null", string(raw) == "false":
		return 0, false, false
	case raw[0] == '"':
		var s string
		if json.Unmarshal(raw, &s) != nil {
			return 0, true, true
		}
		s = string(bytes.TrimSpace([]byte(s)))
		if s == "" {
			return 0, false, false
		}
		digits := s
		if digits[0] == '+' || digits[0] == '-' {
			digits = digits[1:]
		}
		v, err := strconv.Atoi(s)
		if err != nil || len(digits) > 9 || digits == "" || digits[0] == '+' || digits[0] == '-' {
			return 0, true, true
		}
		return v, false, true
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		f, err := strconv.ParseFloat(string(raw), 64)
		if err != nil || f != math.Trunc(f) || math.Abs(f) >= 1<<31 {
			return 0, true, true
		}
		return int(f), false, true
	}
	return 0, true, true
}

// oracle returns the deciding code of an answer (-1 for a bad one, 0 for
// none) and whether it carries API 2.0 messages or per-recipient results.
func oracle(body []byte) (code int, messages, recipients, decodable bool) {
	var top oracleTop
	if !json.Valid(body) || bytes.TrimSpace(body)[0] != '{' || json.Unmarshal(body, &top) != nil {
		return 0, false, false, false
	}
	interpret := func(raw json.RawMessage) int {
		n, bad, ok := oracleCode(raw)
		switch {
		case !ok:
			return 0
		case bad:
			return -1
		}
		return n
	}
	result := bytes.TrimSpace(top.Result)
	var items []json.RawMessage
	if len(result) > 0 && result[0] == '[' && json.Unmarshal(result, &items) == nil {
		for _, it := range items {
			var o map[string]json.RawMessage
			if bytes.HasPrefix(bytes.TrimSpace(it), []byte("{")) && json.Unmarshal(it, &o) == nil {
				var item oracleItem
				json.Unmarshal(it, &item)
				if item.Error != nil {
					return 0, false, true, true
				}
			}
		}
	}
	code = interpret(top.Error)
	if len(result) > 0 && result[0] == '{' {
		var single oracleItem
		json.Unmarshal(result, &single)
		if single.Error != nil {
			code = interpret(single.Error)
		}
	}
	m := bytes.TrimSpace(top.Message)
	e := bytes.TrimSpace(top.Errors)
	messages = len(m) > 0 && m[0] == '"' && string(m) != `""` || len(e) > 0 && (e[0] == '[' || e[0] == '{')
	return code, messages, false, true
}

var fuzzSeeds = []string{
	`{"error": 20, "errorDescription": "SMS not found"}`, `{"error":"40"}`,
	`{"result":{"error":0,"id":"213"}}`, `{"task_id":"6","result":[{"error":0},{"error":43,"reference":"r19"}]}`,
	`{"errors":[{"message":"Unavailable for your account status"}]}`, `<html>`, `{"error":`, `{"error":1e400}`,
	`{"error":"\u0031\u0031"}`, `{"result":[1,"x",null,{"error":{}}]}`, `{"errors":"x"}`,
	// Valid encodings that hide a code from a naive reader.
	`{"Error":11}`, `{"ERROR":"11"}`, `{"\u0065rror":11}`, `{"error":0,"error":11}`, `{"error":11,"error":0}`,
	`{"error":1.1e1}`, `{"error":110e-1}`, `{"error":1.1e2}`, `{"result":[{"error":0,"id":2.3e2}]}`, `{"error":" 11 "}`, `{"error":"+11"}`, `{"erro\u0072":8}`,
	`{"result":{"ERROR":8}}`, `{"error":0,"result":{"error":2}}`, `{"error":11,"result":[{"error":0}]}`,
	`{"message":"Unavailable for your account status","errors":[]}`, `{"MESSAGE":"x"}`, `{"me\u017f\u017fage":"x"}`,
	`{"error":0,"errors":{"phones.0.reference_id":["taken"]}}`, " \n{\"error\":\t11 }", `{"error":-0}`, `{"error":0.0}`,
	`{"error":"0","result":{"error":"0"},"x":{"error":0}}`, `{"error":1099511627776}`, `{"error":"0000000011"}`,
	`{"error":11,"x":` + strings.Repeat("[", 400) + strings.Repeat("]", 400) + `}`, // deeper than fastjson parses
	// Bulk answers the quick reader takes, and near misses it must leave to the full parse.
	`{"task_id":"6","result":[{"error":0,"reference":"r1","id":"10"},{"error":"0","reference":null,"ID":"11"}]}`,
	`{"result":[{"error":0,"reference":"a","reference":"b"}],"RESULT":[{"error":0,"id":"x"}]}`,
	`{"result":[{"error":0,"id":12}]}`, `{"result":[{"error":0}],"result":{"error":8}}`, `{"result":[{"error":0},7]}`,
	`{"result":[{"error":0}]} x`, `{"result":[{"error":00}]}`, `{"result":[{"error":0.0}]}`, `{"result":[{"id":"1"}]}`,
	`{"result":[{"error":0,"x":{"y":[1,-2.5e+3,true,false,null,"z"]}}]}`, `{"result":[{"error":0,}]}`,
	// Elements read by the shape of the one before, then ones that leave it.
	`{"result":[{"error":0,"reference":"r1","id":"1"},{"error":0,"reference":"r22","id":"2"},{"error":0,"reference":null,"id":"3"},{"error":0,"reference":"r4","id":"4\"},{"error":0,"reference":"r5","id":"5","x":1}]}`,
	// Elements whose keys repeat (remembered by place), then change.
	`{"result":[{"error":0,"errorDescription":"No errors","reference":"r1","id":"1"},{"error":0,"errorDescription":"No errors","reference":"r2","id":"2"},{"error" :0,"errorDescriptioN":"x","referencE":"r3","iD":"3","id":"4"}]}`,
}

// FuzzClassifyBody holds the quick success check and the full parse to the
// oracle on every input: a code the SDKs would read is never read as
// success, and no input panics.
func FuzzClassifyBody(f *testing.F) {
	for _, s := range fuzzSeeds {
		f.Add(200, []byte(s))
		f.Add(402, []byte(s))
	}
	rs := newRuleSet(Policy{}.withDefaults())
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		if status < 100 || status > 599 {
			status = 200
		}
		code, messages, recipients, decodable := oracle(body)
		if quickSuccess(body) && decodable && (code != 0 || messages || recipients) {
			t.Fatalf("quickSuccess(%q) but the oracle reads code %d, messages %v, recipients %v", body, code, messages, recipients)
		}
		a := parseAnswer(body)
		items, quick := quickItems(body)
		if quick && !slices.Equal(items, rs.recipients(a.items)) {
			t.Fatalf("quickItems(%q) = %+v; the full parse reads %+v", body, items, rs.recipients(a.items))
		}
		if quickAccepted(body) != quick {
			t.Fatalf("quickAccepted(%q) = %v, quickItems reads it: %v", body, !quick, quick)
		}
		got := a.code
		if a.hasSingle {
			got = a.single.code
		}
		switch {
		case !decodable:
			if a.code.set || len(a.items) > 0 || a.hasSingle || len(a.api2.messages) > 0 {
				t.Fatalf("parse of %q finds an answer the oracle cannot decode", body)
			}
		case recipients != (len(a.items) > 0):
			t.Fatalf("parse of %q: recipients %v, oracle %v", body, len(a.items) > 0, recipients)
		case !recipients && got.isError() != (code != 0), !recipients && code != 0 && got.code() != code:
			t.Fatalf("parse of %q: code %+v, oracle %d", body, got, code)
		}
		out, rule := rs.classifyResponse(status, body, false)
		if out.Class != rule.Class || out.Class < ClassSuccess || out.Class > ClassAccount {
			t.Fatalf("class %v rule %v", out.Class, rule.Class)
		}
		if out.pending {
			// Read later, the recipients are those the full parse reads, and
			// the outcome the success of every recipient accepted.
			rb := responseBody{outcome: out, bulk: body}
			read := rb.final()
			if !slices.Equal(read.Recipients, rs.recipients(a.items)) || read.pending ||
				out.Class != ClassSuccess || out.Code != 0 || out.Description != "" || out.Ambiguous {
				t.Fatalf("pending outcome of %q: %+v, recipients %+v; the full parse reads %+v", body, out, read.Recipients, rs.recipients(a.items))
			}
		}
		if decodable && !recipients && code != 0 && (out.Class == ClassSuccess || out.Code != code) {
			t.Fatalf("classified %q as %v code %d; the oracle reads code %d", body, out.Class, out.Code, code)
		}
	})
}

func TestFuzzSeedsAgreeWithTheOracle(t *testing.T) {
	rs := newRuleSet(Policy{}.withDefaults())
	for _, s := range fuzzSeeds {
		code, _, recipients, decodable := oracle([]byte(s))
		out, _ := rs.classifyRead(200, []byte(s), false)
		if decodable && !recipients && code != 0 && (out.Code != code || out.Class == ClassSuccess) {
			t.Errorf("%s: classified code %d %v, the oracle reads %d", s, out.Code, out.Class, code)
		}
	}
}

func TestKeyIsFoldsLikeEncodingJSON(t *testing.T) {
	for _, k := range []string{"errordescription", "ERRORDESCRIPTION", "errorDeſcription", "ErrorDescription"} {
		if !keyIs([]byte(k), "errorDescription") {
			t.Errorf("keyIs(%q, errorDescription) = false; encoding/json matches it", k)
		}
	}
	for _, k := range []string{"errorDescriptio", "errorDescriptions", "error"} {
		if keyIs([]byte(k), "errorDescription") {
			t.Errorf("keyIs(%q, errorDescription) = true", k)
		}
	}
}
