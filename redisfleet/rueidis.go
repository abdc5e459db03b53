package redisfleet

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/rueidis"
)

// rueidisSession is a session over rueidis: one auto-pipelined connection
// for commands and one dedicated connection subscribed to the facts
// channel. rueidis's own retries are off: a failure breaks the session and
// the Fleet reconnects, resyncs and rewrites on its own terms.
type rueidisSession struct {
	c       rueidis.Client
	k       keys
	channel string // where write publishes; "" publishes nothing

	mu       sync.Mutex
	dc       rueidis.DedicatedClient
	release  func()
	done     chan struct{}
	doneOnce sync.Once
	wg       sync.WaitGroup
}

var _ session = (*rueidisSession)(nil)

func rueidisOption(cfg Config) rueidis.ClientOption {
	return rueidis.ClientOption{
		InitAddress:       []string{cfg.Addr},
		Username:          cfg.Username,
		Password:          cfg.Password,
		SelectDB:          cfg.DB,
		TLSConfig:         cfg.TLS,
		Dialer:            netDialer(cfg),
		ConnWriteTimeout:  cfg.ioTimeout(),
		DisableCache:      true,
		DisableRetry:      true,
		ForceSingleClient: true,
		PipelineMultiplex: -1,
		BlockingPoolSize:  1,
		ClientName:        "redisfleet",
	}
}

func dialRueidis(ctx context.Context, cfg Config, k keys) (session, error) {
	opt := rueidisOption(cfg)
	c, err := newRueidisClient(ctx, opt)
	if err != nil {
		return nil, err
	}
	s := &rueidisSession{c: c, k: k, channel: k.channel(), done: make(chan struct{})}
	// The handshake happened in NewClient, bounded by the dial timeout;
	// PING under ctx all the same.
	if err := c.Do(ctx, c.B().Ping().Build()).Error(); err != nil {
		c.Close()
		return nil, err
	}
	return s, nil
}

// newRueidisClient runs rueidis.NewClient, which dials and handshakes, so
// that ctx can abandon it.
func newRueidisClient(ctx context.Context, opt rueidis.ClientOption) (rueidis.Client, error) {
	type result struct {
		c   rueidis.Client
		err error
	}
	ch := make(chan result, 1)
	go func() {
		c, err := rueidis.NewClient(opt)
		if err != nil && c != nil {
			c.Close()
			c = nil
		}
		ch <- result{c, err}
	}()
	select {
	case r := <-ch:
		return r.c, r.err
	case <-ctx.Done():
		r := <-ch // bounded by the dial timeout
		if r.c != nil {
			r.c.Close()
		}
		return nil, ctx.Err()
	}
}

func (s *rueidisSession) fail() { s.doneOnce.Do(func() { close(s.done) }) }

func (s *rueidisSession) broken() <-chan struct{} { return s.done }

func (s *rueidisSession) write(ctx context.Context, ops []writeOp) []error {
	errs := make([]error, len(ops))
	cmds := make(rueidis.Commands, len(ops))
	for i, op := range ops {
		cmds[i] = s.c.B().Evalsha().Sha1(writeScriptSHA).Numkeys(2).Key(op.key, op.leaseKey).Arg(s.args(op)...).Build()
	}
	var again []int
	for i, r := range s.c.DoMulti(ctx, cmds...) {
		if re, ok := rueidis.IsRedisErr(r.Error()); ok && re.IsNoScript() {
			again = append(again, i)
			continue
		}
		errs[i] = r.Error()
	}
	if len(again) == 0 {
		return rejected(errs)
	}
	// A server that restarted does not know the script yet.
	cmds = cmds[:0]
	for _, i := range again {
		cmds = append(cmds, s.c.B().Eval().Script(writeScript).Numkeys(2).Key(ops[i].key, ops[i].leaseKey).Arg(s.args(ops[i])...).Build())
	}
	for j, r := range s.c.DoMulti(ctx, cmds...) {
		errs[again[j]] = r.Error()
	}
	return rejected(errs)
}

// rejected marks the errors that Redis answered with.
func rejected(errs []error) []error {
	for i, err := range errs {
		if _, ok := rueidis.IsRedisErr(err); ok && err != nil {
			errs[i] = &rejectedError{err}
		}
	}
	return errs
}

func (s *rueidisSession) args(op writeOp) []string {
	return []string{string(op.payload), strconv.FormatInt(op.ttl.Milliseconds(), 10), strconv.FormatInt(op.at, 10), s.channel,
		op.release, strconv.FormatInt(op.leaseTTL.Milliseconds(), 10)}
}

func (s *rueidisSession) lease(ctx context.Context, key, token, instance string, ttl time.Duration) (bool, error) {
	args := []string{token, strconv.FormatInt(ttl.Milliseconds(), 10), instance}
	r := s.c.Do(ctx, s.c.B().Evalsha().Sha1(leaseScriptSHA).Numkeys(1).Key(key).Arg(args...).Build())
	if re, ok := rueidis.IsRedisErr(r.Error()); ok && re.IsNoScript() {
		r = s.c.Do(ctx, s.c.B().Eval().Script(leaseScript).Numkeys(1).Key(key).Arg(args...).Build())
	}
	n, err := r.AsInt64()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

func (s *rueidisSession) load(ctx context.Context, match string) ([][]byte, error) {
	var out [][]byte
	var cursor uint64
	for {
		e, err := s.c.Do(ctx, s.c.B().Scan().Cursor(cursor).Match(match).Count(256).Build()).AsScanEntry()
		if err != nil {
			return nil, err
		}
		if len(e.Elements) > 0 {
			vals, err := s.c.Do(ctx, s.c.B().Mget().Key(e.Elements...).Build()).ToArray()
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				if b, err := v.AsBytes(); err == nil {
					out = append(out, b)
				}
			}
		}
		if cursor = e.Cursor; cursor == 0 {
			return out, nil
		}
	}
}

func (s *rueidisSession) runID(ctx context.Context) (string, error) {
	info, err := s.c.Do(ctx, s.c.B().Info().Section("server").Build()).ToString()
	if err != nil {
		return "", err
	}
	return infoField(info, "run_id"), nil
}

func (s *rueidisSession) receive(ctx context.Context, msg func([]byte)) error {
	dc, release := s.c.Dedicate()
	subscribed := make(chan struct{})
	var once sync.Once
	errs := dc.SetPubSubHooks(rueidis.PubSubHooks{
		OnMessage: func(m rueidis.PubSubMessage) { msg([]byte(m.Message)) },
		OnSubscription: func(sub rueidis.PubSubSubscription) {
			if sub.Kind == "subscribe" {
				once.Do(func() { close(subscribed) })
			}
		},
	})
	s.dedicated(dc, release, errs)
	if err := dc.Do(ctx, dc.B().Subscribe().Channel(s.k.channel()).Build()).Error(); err != nil {
		s.fail()
		return err
	}
	select {
	case <-subscribed:
		return nil
	case <-s.done:
		return errSessionBroken
	case <-ctx.Done():
		s.fail()
		return ctx.Err()
	}
}

// dedicated keeps dc, and the release of its connection, for close, and
// fails the session when errs says that the connection is gone.
func (s *rueidisSession) dedicated(dc rueidis.DedicatedClient, release func(), errs <-chan error) {
	s.mu.Lock()
	s.dc, s.release = dc, release
	s.mu.Unlock()
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		select {
		case <-errs:
		case <-s.done:
		}
		s.fail()
	}()
}

func (s *rueidisSession) close() {
	s.fail()
	s.mu.Lock()
	dc, release := s.dc, s.release
	s.dc, s.release = nil, nil
	s.mu.Unlock()
	if dc != nil {
		dc.Close()
		release()
	}
	s.c.Close()
	s.wg.Wait()
}

// infoField returns the value of field in the text of an INFO reply.
func infoField(info, field string) string {
	for line := range strings.SplitSeq(info, "\n") {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), field+":"); ok {
			return v
		}
	}
	return ""
}
