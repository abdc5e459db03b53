package notificoretest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// item is one message of a create request.
type item struct {
	msisdn string
	ref    string
	code   int    // non-zero when the item is refused
	id     string // set when the item is accepted
}

// flexString decodes a JSON string, number or null into a string, since
// clients send phone numbers both ways.
type flexString string

// UnmarshalJSON implements json.Unmarshaler.
func (f *flexString) UnmarshalJSON(b []byte) error {
	if string(b) == "null" {
		*f = ""
		return nil
	}
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*f = flexString(s)
		return err
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return err
	}
	*f = flexString(n.String())
	return nil
}

// recipient is one {"msisdn":..,"reference":..} of a create request.
type recipient struct {
	MSISDN    flexString `json:"msisdn"`
	Reference flexString `json:"reference"`
}

// validPhone reports whether s is 7 to 15 digits with an optional leading +.
func validPhone(s string) bool {
	if len(s) > 0 && s[0] == '+' {
		s = s[1:]
	}
	if len(s) < 7 || len(s) > 15 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// validRef reports whether s is 1 to 32 ASCII letters and digits.
func validRef(s string) bool {
	if len(s) == 0 || len(s) > 32 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'z') && (c < 'A' || c > 'Z') {
			return false
		}
	}
	return true
}

// newItem validates one recipient of kind kc.
func newItem(kc kindCodes, msisdn, ref string) item {
	it := item{msisdn: msisdn, ref: ref}
	switch {
	case !validPhone(msisdn):
		it.code = kc.badPhone
	case ref == "" && kc.missingRef != 0:
		it.code = kc.missingRef
	case ref != "" && !validRef(ref):
		it.code = kc.badRef
	}
	return it
}

// auth returns the API 1.0 code that refuses key, or 0.
func (s *Server) auth(key string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	_, c := s.accountLocked(key)
	return c
}

// nextTask returns a new task (or campaign) id.
func (s *Server) nextTask() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.lastTask++
	return s.lastTask
}

// addInFlightLocked changes the number of messages in flight.
// The caller holds s.mu.
func (s *Server) addInFlightLocked(n int) {
	s.inFlight += n
	if s.onInFlight != nil {
		s.onInFlight(s.inFlight)
	}
}

// admitted is what processLocked made of a create's messages.
type admitted int

const (
	admitDone     admitted = iota // processed: charged and held for the processing time
	admitNoFunds                  // refused: the account cannot pay for them
	admitCapped                   // refused: they would pass the in-flight cap
	admitCanceled                 // the client went away or the server closed during the processing time
)

// processLocked admits n messages of a create for account a: unless a
// cannot pay for them or they would pass the in-flight cap, it charges a,
// holds them in flight for the processing time, and the references in refs
// in pending (reference -> creates in flight holding it) meanwhile, then
// lets go of both. When the processing time was cut short it refunds the
// charge. The caller holds s.mu, which processLocked lets go of during the
// processing time and holds again when it returns.
func (s *Server) processLocked(r *http.Request, a *account, n int, refs map[string]bool, pending map[string]int) admitted {
	if !a.canPay(n) {
		return admitNoFunds
	}
	if s.maxInFlight > 0 && s.inFlight+n > s.maxInFlight {
		return admitCapped
	}
	charged := !a.unlimited
	a.charge(n)
	for ref := range refs {
		pending[ref]++
	}
	s.addInFlightLocked(n)
	d := s.processing
	s.mu.Unlock()

	ok := s.wait(r, d)

	s.mu.Lock()
	s.addInFlightLocked(-n)
	for ref := range refs {
		if pending[ref]--; pending[ref] <= 0 {
			delete(pending, ref)
		}
	}
	if !ok {
		if charged && !a.unlimited {
			a.balance += n
		}
		return admitCanceled
	}
	return admitDone
}

// submit processes the items of one create for the account of key. Items
// listed in overrides get that code; the others that passed validation are
// checked for duplicate references, then, all together, against the balance
// and the in-flight cap, held in flight for the processing time and
// accepted. It returns 0, with every item's code or id set, or the code that
// refuses the whole request, with nothing accepted.
func (s *Server) submit(r *http.Request, kc kindCodes, key string, items []item, overrides map[int]int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, c := s.accountLocked(key)
	if c != 0 {
		return c
	}
	held := make(map[string]bool)
	n := 0
	for i := range items {
		it := &items[i]
		if o := overrides[i]; o != 0 {
			it.code = o
			continue
		}
		if it.code != 0 {
			continue
		}
		if it.ref != "" {
			if held[it.ref] || a.refTaken(kc.kind, it.ref) {
				it.code = kc.dupRef
				continue
			}
			held[it.ref] = true
		}
		n++
	}
	if n == 0 {
		return 0
	}
	switch s.processLocked(r, a, n, held, a.pendingOf(kc.kind)) {
	case admitNoFunds:
		return codeNoFunds
	case admitCapped:
		return codeInFlightCap
	case admitCanceled:
		return codeUnknown
	}
	now := s.clock.Now()
	for i := range items {
		if items[i].code != 0 {
			continue
		}
		s.lastID++
		rec := &record{
			Message: Message{
				Kind:      kc.kind,
				ID:        strconv.Itoa(s.lastID),
				Reference: items[i].ref,
				MSISDN:    items[i].msisdn,
				APIKey:    a.key,
			},
			timeIn: now,
		}
		a.store(rec)
		s.records = append(s.records, rec)
		items[i].id = rec.ID
	}
	return 0
}

// results turns processed items into the per-recipient answer elements and
// returns them with the number of accepted ones.
func (q *request) results(items []item) ([]itemResult, int) {
	out := make([]itemResult, len(items))
	n := 0
	for i, it := range items {
		if it.code != 0 {
			out[i] = itemResult{Error: q.code(it.code), Description: describe(it.code), Reference: it.ref}
			continue
		}
		n++
		out[i] = itemResult{
			Error:       q.code(codeOK),
			Description: describe(codeOK),
			Reference:   it.ref,
			ID:          it.id,
			Price:       euros(1),
			Currency:    "EUR",
		}
	}
	return out, n
}
