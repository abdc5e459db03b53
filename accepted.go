package resilient

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/valyala/fastjson"
)

// AcceptedEarlierHeader marks an answer the Transport rewrote because a
// resend of a call was answered with a duplicate (see Rule.Duplicate) for
// messages an earlier attempt of the same call may have created: those
// answers are turned into successes, so that no caller mistakes them for
// failures and sends the messages a second time. Its value is the number of
// messages rewritten. Transport.RoundTrip's documentation says how each
// shape is rewritten.
const AcceptedEarlierHeader = "X-Resilient-Accepted-Earlier"

// acceptedDescription replaces the errorDescription of a rewritten answer.
const acceptedDescription = "accepted earlier"

// history is what the earlier attempts of a call imply for its next answer.
type history struct {
	maybe bool        // an earlier attempt may have been processed whole
	prev  []Recipient // the previous bulk answer's recipients
}

// reconcile applies what earlier attempts of the call imply to the attempt's
// outcome: a duplicate answered to a resend means the earlier attempt was
// accepted.
func (c *call) reconcile(r *result) {
	c.hist.reconcile(c.attempts, &r.out, &r.rule, &c.t.rules, c.weight)
}

// reconcile applies the history to attempt's outcome; recipients counts
// the request's messages, which an API 2.0 duplicate that names
// reference_ids must name every one of (else it refused the others).
func (h *history) reconcile(attempt int, out *Outcome, rule *Rule, rs *ruleSet, recipients func() int) {
	defer h.note(out)
	if attempt == 1 {
		return
	}
	if out.Recipients == nil {
		if h.maybe && rule.Duplicate && (out.dupOf == 0 || out.dupOf == recipients()) {
			out.Class, out.AcceptedEarlier = ClassSuccess, true
			*rule = rs.forClass(ClassSuccess)
		}
		return
	}
	changed := false
	for i := range out.Recipients {
		rc := &out.Recipients[i]
		if !rs.forCode(rc.Code).Duplicate {
			continue
		}
		var before *Recipient
		if i < len(h.prev) && (h.prev[i].Reference == "" || h.prev[i].Reference == rc.Reference) {
			before = &h.prev[i]
		}
		if h.maybe || (before != nil && (before.Class == ClassSuccess || before.Code == 5)) {
			rc.Class, rc.AcceptedEarlier, changed = ClassSuccess, true, true
			if before != nil && rc.ID == "" {
				rc.ID = before.ID
			}
		}
	}
	if changed {
		*rule = rs.aggregate(out)
		out.Class = rule.Class
		out.Ambiguous = out.ambiguous()
		out.AcceptedEarlier = true
	}
}

// note remembers what an attempt's outcome implies for later ones.
func (h *history) note(out *Outcome) {
	if out.Ambiguous && out.Recipients == nil {
		h.maybe = true
	}
	if out.Recipients != nil {
		h.prev = out.Recipients
	}
}

// rewriteAccepted rewrites the final answer when reconcile found duplicates
// to be earlier acceptances, and marks it with AcceptedEarlierHeader:
//   - in a bulk answer, every such element becomes {"error":0,
//     "errorDescription":"accepted earlier", ...} keeping its other fields
//     (and the id an earlier answer gave); the top-level error becomes 0
//     when every element is then a success;
//   - an API 1.0 top-level duplicate becomes a wrapped single success,
//     {"result":{"error":0,"errorDescription":"accepted earlier",
//     "reference":...}}, naming the request's reference;
//   - an API 2.0 duplicate (a 429 "Too many duplicate request detected", a
//     rejected reference_id) becomes HTTP 200 {"data":{}}.
//
// It leaves an answer it cannot parse alone.
func rewriteAccepted(resp *http.Response, rb *responseBody, out *Outcome, reqBody []byte) {
	if rb == nil || rb.rest != nil || rb.err != nil || !out.AcceptedEarlier {
		return
	}
	var doc map[string]json.RawMessage
	if json.Unmarshal(rb.bytes(), &doc) != nil {
		return
	}
	n := 1
	switch {
	case out.Recipients != nil:
		var ok bool
		if n, ok = rewriteRecipients(doc, out.Recipients); !ok {
			return
		}
	case out.Code == 0:
		doc = map[string]json.RawMessage{"data": json.RawMessage("{}")}
		n = max(countRecipients(reqBody), 1)
		resp.StatusCode, resp.Status = http.StatusOK, "200 OK"
	default:
		elem := map[string]any{"error": 0, "errorDescription": acceptedDescription}
		if ref := fastjson.GetString(reqBody, "reference"); ref != "" {
			elem["reference"] = ref
		}
		raw, _ := json.Marshal(elem)
		doc = map[string]json.RawMessage{"result": raw}
	}
	data, _ := json.Marshal(doc)
	rb.r.Reset(data)
	resp.ContentLength = int64(len(data))
	resp.Header = resp.Header.Clone()
	if resp.Header == nil {
		resp.Header = http.Header{}
	}
	resp.Header.Set("Content-Length", strconv.Itoa(len(data)))
	resp.Header.Set(AcceptedEarlierHeader, strconv.Itoa(n))
}

// rewriteRecipients turns the result elements found accepted earlier into
// successes, reporting how many; false when the result is not what the
// outcome read.
func rewriteRecipients(doc map[string]json.RawMessage, rcs []Recipient) (int, bool) {
	var items []map[string]json.RawMessage
	if json.Unmarshal(doc["result"], &items) != nil || len(items) != len(rcs) {
		return 0, false
	}
	n, all := 0, true
	for i, rc := range rcs {
		all = all && rc.Class == ClassSuccess
		if !rc.AcceptedEarlier || items[i] == nil {
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
	if _, has := doc["error"]; has && all {
		doc["error"] = json.RawMessage("0")
	}
	return n, true
}
