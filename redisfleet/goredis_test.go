package redisfleet

import (
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// goredisSession is the session over go-redis that the measurements compare
// with rueidis: the same commands and script, Pub/Sub on a connection of its
// own, and a PING when the subscription has been silent for the I/O
// timeout (go-redis pings only from PubSub.Channel, which reconnects
// silently and would hide the outage the Fleet must resync after).
type goredisSession struct {
	c       *redis.Client
	k       keys
	script  *redis.Script
	leaseSc *redis.Script
	timeout time.Duration

	mu       sync.Mutex
	ps       *redis.PubSub
	done     chan struct{}
	doneOnce sync.Once
	wg       sync.WaitGroup
}

func dialGoRedis(ctx context.Context, cfg Config, k keys) (session, error) {
	c := redis.NewClient(&redis.Options{
		Addr: cfg.Addr, Username: cfg.Username, Password: cfg.Password, DB: cfg.DB, TLSConfig: cfg.TLS,
		DialTimeout: cfg.dialTimeout(), ReadTimeout: cfg.ioTimeout(), WriteTimeout: cfg.ioTimeout(),
		MaxRetries: -1, PoolSize: 2, ContextTimeoutEnabled: true, DisableIdentity: true,
	})
	if err := c.Ping(ctx).Err(); err != nil {
		_ = c.Close()
		return nil, err
	}
	return &goredisSession{c: c, k: k, script: redis.NewScript(writeScript), leaseSc: redis.NewScript(leaseScript), timeout: cfg.ioTimeout(), done: make(chan struct{})}, nil
}

func (s *goredisSession) fail()                   { s.doneOnce.Do(func() { close(s.done) }) }
func (s *goredisSession) broken() <-chan struct{} { return s.done }

func (s *goredisSession) write(ctx context.Context, ops []writeOp) []error {
	errs := make([]error, len(ops))
	args := func(op writeOp) []any {
		return []any{op.payload, op.ttl.Milliseconds(), op.at, s.k.channel(), op.release, op.leaseTTL.Milliseconds()}
	}
	cmds := make([]*redis.Cmd, len(ops))
	_, _ = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, op := range ops {
			cmds[i] = s.script.EvalSha(ctx, p, []string{op.key, op.leaseKey}, args(op)...)
		}
		return nil
	})
	var again []int
	for i, c := range cmds {
		if err := c.Err(); err != nil && strings.HasPrefix(err.Error(), "NOSCRIPT") {
			again = append(again, i)
			continue
		}
		errs[i] = cmds[i].Err()
	}
	if len(again) > 0 {
		_, _ = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for _, i := range again {
				cmds[i] = s.script.Eval(ctx, p, []string{ops[i].key, ops[i].leaseKey}, args(ops[i])...)
			}
			return nil
		})
		for _, i := range again {
			errs[i] = cmds[i].Err()
		}
	}
	for i, err := range errs {
		var re redis.Error
		if errors.As(err, &re) && !errors.Is(err, redis.Nil) {
			errs[i] = &rejectedError{err}
		}
	}
	return errs
}

func (s *goredisSession) lease(ctx context.Context, key, token, instance string, ttl time.Duration) (bool, error) {
	n, err := s.leaseSc.Run(ctx, s.c, []string{key}, token, ttl.Milliseconds(), instance).Int64()
	if err != nil {
		return false, err
	}
	return n == 1, nil
}

func (s *goredisSession) load(ctx context.Context, match string) ([][]byte, error) {
	var out [][]byte
	var cursor uint64
	for {
		keys, next, err := s.c.Scan(ctx, cursor, match, 256).Result()
		if err != nil {
			return nil, err
		}
		if len(keys) > 0 {
			vals, err := s.c.MGet(ctx, keys...).Result()
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				if str, ok := v.(string); ok {
					out = append(out, []byte(str))
				}
			}
		}
		if cursor = next; cursor == 0 {
			return out, nil
		}
	}
}

func (s *goredisSession) runID(ctx context.Context) (string, error) {
	info, err := s.c.Info(ctx, "server").Result()
	if err != nil {
		return "", err
	}
	return infoField(info, "run_id"), nil
}

func (s *goredisSession) receive(ctx context.Context, msg func([]byte)) error {
	ps := s.c.Subscribe(ctx, s.k.channel())
	s.mu.Lock()
	s.ps = ps
	s.mu.Unlock()
	if _, err := ps.Receive(ctx); err != nil {
		s.fail()
		return err
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		defer s.fail()
		pinged := false
		for {
			m, err := ps.ReceiveTimeout(context.Background(), s.timeout)
			var ne net.Error
			switch {
			case err == nil:
				pinged = false
				if m, ok := m.(*redis.Message); ok {
					msg([]byte(m.Payload))
				}
			case errors.As(err, &ne) && ne.Timeout() && !pinged:
				pinged = true
				if ps.Ping(context.Background()) != nil {
					return
				}
			default:
				return
			}
			select {
			case <-s.done:
				return
			default:
			}
		}
	}()
	return nil
}

func (s *goredisSession) close() {
	s.fail()
	s.mu.Lock()
	ps := s.ps
	s.mu.Unlock()
	if ps != nil {
		_ = ps.Close()
	}
	_ = s.c.Close()
	s.wg.Wait()
}
