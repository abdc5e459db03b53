package notificoretest

import (
	"encoding/json"
	"net/http"
	"time"
)

// otpSend is the body of POST /api/2fa/authentications/otp.
type otpSend struct {
	Recipient    flexString `json:"recipient"`
	Channel      string     `json:"channel"`
	Sender       string     `json:"sender"`
	SenderAlt    *string    `json:"sender_alt"`
	CodeLifetime int        `json:"code_lifetime"`
	CodeMaxTries int        `json:"code_max_tries"`
	CodeDigits   int        `json:"code_digits"`
}

// otpAnswer is the answer to an accepted OTP: the authentication session,
// not wrapped in "data", as the spec's example shows it.
type otpAnswer struct {
	ID           string  `json:"id"`
	Recipient    string  `json:"recipient"`
	Status       string  `json:"status"`
	Channel      string  `json:"channel"`
	Sender       string  `json:"sender"`
	SenderAlt    *string `json:"sender_alt"`
	MessageText  string  `json:"message_text"`
	CodeLifetime int     `json:"code_lifetime"`
	CodeMaxTries int     `json:"code_max_tries"`
	CodeDigits   int     `json:"code_digits"`
	Price        float64 `json:"price"`
	Currency     string  `json:"currency"`
	ExpiredAt    string  `json:"expired_at"`
	CreatedAt    string  `json:"created_at"`
	FinishedAt   *string `json:"finished_at"`
}

// otpSend answers POST /api/2fa/authentications/otp: one one-time password
// to "recipient", recorded as a message of kind "otp" with no reference (an
// OTP has no client ID). It answers HTTP 201 with the session. A bad body
// is refused with 422: malformed JSON "The given data was invalid.", a bad
// number "Invalid phone number format", a channel other than sms or viber a
// field error on "channel".
func (s *Server) otpSend(q *request, key string) reply {
	var req otpSend
	if err := json.Unmarshal(q.body, &req); err != nil {
		return api2Error(http.StatusUnprocessableEntity, msgInvalidData)
	}
	if !validPhone(string(req.Recipient)) {
		return api2Error(http.StatusUnprocessableEntity, msgBadPhone)
	}
	if req.Channel != kindSMS && req.Channel != kindViber {
		return api2FieldError(http.StatusUnprocessableEntity, "channel", "The value you selected is not a valid choice.")
	}
	items := []item{{msisdn: string(req.Recipient)}}
	if rep, ok := s.submit2(q.r, kindOTP, key, items, nil); !ok {
		return rep
	}
	ans := otpAnswer{
		ID:           items[0].id,
		Recipient:    string(req.Recipient),
		Status:       "pending",
		Channel:      req.Channel,
		Sender:       req.Sender,
		SenderAlt:    req.SenderAlt,
		MessageText:  "Your code is {code2fa}",
		CodeLifetime: or(req.CodeLifetime, 300),
		CodeMaxTries: or(req.CodeMaxTries, 3),
		CodeDigits:   or(req.CodeDigits, 5),
		Price:        euros(1),
		Currency:     "EUR",
	}
	now := s.clock.Now().UTC()
	ans.CreatedAt = now.Format(answerTime)
	ans.ExpiredAt = now.Add(time.Duration(ans.CodeLifetime) * time.Second).Format(answerTime)
	return jsonReply(http.StatusCreated, ans)
}

// or returns n, or def when n is zero.
func or(n, def int) int {
	if n == 0 {
		return def
	}
	return n
}
