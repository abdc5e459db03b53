package notificoretest

import (
	"crypto/rand"
	"fmt"
	"net/http"
	"strconv"
)

// Message kinds that only API 2.0 has.
const kindOTP = "otp"

// WithReferenceIDRejection replaces the server's answer to an API 2.0
// request that reuses a reference_id: status and body are sent verbatim
// (body labelled application/json when it starts with '{' or '['). BSG only
// documents that "messages with duplicate reference_id will be rejected", so
// this lets a test try other answers than the default, which is HTTP 422
//
//	{"message":"The given data was invalid.","errors":{"phones.0.reference_id":["The reference id has already been taken."]}}
//
// naming every offending field, as a validator does. A status <= 0 keeps 422 and an empty
// body keeps the default body. The request is refused as a whole either
// way. Malformed reference_ids (longer than 32 characters, or not only
// letters and digits) keep their own 422 answers.
func WithReferenceIDRejection(status int, body string) Option {
	return optionFunc(func(c *config) {
		if status <= 0 {
			status = http.StatusUnprocessableEntity
		}
		r := reply{status: status}
		if body != "" {
			r = rawReply(status, body)
		}
		c.refReject = &r
	})
}

// refTakenReply is the answer to reference_ids already taken, in fields.
func (s *Server) refTakenReply(fields []string) reply {
	if s.refReject != nil && s.refReject.body != nil {
		r := *s.refReject
		r.header = r.header.Clone()
		return r
	}
	status := http.StatusUnprocessableEntity
	if s.refReject != nil {
		status = s.refReject.status
	}
	errs := make(map[string][]string, len(fields))
	for _, f := range fields {
		errs[f] = []string{msgRefTaken}
	}
	return jsonReply(status, api2Err{Message: msgInvalidData, Errors: errs})
}

// submit2 processes the messages of one API 2.0 request for the account of
// key, all or nothing: a reference_id used by an accepted API 2.0 message of
// the account, held by a request in flight or repeated within the request
// refuses the whole request (refField names the offending field), and so do
// blocking, the balance and the in-flight cap. Accepted messages are held
// in flight for the processing time, then recorded with kind; their ids are
// set in items. It returns false with the answer when the request is
// refused.
func (s *Server) submit2(r *http.Request, kind, key string, items []item, refField func(i int) string) (reply, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a, c := s.accountLocked(key)
	if c != 0 {
		if c == codeBlocked {
			return api2Error(http.StatusPaymentRequired, msgAccountStatus), false
		}
		return api2Error(http.StatusUnauthorized, msgUnauthorized), false
	}
	held := make(map[string]bool)
	var taken []string
	for i, it := range items {
		if it.ref == "" {
			continue
		}
		if held[it.ref] || a.refs2[it.ref] || a.held2[it.ref] > 0 {
			taken = append(taken, refField(i))
		}
		held[it.ref] = true
	}
	if taken != nil {
		return s.refTakenReply(taken), false
	}
	switch s.processLocked(r, a, len(items), held, a.held2) {
	case admitNoFunds:
		return api2Error(http.StatusPaymentRequired, msgAccountStatus), false
	case admitCapped:
		return api2Error(http.StatusTooManyRequests, msgTooManyRequest), false
	case admitCanceled:
		return api2Error(http.StatusInternalServerError, msgServerError), false
	}
	now := s.clock.Now()
	for i := range items {
		var id string
		if kind == kindOTP {
			id = newUUID()
		} else {
			s.lastID++
			id = strconv.Itoa(s.lastID)
		}
		s.records = append(s.records, &record{
			Message: Message{Kind: kind, ID: id, Reference: items[i].ref, MSISDN: items[i].msisdn, APIKey: a.key},
			timeIn:  now,
		})
		if items[i].ref != "" {
			a.refs2[items[i].ref] = true
		}
		items[i].id = id
	}
	return reply{}, true
}

// newUUID returns a random (version 4) UUID.
func newUUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
