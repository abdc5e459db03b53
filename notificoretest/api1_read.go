package notificoretest

import (
	"fmt"
	"net/http"
)

// balanceAnswer is the answer to GET /rest/common/balance. It has no error
// field, like the real one.
type balanceAnswer struct {
	Amount   string `json:"amount"`
	Currency string `json:"currency"`
	Limit    string `json:"limit"`
}

// lookupAnswer is the answer to a message lookup. It has no error field.
type lookupAnswer struct {
	ID        string  `json:"id"`
	MSISDN    string  `json:"msisdn"`
	Reference string  `json:"reference"`
	TimeIn    string  `json:"time_in"`
	Status    string  `json:"status"`
	Price     float64 `json:"price"`
	Currency  string  `json:"currency"`
}

// balance answers GET /rest/common/balance. A limited account shows what
// its remaining messages are worth; an unlimited one a large fixed amount.
func (s *Server) balance(q *request) reply {
	s.mu.Lock()
	a, c := s.accountLocked(q.r.Header.Get("X-API-KEY"))
	amount := unlimitedAmount
	if c == 0 && !a.unlimited {
		cents := a.balance * pricePerMessage
		amount = fmt.Sprintf("%d.%02d", cents/100, cents%100)
	}
	s.mu.Unlock()
	if c != 0 {
		return q.topError(c)
	}
	return jsonReply(http.StatusOK, balanceAnswer{Amount: amount, Currency: "EUR", Limit: "0"})
}

// lookup answers GET /rest/{kind}/{id} and, when byRef is set,
// GET /rest/{kind}/reference/{ref}. Only the caller's own messages are
// found; a miss answers the kind's not-found code as a JSON string, the way
// the real API does.
func (s *Server) lookup(q *request, kind, val string, byRef bool) reply {
	s.mu.Lock()
	a, c := s.accountLocked(q.r.Header.Get("X-API-KEY"))
	var rec *record
	if c == 0 {
		if byRef {
			rec = a.byRef[kind][val]
		} else {
			rec = a.byID[kind][val]
		}
	}
	var ans lookupAnswer
	if rec != nil {
		ans = lookupAnswer{
			ID:        rec.ID,
			MSISDN:    rec.MSISDN,
			Reference: rec.Reference,
			TimeIn:    rec.timeIn.UTC().Format("2006-01-02 15:04:05"),
			Status:    "delivered",
			Price:     euros(1),
			Currency:  "EUR",
		}
	}
	s.mu.Unlock()
	switch {
	case c != 0:
		return q.topError(c)
	case rec == nil:
		nf := codesFor(kind).notFound
		return jsonReply(http.StatusOK, topError{Error: code{n: nf, str: true}, Description: describe(nf)})
	}
	return jsonReply(http.StatusOK, ans)
}
