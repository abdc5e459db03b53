package resilient

import "net/http"

// ruleSet holds a Transport's rules with every zero field already filled
// from the Policy, so lookups never allocate or merge.
type ruleSet struct {
	codes    map[int]Rule
	messages map[string]Rule // keyed by normMessage
	statuses map[int]Rule
	classes  map[Class]Rule
	policy   Rule // the Policy's numbers, Class unset
	success  *successMemo
	items    *itemMemo
	waits    [(400 + 63) / 64]uint64 // the statuses below 400 (and up to 447) mayWait holds for, by bit
}

func newRuleSet(p Policy) ruleSet {
	rs := ruleSet{
		codes:    map[int]Rule{},
		messages: map[string]Rule{},
		statuses: map[int]Rule{},
		classes:  map[Class]Rule{},
		policy:   Rule{MaxAttempts: p.MaxAttempts, Backoff: p.Backoff},
		success:  new(successMemo),
		items:    new(itemMemo),
	}
	rs.noteWaits()
	return rs
}

// fill completes r's zero fields from the Policy's numbers.
func (rs *ruleSet) fill(r Rule) Rule {
	if r.MaxAttempts <= 0 {
		r.MaxAttempts = rs.policy.MaxAttempts
	}
	r.Backoff = r.Backoff.inherit(rs.policy.Backoff)
	return r
}

// finish fills every rule once the Policy is final.
func (rs *ruleSet) finish(p Policy) {
	rs.policy = Rule{MaxAttempts: p.MaxAttempts, Backoff: p.Backoff}
	for k, r := range rs.codes {
		rs.codes[k] = rs.fill(r)
	}
	for k, r := range rs.messages {
		rs.messages[k] = rs.fill(r)
	}
	for k, r := range rs.statuses {
		rs.statuses[k] = rs.fill(r)
	}
	for k, r := range rs.classes {
		rs.classes[k] = rs.fill(r)
	}
	rs.noteWaits()
}

// noteWaits notes the statuses waits holds, those mayWait holds for under
// the rules.
func (rs *ruleSet) noteWaits() {
	rs.waits = [len(rs.waits)]uint64{}
	for status := range 64 * len(rs.waits) {
		if rs.mayWaitAt(status) {
			rs.waits[status/64] |= 1 << (status % 64)
		}
	}
}

// forCode returns the rule of an API 1.0 code: its own rule, else the rule of
// its default class (a duplicate for 23, 43 and 63).
func (rs *ruleSet) forCode(code int) Rule {
	if r, ok := rs.codes[code]; ok {
		return r
	}
	r := rs.forClass(ClassOf(code))
	r.Duplicate = isDuplicateReference(code)
	return r
}

// forAPI2 returns the deciding message of an API 2.0 error answer and its
// rule: the first of its messages that a message rule names, else, on 422,
// a rejected known reference_id (a duplicate), else the most severe
// documented message (an account-level one first), else the status with the
// first message.
func (rs *ruleSet) forAPI2(a *api2Answer, status int) (string, Rule) {
	for _, m := range a.messages {
		if r, ok := rs.messages[normMessage(m)]; ok {
			return m, r
		}
	}
	first := ""
	if len(a.messages) > 0 {
		first = a.messages[0]
	}
	if status == http.StatusUnprocessableEntity && a.duplicateReferenceID() {
		r := rs.forClass(ClassPermanent)
		r.Duplicate = true
		return first, r
	}
	best := -1
	for i, m := range a.messages {
		if c, ok := apiMessages[normMessage(m)]; ok && (best < 0 || severity(c) > severity(apiMessages[normMessage(a.messages[best])])) {
			best = i
		}
	}
	if best < 0 {
		return first, rs.forStatus(status)
	}
	key := normMessage(a.messages[best])
	r := rs.forClass(apiMessages[key])
	r.Duplicate = isDuplicateMessage(key)
	return a.messages[best], r
}

// forStatus returns the rule of an HTTP status that carried no code.
func (rs *ruleSet) forStatus(status int) Rule {
	if len(rs.statuses) > 0 { // most Transports have no status rule: no lookup
		if r, ok := rs.statuses[status]; ok {
			return r
		}
	}
	c, _ := classifyStatus(status)
	return rs.forClass(c)
}

// forClass returns the rule of a class.
func (rs *ruleSet) forClass(c Class) Rule {
	if len(rs.classes) > 0 {
		if r, ok := rs.classes[c]; ok {
			return r
		}
	}
	r := rs.policy
	r.Class = c
	return r
}
