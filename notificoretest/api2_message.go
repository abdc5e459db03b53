package notificoretest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// channelText is the part of a /api/messages/send body for one channel.
type channelText struct {
	Text   string `json:"text"`
	Sender string `json:"sender"`
}

// messageSend is the body of POST /api/messages/send. Other fields
// (validity, start_at, callback_url, rcs cards, ...) are accepted and
// ignored.
type messageSend struct {
	Channels []string    `json:"channels"`
	Phone    phoneEntry  `json:"phone"`
	SMS      channelText `json:"sms"`
	Viber    channelText `json:"viber"`
	RCS      channelText `json:"rcs"`
	Voice    channelText `json:"voice"`
	Telegram channelText `json:"telegram"`
}

// part returns the body's part for channel ch.
func (m *messageSend) part(ch string) channelText {
	switch ch {
	case "sms":
		return m.SMS
	case "viber":
		return m.Viber
	case "rcs":
		return m.RCS
	case "voice":
		return m.Voice
	}
	return m.Telegram
}

// messageInfo is the "data" of a /api/messages/send answer.
type messageInfo struct {
	ID          int     `json:"id"`
	ReferenceID *string `json:"reference_id"`
	Source      string  `json:"source"`
	Type        string  `json:"type"`
	Phone       any     `json:"phone"`
	Status      string  `json:"status"`
	Validity    int     `json:"validity"`
	Amount      struct {
		Value    string `json:"value"`
		Currency string `json:"currency"`
	} `json:"amount"`
	Sender      string  `json:"sender"`
	CreatedAt   string  `json:"created_at"`
	SentAt      *string `json:"sent_at"`
	DeliveredAt *string `json:"delivered_at"`
}

// channels of /api/messages/send, as the spec lists them.
var channels = map[string]bool{"sms": true, "rcs": true, "viber": true, "voice": true, "telegram": true}

// messageSend answers POST /api/messages/send: one message to "phone" on
// its first channel, which becomes the message's Kind. A bad body is refused
// with 422: no channels or an unknown one a field error on "channels" or
// "channels.<i>", a bad number "Invalid phone number format", no text in
// the "sms" or "viber" part when that is the channel "The text field is
// required.", a malformed or reused reference_id a field error on
// "phone.reference_id".
func (s *Server) messageSend(q *request, key string) reply {
	var req messageSend
	if err := json.Unmarshal(q.body, &req); err != nil {
		return api2Error(http.StatusUnprocessableEntity, msgInvalidData)
	}
	if len(req.Channels) == 0 {
		return api2FieldError(http.StatusUnprocessableEntity, "channels", "The channels field is required.")
	}
	for i, ch := range req.Channels {
		if !channels[ch] {
			f := "channels." + strconv.Itoa(i)
			return api2FieldError(http.StatusUnprocessableEntity, f, "The selected "+f+" is invalid.")
		}
	}
	kind, number, ref := req.Channels[0], string(req.Phone.Number), string(req.Phone.ReferenceID)
	if !validPhone(number) {
		return api2Error(http.StatusUnprocessableEntity, msgBadPhone)
	}
	if (kind == kindSMS || kind == kindViber) && req.part(kind).Text == "" {
		return api2Error(http.StatusUnprocessableEntity, msgTextRequired)
	}
	field := func(int) string { return "phone.reference_id" }
	if rep, bad := refError(field(0), ref); bad {
		return rep
	}
	items := []item{{msisdn: number, ref: ref}}
	if rep, ok := s.submit2(q.r, kind, key, items, field); !ok {
		return rep
	}
	info := messageInfo{
		Source:    "rest",
		Type:      kind,
		Phone:     jsonPhone(number),
		Status:    "accepted",
		Validity:  72,
		Sender:    req.part(kind).Sender,
		CreatedAt: s.clock.Now().UTC().Format(answerTime),
	}
	info.ID, _ = strconv.Atoi(items[0].id)
	if ref != "" {
		info.ReferenceID = &ref
	}
	info.Amount.Value, info.Amount.Currency = strconv.FormatFloat(euros(1), 'f', 2, 64), "EUR"
	return jsonReply(http.StatusOK, struct {
		Data messageInfo `json:"data"`
	}{info})
}

// jsonPhone returns a phone number as a JSON number when it is only digits
// without a leading zero, the way the spec's answers show it, and as a
// string otherwise.
func jsonPhone(number string) any {
	if number == "" || number[0] == '0' {
		return number
	}
	for i := 0; i < len(number); i++ {
		if number[i] < '0' || number[i] > '9' {
			return number
		}
	}
	return json.Number(number)
}
