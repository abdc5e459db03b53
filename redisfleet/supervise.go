package redisfleet

import (
	"context"
	"time"

	"github.com/cenkalti/backoff/v4"
)

// sweepEvery is how often a connected Fleet writes the facts that found the
// queue full and forgets what is over.
const sweepEvery = time.Second

// supervise owns the connection: it dials, subscribes, loads, re-seeds and,
// after a failure, waits for the back-off and does it all again.
func (f *Fleet) supervise() {
	defer f.wg.Done()
	var bo backoff.BackOff
	runID := ""
	for f.ctx.Err() == nil {
		s, id, reseeded, err := f.connect(runID)
		if err != nil {
			if f.ctx.Err() != nil {
				return
			}
			f.tel.lost(err)
			if bo == nil {
				bo = f.o.backOff()
			}
			d := bo.NextBackOff()
			if d == backoff.Stop {
				d = time.Second
			}
			t := time.NewTimer(d)
			select {
			case <-f.ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			continue
		}
		bo = nil
		runID = id
		f.tel.regained(reseeded)
		err = f.serve(s, runID)
		f.setCurrent(nil)
		s.close()
		if f.ctx.Err() == nil {
			f.tel.lost(err)
		}
	}
}

// connect opens a session and brings this instance and Redis up to date:
// it subscribes first, so that nothing published meanwhile is missed, then
// loads the facts in force, re-seeds a server that restarted (its run id
// changed) with the opens this instance remembers, and writes what waited.
func (f *Fleet) connect(prevRunID string) (_ session, runID string, reseeded int, err error) {
	dctx, cancel := context.WithTimeout(f.ctx, f.cfg.dialTimeout()+f.cfg.ioTimeout())
	s, err := f.o.dial(dctx, f.cfg, f.k)
	cancel()
	if err != nil {
		return nil, "", 0, err
	}
	ictx, cancel := context.WithTimeout(f.ctx, f.cfg.ioTimeout())
	defer cancel()
	defer func() {
		if err != nil {
			f.setCurrent(nil)
			s.close()
		}
	}()
	if err = s.receive(ictx, f.onMessage); err != nil {
		return nil, "", 0, err
	}
	if runID, err = s.runID(ictx); err != nil {
		return nil, "", 0, err
	}
	// Leases and writes may use the session from now on; Loaded closes
	// after the load.
	f.setCurrent(s)
	restarted := prevRunID != "" && runID != prevRunID
	if err = f.load(s, prevRunID != "" && !restarted); err != nil {
		return nil, "", 0, err
	}
	if restarted {
		f.mem.markAllPending(time.Now())
	}
	reseeded = len(f.mem.pendingAccounts())
	if err = f.writeAllPending(s); err != nil {
		return nil, "", 0, err
	}
	return s, runID, reseeded, nil
}

// load reads every fact in force and hands them to the dispatcher. same
// says that the server is the one of the previous session, so that an open
// it no longer holds was closed.
func (f *Fleet) load(s session, same bool) error {
	ctx, cancel := context.WithTimeout(f.ctx, f.cfg.ioTimeout())
	defer cancel()
	bt := batch{since: time.Now(), same: same, present: map[string]bool{}}
	vals, err := s.load(ctx, f.k.accountMatch())
	if err != nil {
		return err
	}
	for _, v := range vals {
		fact, err := decode(v)
		if err != nil {
			continue
		}
		bt.present[fact.Account] = true
		bt.facts = append(bt.facts, fact)
	}
	select {
	case f.batches <- bt:
		return nil
	case <-f.ctx.Done():
		return f.ctx.Err()
	}
}

// serve watches a session until it breaks, sweeping and resyncing
// meanwhile.
func (f *Fleet) serve(s session, runID string) error {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-f.ctx.Done():
			return f.ctx.Err()
		case <-s.broken():
			return errSessionBroken
		case bad := <-f.trouble:
			if bad == s {
				return errWriteFailed
			}
		case <-f.resync:
			if err := f.load(s, true); err != nil {
				return err
			}
		case <-tick.C:
			now := time.Now()
			f.mem.prune(now)
			f.pruneLeases(now)
			if err := f.writeAllPending(s); err != nil {
				return err
			}
		}
	}
}

// writeAllPending writes every fact still pending, a batch per round trip:
// after a reconnect, and each sweep for the facts that found the queue full.
func (f *Fleet) writeAllPending(s session) error {
	pending := f.mem.pendingAccounts()
	for len(pending) > 0 {
		n := min(len(pending), maxBatch)
		if err := f.writePending(s, pending[:n]); err != nil {
			return err
		}
		pending = pending[n:]
	}
	return nil
}
