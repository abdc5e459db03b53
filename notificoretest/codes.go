package notificoretest

// API 1.0 codes the server itself answers with.
const (
	codeOK             = 0
	codeInvalidKey     = 1
	codeBlocked        = 2
	codeNotEnoughParam = 3
	codeUnknown        = 5
	codeInvalidParams  = 7
	codeNoFunds        = 8
	codeInFlightCap    = 11
	codeTooManyNumbers = 12
	codeSMSNotFound    = 20
	codeSMSBadText     = 26
	codeViberNotFound  = 40
	codeHLRNotFound    = 60
)

// maxRecipients is the most numbers one create may carry (more → code 12).
const maxRecipients = 50

// descriptions holds the errorDescription the real API gives for each
// API 1.0 code, as published in its error list.
var descriptions = map[int]string{
	0:  "No errors",
	1:  "invalid key",
	2:  "the user is blocked",
	3:  "not enough parameters",
	4:  "the requested function is not supported",
	5:  "unknown error",
	6:  "non-existent rate scale number is indicated",
	7:  "invalid parameters",
	8:  "not enough funds",
	9:  "rate scale is inactive",
	10: "invalid sending time",
	11: "maximum number of messages processed simultaneously for sending has been exceeded",
	12: "maximum message package size is exceeded",
	20: "SMS not found",
	21: "invalid phone number",
	22: "no external SMS request ID",
	23: "SMS with such ID is already present",
	24: "invalid payload of request",
	25: "invalid originator",
	26: "SMS text is empty or too long",
	27: "Invalid external SMS ID",
	28: "invalid value of SMS duration time",
	29: "invalid task ID",
	30: "task not found",
	31: "the phone is already in the messaging list",
	32: "sender is not allowed",
	33: "direction is not allowed",
	34: "wrong OTP, code generation error",
	35: "2way is not active for the account",
	36: "wrong 2way sender",
	40: "Viber message not found",
	41: "invalid phone number",
	43: "Viber message with this ID already exists",
	44: "invalid query payload",
	45: "Sender not registered",
	46: "empty or too long Viber message text",
	47: "invalid Viber message external ID",
	48: "invalid value of Viber message duration",
	49: "invalid additional options of Viber messages",
	51: "phone number is already included to campaign",
	60: "Number Verifier request not found",
	61: "invalid phone number",
	62: "no external Number Verifier request ID",
	63: "Number Verifier request with such ID already exists",
	64: "invalid query payload",
	65: "invalid Number Verifier request external ID",
	66: "phone number already exists in the request",
	80: "invalid message_id (non numerical value)",
	81: "invalid message_type",
	82: "invalid source_type",
	83: "invalid status",
	84: "invalid country_id",
	85: "invalid clicks_comp",
	86: "invalid time frame",
	87: "invalid msisdn",
	90: "File not found",
	91: "File not ready",
	92: "Max files reached",
	93: "File is empty",
}

// describe returns the published description of code, or "" if it has none.
func describe(code int) string { return descriptions[code] }

// kindCodes holds the per-kind codes of one create endpoint.
type kindCodes struct {
	kind       string
	badPhone   int
	missingRef int // 0: a reference is optional
	dupRef     int
	badRef     int
	badPayload int
	badText    int // 0: the kind carries no text
	notFound   int
}

var (
	smsCodes   = kindCodes{kind: kindSMS, badPhone: 21, dupRef: 23, badRef: 27, badPayload: 24, badText: 26, notFound: codeSMSNotFound}
	viberCodes = kindCodes{kind: kindViber, badPhone: 41, dupRef: 43, badRef: 47, badPayload: 44, badText: 46, notFound: codeViberNotFound}
	hlrCodes   = kindCodes{kind: kindHLR, badPhone: 61, missingRef: 62, dupRef: 63, badRef: 65, badPayload: 64, notFound: codeHLRNotFound}
)

// codesFor returns the codes of kind, which must be one of the kind constants.
func codesFor(kind string) kindCodes {
	switch kind {
	case kindViber:
		return viberCodes
	case kindHLR:
		return hlrCodes
	}
	return smsCodes
}
