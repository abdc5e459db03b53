package resilient

import (
	"strings"

	"github.com/valyala/fastjson"
)

// api2Answer is what an API 2.0 error body says: a top-level message and,
// beside it, errors as a list (of strings or of {"message":...} objects) or,
// on 422, as an object of field -> list of messages. One older shape has no
// top-level message: {"errors":[{"message":...}]}.
type api2Answer struct {
	// messages are the answer's messages, the top-level one first.
	messages []string
	// referenceID reports that a message or a field of the errors names
	// reference_id, and refFormat that one of those messages describes its
	// format (length, characters). On 422 the first without the second is
	// the rejection of a duplicate client ID.
	referenceID, refFormat bool
	// refFields counts the fields of the errors that name reference_id;
	// others reports an error about anything else.
	refFields int
	others    bool
}

// duplicateReferenceID reports the rejection of known reference_ids and of
// nothing else.
func (a *api2Answer) duplicateReferenceID() bool { return a.referenceID && !a.refFormat && !a.others }

// readAPI2 reads the message and errors fields of an answer object.
func readAPI2(message, errs *fastjson.Value) api2Answer {
	var a api2Answer
	if m := text(message); m != "" && typeOf(message) == fastjson.TypeString {
		a.add(m, false)
	}
	switch typeOf(errs) {
	case fastjson.TypeArray:
		arr, _ := errs.Array()
		for _, e := range arr {
			a.addValue(e, false)
		}
	case fastjson.TypeObject:
		o, _ := errs.Object()
		o.Visit(func(field []byte, v *fastjson.Value) {
			ref := namesReferenceID(string(field))
			if ref {
				a.referenceID = true
				a.refFields++
			} else {
				a.others = true
			}
			a.addValue(v, ref)
		})
	}
	return a
}

// addValue adds the messages of one element of errors: a string, a
// {"message":...} object, or a list of either; ref reports that they are
// the errors of a reference_id field.
func (a *api2Answer) addValue(v *fastjson.Value, ref bool) {
	switch typeOf(v) {
	case fastjson.TypeString:
		a.add(text(v), ref)
	case fastjson.TypeObject:
		if m := lookup(v, "message"); typeOf(m) == fastjson.TypeString {
			a.add(text(m), ref)
		}
	case fastjson.TypeArray:
		arr, _ := v.Array()
		for _, e := range arr {
			if typeOf(e) == fastjson.TypeString {
				a.add(text(e), ref)
			}
		}
	}
}

// add adds one message: about reference_id when it names it or ref says
// so, else about something else unless it is the generic "The given data
// was invalid.".
func (a *api2Answer) add(m string, ref bool) {
	if m == "" {
		return
	}
	switch {
	case ref || namesReferenceID(m):
		a.referenceID = true
		a.refFormat = a.refFormat || describesFormat(m)
	case normMessage(m) != "the given data was invalid.":
		a.others = true
	}
	a.messages = append(a.messages, m)
}

// namesReferenceID reports whether an error message or field names the
// client ID of API 2.0 sends: "reference_id", "reference id" or
// "referenceId", in any case, possibly inside a path such as
// "phones.0.reference_id".
func namesReferenceID(s string) bool {
	s = strings.ToLower(s)
	return strings.Contains(s, "reference_id") || strings.Contains(s, "reference id") ||
		strings.Contains(s, "referenceid")
}

// describesFormat reports whether a message about reference_id describes
// its form ("may not be greater than 32 characters", "may only contain
// letters and numbers", "invalid format") rather than a duplicate ("has
// already been taken", "must be unique", "duplicate reference_id"), which
// any message about it that says neither is taken to be.
func describesFormat(m string) bool {
	m = strings.ToLower(m)
	for _, w := range [...]string{"taken", "already", "exist", "duplicate", "unique", "used"} {
		if strings.Contains(m, w) {
			return false
		}
	}
	for _, w := range [...]string{"format", "character", "alpha", "letter", "digit", "number", "length", "long", "32", "contain", "valid"} {
		if strings.Contains(m, w) {
			return true
		}
	}
	return false
}

// duplicateRequest is the API 2.0 message of a 429 that refuses a copy of a
// request the server already received ("you send several duplicate request
// in short time"): not a throttle.
const duplicateRequest = "too many duplicate request detected"
