package notificoretest

import (
	"encoding/json"
	"net/http"
)

// viberCreate is the body of PUT|POST /rest/viber/create. Other fields
// (tariff, validity, alpha_name, options, ...) are accepted and ignored.
type viberCreate struct {
	Messages []struct {
		To   []recipient `json:"to"`
		Text string      `json:"text"`
	} `json:"messages"`
}

// viberAnswer is the answer to a Viber create.
type viberAnswer struct {
	Result     []itemResult `json:"result"`
	Currency   string       `json:"currency"`
	TotalPrice float64      `json:"total_price"`
}

// hlrItem is one element of the JSON array of PUT|POST /rest/hlr/create.
// Other fields (tariff, callback_url) are accepted and ignored.
type hlrItem = recipient

// hlrAnswer is the answer to an HLR (Number Verifier) create.
type hlrAnswer struct {
	Result []itemResult `json:"result"`
}

// createViber answers PUT|POST /rest/viber/create. Each recipient of each
// message is one item; a message with an empty text refuses all its
// recipients with code 46.
func (s *Server) createViber(q *request) reply {
	key := q.r.Header.Get("X-API-KEY")
	if c := s.auth(key); c != 0 {
		return q.topError(c)
	}
	var req viberCreate
	if err := json.Unmarshal(q.body, &req); err != nil {
		return q.topError(viberCodes.badPayload)
	}
	var items []item
	for _, m := range req.Messages {
		for _, to := range m.To {
			it := newItem(viberCodes, string(to.MSISDN), string(to.Reference))
			if m.Text == "" {
				it.code = viberCodes.badText
			}
			items = append(items, it)
		}
	}
	switch {
	case len(items) == 0:
		return q.topError(codeNotEnoughParam)
	case len(items) > maxRecipients:
		return q.topError(codeTooManyNumbers)
	}
	if c := s.submit(q.r, viberCodes, key, items, q.overrides()); c != 0 {
		return q.topError(c)
	}
	res, n := q.results(items)
	return jsonReply(http.StatusOK, viberAnswer{Result: res, Currency: "EUR", TotalPrice: euros(n)})
}

// createHLR answers PUT|POST /rest/hlr/create, whose body is a JSON array.
// A reference is required for every item (code 62 otherwise).
func (s *Server) createHLR(q *request) reply {
	key := q.r.Header.Get("X-API-KEY")
	if c := s.auth(key); c != 0 {
		return q.topError(c)
	}
	var req []hlrItem
	if err := json.Unmarshal(q.body, &req); err != nil {
		return q.topError(hlrCodes.badPayload)
	}
	switch {
	case len(req) == 0:
		return q.topError(codeNotEnoughParam)
	case len(req) > maxRecipients:
		return q.topError(codeTooManyNumbers)
	}
	items := make([]item, len(req))
	for i, h := range req {
		items[i] = newItem(hlrCodes, string(h.MSISDN), string(h.Reference))
	}
	if c := s.submit(q.r, hlrCodes, key, items, q.overrides()); c != 0 {
		return q.topError(c)
	}
	res, _ := q.results(items)
	return jsonReply(http.StatusOK, hlrAnswer{Result: res})
}
