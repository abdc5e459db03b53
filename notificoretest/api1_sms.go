package notificoretest

import (
	"encoding/json"
	"net/http"
	"strconv"
)

// smsCreate is the body of PUT|POST /rest/sms/create. Other fields
// (originator, validity, tariff, ...) are accepted and ignored.
type smsCreate struct {
	Destination string      `json:"destination"`
	Body        string      `json:"body"`
	MSISDN      flexString  `json:"msisdn"`
	Reference   flexString  `json:"reference"`
	Phones      []recipient `json:"phones"`
}

// smsSingleAnswer is the answer to a single SMS create:
// {"result":{"error":0,...,"id":"..","price":..,"currency":"EUR"}}.
type smsSingleAnswer struct {
	Result itemResult `json:"result"`
}

// smsBulkAnswer is the answer to a create with destination "phones".
type smsBulkAnswer struct {
	TaskID     string       `json:"task_id"`
	Result     []itemResult `json:"result"`
	TotalPrice float64      `json:"total_price"`
	Currency   string       `json:"currency"`
}

// createSMS answers PUT|POST /rest/sms/create.
func (s *Server) createSMS(q *request) reply {
	key := q.r.Header.Get("X-API-KEY")
	if c := s.auth(key); c != 0 {
		return q.topError(c)
	}
	var req smsCreate
	if err := json.Unmarshal(q.body, &req); err != nil {
		return q.topError(smsCodes.badPayload)
	}
	switch req.Destination {
	case "phones":
		return s.createSMSBulk(q, key, req)
	case "phone", "":
		// single
	default:
		return q.topError(codeInvalidParams)
	}
	if req.Body == "" {
		return q.topError(codeSMSBadText)
	}
	items := []item{newItem(smsCodes, string(req.MSISDN), string(req.Reference))}
	if c := s.submit(q.r, smsCodes, key, items, q.overrides()); c != 0 {
		return q.topError(c)
	}
	if items[0].code != 0 {
		return q.topError(items[0].code)
	}
	res, _ := q.results(items)
	return jsonReply(http.StatusOK, smsSingleAnswer{Result: res[0]})
}

// createSMSBulk answers a create with destination "phones".
func (s *Server) createSMSBulk(q *request, key string, req smsCreate) reply {
	switch {
	case req.Body == "":
		return q.topError(codeSMSBadText)
	case len(req.Phones) == 0:
		return q.topError(codeNotEnoughParam)
	case len(req.Phones) > maxRecipients:
		return q.topError(codeTooManyNumbers)
	}
	items := make([]item, len(req.Phones))
	for i, p := range req.Phones {
		items[i] = newItem(smsCodes, string(p.MSISDN), string(p.Reference))
	}
	if c := s.submit(q.r, smsCodes, key, items, q.overrides()); c != 0 {
		return q.topError(c)
	}
	res, n := q.results(items)
	return jsonReply(http.StatusOK, smsBulkAnswer{
		TaskID:     strconv.Itoa(s.nextTask()),
		Result:     res,
		TotalPrice: euros(n),
		Currency:   "EUR",
	})
}
