package resilient

// ruleSet holds a Transport's rules with every zero field already filled
// from the Policy, so lookups never allocate or merge.
type ruleSet struct {
	codes    map[int]Rule
	messages map[string]Rule // keyed by normMessage
	statuses map[int]Rule
	classes  map[Class]Rule
	policy   Rule // the Policy's numbers, Class unset
}

func newRuleSet(p Policy) ruleSet {
	return ruleSet{
		codes:    map[int]Rule{},
		messages: map[string]Rule{},
		statuses: map[int]Rule{},
		classes:  map[Class]Rule{},
		policy:   Rule{MaxAttempts: p.MaxAttempts, Backoff: p.Backoff},
	}
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
}

// forCode returns the rule of an API 1.0 code: its own rule, else the rule of
// its default class, else the Policy's numbers with the default class.
func (rs *ruleSet) forCode(code int) Rule {
	if r, ok := rs.codes[code]; ok {
		return r
	}
	return rs.forClass(ClassOf(code))
}

// forMessage returns the rule of an API 2.0 message, falling back to the
// status when the message is unknown.
func (rs *ruleSet) forMessage(msg string, status int) Rule {
	key := normMessage(msg)
	if r, ok := rs.messages[key]; ok {
		return r
	}
	if c, ok := apiMessages[key]; ok {
		return rs.forClass(c)
	}
	return rs.forStatus(status)
}

// forStatus returns the rule of an HTTP status that carried no code.
func (rs *ruleSet) forStatus(status int) Rule {
	if r, ok := rs.statuses[status]; ok {
		return r
	}
	c, _ := classifyStatus(status)
	return rs.forClass(c)
}

// forClass returns the rule of a class.
func (rs *ruleSet) forClass(c Class) Rule {
	if r, ok := rs.classes[c]; ok {
		return r
	}
	r := rs.policy
	r.Class = c
	return r
}
