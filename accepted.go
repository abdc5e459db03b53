package resilient

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/valyala/fastjson"
)

// AcceptedEarlierHeader marks an answer the Transport rewrote because a
// resend was answered "reference already exists" (23, 43, 63) for messages
// an earlier attempt of the same call had created: those answers are turned
// into successes, so that no caller mistakes them for failures and sends the
// messages a second time. Its value is the number of messages rewritten.
const AcceptedEarlierHeader = "X-Resilient-Accepted-Earlier"

// acceptedDescription replaces the errorDescription of a rewritten answer.
const acceptedDescription = "accepted earlier"

// reconcile applies what earlier attempts of the call imply: a duplicate
// reference answered to a resend means the earlier attempt was accepted.
func (t *Transport) reconcile(c *call, out *Outcome, rule *Rule) {
	defer func() {
		if out.Ambiguous && out.Recipients == nil {
			c.maybe = true
		}
		if out.Recipients != nil {
			c.prev = out.Recipients
		}
	}()
	if c.attempts == 1 {
		return
	}
	if out.Recipients == nil {
		if c.maybe && isDuplicateReference(out.Code) {
			out.Class, out.AcceptedEarlier = ClassSuccess, true
			*rule = t.rules.forClass(ClassSuccess)
		}
		return
	}
	changed := false
	for i := range out.Recipients {
		rc := &out.Recipients[i]
		if !isDuplicateReference(rc.Code) {
			continue
		}
		var before *Recipient
		if i < len(c.prev) && (c.prev[i].Reference == "" || c.prev[i].Reference == rc.Reference) {
			before = &c.prev[i]
		}
		if c.maybe || (before != nil && (before.Class == ClassSuccess || before.Code == 5)) {
			rc.Class, rc.AcceptedEarlier, changed = ClassSuccess, true, true
			if before != nil && rc.ID == "" {
				rc.ID = before.ID
			}
		}
	}
	if changed {
		*rule = t.rules.aggregate(out)
		out.Class = rule.Class
		out.Ambiguous = out.ambiguous()
		out.AcceptedEarlier = true
	}
}

// rewriteAccepted replaces, in the final answer, every duplicate-reference
// error that reconcile found to be an earlier acceptance by a success
// element: {"error":0,"errorDescription":"accepted earlier","reference":...,
// "id":...} (the id when an earlier answer gave one). A top-level duplicate
// to a single create becomes a wrapped single success naming the request's
// reference. Other fields are kept; the answer is marked with
// AcceptedEarlierHeader. It leaves the answer alone when it cannot parse it.
func rewriteAccepted(resp *http.Response, rb *responseBody, out *Outcome, reqBody []byte) {
	if rb == nil || rb.rest != nil || rb.err != nil || !out.AcceptedEarlier {
		return
	}
	data := make([]byte, rb.r.Size())
	rb.r.ReadAt(data, 0)
	var doc map[string]json.RawMessage
	if json.Unmarshal(data, &doc) != nil {
		return
	}
	n := 0
	if out.Recipients == nil {
		elem := map[string]any{"error": 0, "errorDescription": acceptedDescription}
		if ref := fastjson.GetString(reqBody, "reference"); ref != "" {
			elem["reference"] = ref
		}
		raw, _ := json.Marshal(elem)
		doc = map[string]json.RawMessage{"result": raw}
		n = 1
	} else {
		var items []map[string]json.RawMessage
		if json.Unmarshal(doc["result"], &items) != nil || len(items) != len(out.Recipients) {
			return
		}
		for i, rc := range out.Recipients {
			if !rc.AcceptedEarlier {
				continue
			}
			items[i]["error"] = json.RawMessage("0")
			items[i]["errorDescription"] = json.RawMessage(`"` + acceptedDescription + `"`)
			if rc.ID != "" {
				id, _ := json.Marshal(rc.ID)
				items[i]["id"] = id
			}
			n++
		}
		doc["result"], _ = json.Marshal(items)
	}
	data, _ = json.Marshal(doc)
	rb.r.Reset(data)
	resp.ContentLength = int64(len(data))
	resp.Header = resp.Header.Clone()
	resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
	resp.Header.Set(AcceptedEarlierHeader, strconv.Itoa(n))
}
