package notificoretest

import "time"

// Message kinds, as reported in Message.Kind.
const (
	kindSMS   = "sms"
	kindViber = "viber"
	kindHLR   = "hlr"
)

// pricePerMessage is what one accepted message costs, in EUR cents.
const pricePerMessage = 2

// unlimitedAmount is the balance shown for an account without a limit.
const unlimitedAmount = "1000000.00"

// account is the state of one API key. All fields are guarded by Server.mu.
type account struct {
	key       string
	num       int // the account number in API 2.0 tokens; 0 until given
	unlimited bool
	balance   int // messages the account can still pay for, when !unlimited
	blocked   bool

	byID    map[string]map[string]*record // kind -> id -> record
	byRef   map[string]map[string]*record // kind -> reference -> record
	pending map[string]map[string]int     // kind -> reference -> creates in flight holding it

	refs2 map[string]bool // API 2.0 reference_ids of accepted messages
	held2 map[string]int  // API 2.0 reference_id -> creates in flight holding it
	dups  dupLog          // API 2.0 requests inside the duplicate window
}

func newAccount(key string) *account {
	return &account{
		key:       key,
		unlimited: true,
		byID:      make(map[string]map[string]*record),
		byRef:     make(map[string]map[string]*record),
		pending:   make(map[string]map[string]int),
		refs2:     make(map[string]bool),
		held2:     make(map[string]int),
	}
}

// refTaken reports whether ref is used by an accepted message of this kind
// or held by a create still in flight.
func (a *account) refTaken(kind, ref string) bool {
	return a.byRef[kind][ref] != nil || a.pending[kind][ref] > 0
}

// pendingOf returns the references of kind held by creates in flight
// (reference -> creates holding it), made on first use.
func (a *account) pendingOf(kind string) map[string]int {
	m := a.pending[kind]
	if m == nil {
		m = make(map[string]int)
		a.pending[kind] = m
	}
	return m
}

func (a *account) canPay(n int) bool { return a.unlimited || a.balance >= n }

func (a *account) charge(n int) {
	if !a.unlimited {
		a.balance -= n
	}
}

func (a *account) store(rec *record) {
	if a.byID[rec.Kind] == nil {
		a.byID[rec.Kind] = make(map[string]*record)
		a.byRef[rec.Kind] = make(map[string]*record)
	}
	a.byID[rec.Kind][rec.ID] = rec
	if rec.Reference != "" {
		a.byRef[rec.Kind][rec.Reference] = rec
	}
}

// record is an accepted message with what a lookup needs.
type record struct {
	Message
	timeIn time.Time
}

// account returns the account for key and 0, or nil and the API 1.0 code
// that refuses the call (1 invalid key, 2 blocked). The caller holds s.mu.
func (s *Server) accountLocked(key string) (*account, int) {
	if key == "" {
		return nil, codeInvalidKey
	}
	a, ok := s.accounts[key]
	if !ok {
		if !s.open {
			return nil, codeInvalidKey
		}
		a = newAccount(key)
		s.accounts[key] = a
		s.numberLocked(a)
	}
	if a.blocked {
		return a, codeBlocked
	}
	return a, 0
}

// ensureLocked returns the account for key, creating it if needed.
// The caller holds s.mu.
func (s *Server) ensureLocked(key string) *account {
	a, ok := s.accounts[key]
	if !ok {
		a = newAccount(key)
		s.accounts[key] = a
		s.numberLocked(a)
	}
	return a
}

// numberLocked gives a its account number if it has none yet: 1 for the
// first account, 2 for the next, in the order keys were registered or first
// seen. The caller holds s.mu.
func (s *Server) numberLocked(a *account) {
	if a != nil && a.num == 0 {
		s.lastAccount++
		a.num = s.lastAccount
	}
}

// SetBalance sets the number of messages the account of key can still pay
// for, replacing an unlimited balance by a limited one. A negative count is
// taken as zero. An unknown key is registered as a valid one; this never
// makes a server that accepts any key start checking keys. SetBalance is safe
// to call while requests are being served.
func (s *Server) SetBalance(key string, messages int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.ensureLocked(key)
	a.unlimited = false
	a.balance = max(messages, 0)
}

// SetBlocked blocks or unblocks the account of key. While blocked, every
// API 1.0 call made with the key answers code 2 and API 2.0 sends and the
// API 2.0 balance answer HTTP 402. An unknown key is registered as a valid one with an unlimited
// balance. SetBlocked is safe to call while requests are being served.
func (s *Server) SetBlocked(key string, blocked bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ensureLocked(key).blocked = blocked
}
