package redisfleet

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/redis/rueidis"
)

// trackingSession is the rueidis alternative the measurements compare with
// Pub/Sub: no PUBLISH; every instance has Redis track the account keys in
// broadcast mode (CLIENT TRACKING ON BCAST PREFIX <prefix>acct:) and reads a
// key again when its invalidation arrives.
type trackingSession struct {
	*rueidisSession
	gets *atomic.Int64 // reads after invalidations, for the count of commands
	keys chan string
}

func dialTracking(gets *atomic.Int64) dialer {
	return func(ctx context.Context, cfg Config, k keys) (session, error) {
		s, err := dialRueidis(ctx, cfg, k)
		if err != nil {
			return nil, err
		}
		rs := s.(*rueidisSession)
		rs.channel = ""
		return &trackingSession{rueidisSession: rs, gets: gets, keys: make(chan string, 1024)}, nil
	}
}

func (s *trackingSession) receive(ctx context.Context, msg func([]byte)) error {
	dc, release := s.c.Dedicate()
	errs := dc.SetOnInvalidations(func(ms []rueidis.RedisMessage) {
		for _, m := range ms {
			if k, err := m.ToString(); err == nil {
				select {
				case s.keys <- k:
				default:
				}
			}
		}
	})
	s.dedicated(dc, release, errs)
	if err := dc.Do(ctx, dc.B().Arbitrary("CLIENT", "TRACKING", "ON", "BCAST", "PREFIX", s.k.prefix+"acct:").Build()).Error(); err != nil {
		s.fail()
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			select {
			case <-s.done:
				return
			case k := <-s.keys:
				s.gets.Add(1)
				ctx, cancel := context.WithTimeout(context.Background(), time.Second)
				v, err := s.c.Do(ctx, s.c.B().Get().Key(k).Build()).AsBytes()
				cancel()
				if err == nil {
					msg(v)
				}
			}
		}
	}()
	return nil
}

var _ session = (*trackingSession)(nil)
