package notificoretest

// Requests returns the number of requests received so far, on every path,
// including those answered by a fault.
func (s *Server) Requests() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests
}

// Accepted returns the number of messages accepted so far: SMS, Viber
// recipients, HLR requests and OTPs, over every account and both APIs.
func (s *Server) Accepted() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.records)
}

// InFlight returns the number of messages being processed right now (see
// WithProcessingTime).
func (s *Server) InFlight() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.inFlight
}

// Log returns a copy of every request received so far, in arrival order.
func (s *Server) Log() []Received {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Received, len(s.log))
	for i, r := range s.log {
		r.Body = append([]byte(nil), r.Body...)
		r.Header = r.Header.Clone()
		if len(r.Body) == 0 {
			r.Body = nil
		}
		out[i] = r
	}
	return out
}

// Messages returns a copy of every message accepted so far, in the order
// they were accepted.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Message, len(s.records))
	for i, r := range s.records {
		out[i] = r.Message
	}
	return out
}

// Pending returns copies of the scripted faults not consumed yet, head of
// the queue first. A fault that stays at the head, because no request
// matches its Path, Method and APIKey, holds back every fault queued after
// it; Pending is the way to see that in a failing test.
func (s *Server) Pending() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Fault, len(s.faults))
	for i, f := range s.faults {
		out[i] = f.clone()
	}
	return out
}
