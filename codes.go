package resilient

import "strings"

// codeInfo is one row of the Notificore API 1.0 error-code table.
type codeInfo struct {
	desc  string
	class Class
}

// apiCodes is the full API 1.0 error-code table as Notificore documents it,
// with the class each code falls into by default. Codes 88 and 89 are
// reserved; they and every code missing here are permanent.
var apiCodes = map[int]codeInfo{
	0:  {"no error", ClassSuccess},
	1:  {"invalid key", ClassPermanent},
	2:  {"the user is blocked", ClassAccount},
	3:  {"not enough parameters", ClassPermanent},
	4:  {"the requested function is not supported", ClassPermanent},
	5:  {"unknown error", ClassTransient},
	6:  {"non-existent rate scale number is indicated", ClassPermanent},
	7:  {"invalid parameters", ClassPermanent},
	8:  {"not enough funds", ClassAccount},
	9:  {"rate scale is inactive", ClassAccount},
	10: {"invalid sending time", ClassPermanent},
	11: {"maximum number of messages processed simultaneously for sending has been exceeded", ClassTransient},
	12: {"maximum message package size is exceeded", ClassPermanent},
	20: {"SMS not found", ClassPermanent},
	21: {"invalid phone number", ClassPermanent},
	22: {"no external SMS request ID", ClassPermanent},
	23: {"SMS with such ID is already present", ClassPermanent},
	24: {"invalid payload of request", ClassPermanent},
	25: {"invalid originator", ClassPermanent},
	26: {"SMS text is empty or too long", ClassPermanent},
	27: {"Invalid external SMS ID", ClassPermanent},
	28: {"invalid value of SMS duration time", ClassPermanent},
	29: {"invalid task ID", ClassPermanent},
	30: {"task not found", ClassPermanent},
	31: {"the phone is already in the messaging list", ClassPermanent},
	32: {"sender is not allowed", ClassPermanent},
	33: {"direction is not allowed", ClassPermanent},
	34: {"wrong OTP, code generation error", ClassPermanent},
	35: {"2way is not active for the account", ClassPermanent},
	36: {"wrong 2way sender", ClassPermanent},
	40: {"Viber message not found", ClassPermanent},
	41: {"invalid phone number", ClassPermanent},
	43: {"Viber message with this ID already exists", ClassPermanent},
	44: {"invalid query payload", ClassPermanent},
	45: {"Sender not registered", ClassPermanent},
	46: {"empty or too long Viber message text", ClassPermanent},
	47: {"invalid Viber message external ID", ClassPermanent},
	48: {"invalid value of Viber message duration", ClassPermanent},
	49: {"invalid additional options of Viber messages", ClassPermanent},
	51: {"phone number is already included to campaign", ClassPermanent},
	60: {"Number Verifier request not found", ClassPermanent},
	61: {"invalid phone number", ClassPermanent},
	62: {"no external Number Verifier request ID", ClassPermanent},
	63: {"Number Verifier request with such ID already exists", ClassPermanent},
	64: {"invalid query payload", ClassPermanent},
	65: {"invalid Number Verifier request external ID", ClassPermanent},
	66: {"phone number already exists in the request", ClassPermanent},
	80: {"invalid message_id (non numerical value)", ClassPermanent},
	81: {"invalid message_type", ClassPermanent},
	82: {"invalid source_type", ClassPermanent},
	83: {"invalid status", ClassPermanent},
	84: {"invalid country_id", ClassPermanent},
	85: {"invalid clicks_comp", ClassPermanent},
	86: {"invalid time frame", ClassPermanent},
	87: {"invalid msisdn", ClassPermanent},
	88: {"reserved for future use", ClassPermanent},
	89: {"reserved for future use", ClassPermanent},
	90: {"File not found", ClassPermanent},
	91: {"File not ready", ClassTransient},
	92: {"Max files reached", ClassPermanent},
	93: {"File is empty", ClassPermanent},
}

// apiMessages is every API 2.0 error message Notificore and BSG's OpenAPI
// spec document, keyed by its lower-case form, with its default class. API
// 2.0 has no numeric codes.
var apiMessages = map[string]Class{
	duplicateRequest:                                ClassPermanent, // a Duplicate: see Rule
	"the given data was invalid.":                   ClassPermanent,
	"unauthorized":                                  ClassPermanent,
	"tariff was not found":                          ClassPermanent,
	"phone number is already exist in contact book": ClassPermanent,
	"invalid phone number format":                   ClassPermanent,
	"contact not found":                             ClassPermanent,
	"the phone number already exists in the user’s contact book": ClassPermanent,
	"the phone number already exists in the user's contact book": ClassPermanent,
	"number of available fields exceeded":                        ClassPermanent,
	"invalid contact field format":                               ClassPermanent,
	"invalid date field format":                                  ClassPermanent,
	"invalid numeric field format":                               ClassPermanent,
	"a field with such name already exists":                      ClassPermanent,
	"a contact group with such name already exists":              ClassPermanent,
	"invalid contact list":                                       ClassPermanent,
	"contact group not found":                                    ClassPermanent,
	"invalid contact group":                                      ClassPermanent,
	"blocked contact not found":                                  ClassPermanent,
	"campaign not found":                                         ClassPermanent,
	"action not available for this account type":                 ClassPermanent,
	"field not found":                                            ClassPermanent,
	"invalid operator for contact search":                        ClassPermanent,
	"invalid search value format":                                ClassPermanent,
	"unavailable for your account status":                        ClassAccount,
	"tariff not found":                                           ClassPermanent,
	"invalid list of the phone number":                           ClassPermanent,
	"all numbers are in the stop list":                           ClassPermanent,
	"contacts group is not found":                                ClassPermanent,
	"empty groups":                                               ClassPermanent,
	"invalid campaign status":                                    ClassPermanent,
	"invalid country specified":                                  ClassPermanent,
	"name registration is not allowed for the specified country": ClassPermanent,
	"operator not found":                                         ClassPermanent,
	"operator price not found":                                   ClassPermanent,
}

// ClassOf reports the default class of a Notificore API 1.0 error code:
// ClassSuccess for 0, ClassAccount for 2, 8 and 9, ClassTransient for 5, 11
// and 91, and ClassPermanent for every other code, documented or not.
func ClassOf(code int) Class {
	if info, ok := apiCodes[code]; ok {
		return info.class
	}
	return ClassPermanent
}

// ClassOfMessage reports the default class of a Notificore API 2.0 error
// message, compared without regard to case or surrounding space, and whether
// the message is one Notificore documents. Unknown messages report
// ClassPermanent and false.
func ClassOfMessage(msg string) (Class, bool) {
	c, ok := apiMessages[normMessage(msg)]
	if !ok {
		return ClassPermanent, false
	}
	return c, true
}

// CodeDescription returns Notificore's description of an API 1.0 error code,
// or "" for a code it does not document.
func CodeDescription(code int) string {
	return apiCodes[code].desc
}

// isDuplicateReference reports whether code is the "reference already
// exists" answer of SMS (23), Viber (43) or Number Verifier (63).
func isDuplicateReference(code int) bool {
	return code == 23 || code == 43 || code == 63
}

// isDuplicateMessage reports whether a documented API 2.0 message refuses a
// copy of something the server already holds.
func isDuplicateMessage(key string) bool { return key == duplicateRequest }

// throttled reports whether code is the API's throttling answer: the request
// was refused unprocessed because too many messages are in flight.
func throttled(code int) bool { return code == 11 }

func normMessage(msg string) string {
	return strings.ToLower(strings.TrimSpace(msg))
}
