package notificoretest

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
)

// answerTime is the layout of times in API 2.0 answers.
const answerTime = "2006-01-02 15:04:05"

// phoneEntry is one element of "phones": {"number":..,"reference_id":..},
// or a bare number or string (the plain list older clients send).
type phoneEntry struct {
	Number      flexString `json:"number"`
	ReferenceID flexString `json:"reference_id"`
}

// UnmarshalJSON implements json.Unmarshaler.
func (p *phoneEntry) UnmarshalJSON(b []byte) error {
	if t := bytes.TrimSpace(b); len(t) > 0 && t[0] == '{' {
		type plain phoneEntry
		return json.Unmarshal(t, (*plain)(p))
	}
	return json.Unmarshal(b, &p.Number)
}

// campaignSend is the body of POST /api/campaigns/sms/send and
// /api/campaigns/viber/send. Other fields (tariff_code, validity, start_at,
// ...) are accepted and ignored.
type campaignSend struct {
	Phones []phoneEntry `json:"phones"`
	Text   string       `json:"text"`
	Sender string       `json:"sender"`
}

// individualSend is the body of POST /api/campaigns/sms/send-individual.
type individualSend struct {
	Messages []struct {
		Phone       flexString `json:"phone"`
		Text        string     `json:"text"`
		Sender      string     `json:"sender"`
		ReferenceID flexString `json:"reference_id"`
	} `json:"messages"`
}

// campaignInfo is the "data" of a campaign answer.
type campaignInfo struct {
	ID          int     `json:"id"`
	Name        string  `json:"name"`
	Sender      string  `json:"sender"`
	Status      string  `json:"status"`
	MessageType string  `json:"message_type"`
	StartAt     string  `json:"start_at"`
	RealStartAt *string `json:"real_start_at"`
	FinishedAt  *string `json:"finished_at"`
	CreatedAt   string  `json:"created_at"`
	Statistics  struct {
		Delivered int `json:"delivered"`
		Sent      int `json:"sent"`
	} `json:"statistics"`
	CalculatedPrice     float64   `json:"calculated_price"`
	Currency            string    `json:"currency"`
	AlternativeChannels *struct{} `json:"alternative_channels"`
}

// campaignAnswer is {"data":{...}}.
type campaignAnswer struct {
	Data campaignInfo `json:"data"`
}

// campaignSMS answers POST /api/campaigns/sms/send.
func (s *Server) campaignSMS(q *request, key string) reply {
	return s.campaign(q, key, kindSMS, "SMS")
}

// campaignViber answers POST /api/campaigns/viber/send.
func (s *Server) campaignViber(q *request, key string) reply {
	return s.campaign(q, key, kindViber, "Viber")
}

// campaign answers a send of one text to every "phones" entry, each one
// message of kind. A bad body is refused with 422 as a whole: no phones or
// malformed JSON "Invalid list of the phone number", no text "The text
// field is required.", a bad number "Invalid phone number format", a
// malformed or reused reference_id a field error.
func (s *Server) campaign(q *request, key, kind, title string) reply {
	var req campaignSend
	if err := json.Unmarshal(q.body, &req); err != nil || len(req.Phones) == 0 {
		return api2Error(http.StatusUnprocessableEntity, msgBadPhoneList)
	}
	if req.Text == "" {
		return api2Error(http.StatusUnprocessableEntity, msgTextRequired)
	}
	field := func(i int) string { return "phones." + strconv.Itoa(i) + ".reference_id" }
	items := make([]item, len(req.Phones))
	for i, p := range req.Phones {
		if !validPhone(string(p.Number)) {
			return api2Error(http.StatusUnprocessableEntity, msgBadPhone)
		}
		if rep, bad := refError(field(i), string(p.ReferenceID)); bad {
			return rep
		}
		items[i] = item{msisdn: string(p.Number), ref: string(p.ReferenceID)}
	}
	if rep, ok := s.submit2(q.r, kind, key, items, field); !ok {
		return rep
	}
	return s.campaignReply(kind, title, req.Sender, len(items))
}

// campaignIndividual answers POST /api/campaigns/sms/send-individual: each
// of "messages" is one SMS with its own text. Errors are as for
// campaign, with fields named "messages.<i>.reference_id".
func (s *Server) campaignIndividual(q *request, key string) reply {
	var req individualSend
	if err := json.Unmarshal(q.body, &req); err != nil || len(req.Messages) == 0 {
		return api2Error(http.StatusUnprocessableEntity, msgBadPhoneList)
	}
	field := func(i int) string { return "messages." + strconv.Itoa(i) + ".reference_id" }
	items := make([]item, len(req.Messages))
	for i, m := range req.Messages {
		switch {
		case m.Text == "":
			return api2Error(http.StatusUnprocessableEntity, msgTextRequired)
		case !validPhone(string(m.Phone)):
			return api2Error(http.StatusUnprocessableEntity, msgBadPhone)
		}
		if rep, bad := refError(field(i), string(m.ReferenceID)); bad {
			return rep
		}
		items[i] = item{msisdn: string(m.Phone), ref: string(m.ReferenceID)}
	}
	if rep, ok := s.submit2(q.r, kindSMS, key, items, field); !ok {
		return rep
	}
	return s.campaignReply(kindSMS, "SMS", req.Messages[0].Sender, len(items))
}

// campaignReply is the answer to an accepted campaign of n messages.
func (s *Server) campaignReply(kind, title, sender string, n int) reply {
	now := s.clock.Now().UTC().Format(answerTime)
	info := campaignInfo{
		ID:              s.nextTask(),
		Name:            title + " api campaign / " + now,
		Sender:          sender,
		Status:          "creation",
		MessageType:     kind,
		StartAt:         now,
		CreatedAt:       now,
		CalculatedPrice: euros(n),
		Currency:        "EUR",
	}
	return jsonReply(http.StatusOK, campaignAnswer{Data: info})
}
