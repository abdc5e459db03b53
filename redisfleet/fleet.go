package redisfleet

import (
	"context"
	"errors"
	"sync"
	"sync/atomic"

	"github.com/resilient-sms/resilient"
)

// Fleet is a resilient.Fleet over one Redis server: one instance of the
// fleet. Create it with New, give it to the Transport of the process with
// resilient.WithFleet, and Close it when the process is done sending. Give
// each Transport a Fleet of its own: a Fleet never delivers its own facts,
// so Transports sharing one would not hear of each other's.
//
// The facts it delivers carry the Instance that published them, but for
// one kind: a close that a resync inferred (Redis holds neither an open
// this Fleet remembers nor the close that ended it) carries Instance "",
// since which instance closed the account is not known.
type Fleet struct {
	cfg  Config
	o    options
	k    keys
	self string
	mem  *memory
	tel  *telemetry

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	curMu sync.Mutex
	cur   session // nil while Redis is out of reach

	writes  chan string   // accounts whose facts are to be written
	inbox   chan []byte   // facts received from Redis
	batches chan batch    // facts loaded from Redis
	trouble chan session  // a session a write found broken
	resync  chan struct{} // the inbox overflowed: reload

	deliverMu sync.Mutex // serialises deliveries and new subscribers
	subMu     sync.Mutex
	subs      []*subscriber

	loaded     chan struct{}
	loadedOnce sync.Once

	leaseMu  sync.Mutex
	closed   bool
	leases   map[string]heldLease // leases this instance holds
	inflight map[string]bool      // leases asked of Redis and not answered yet
	leaseSem chan struct{}
	leaseSeq uint64 // numbers the grants asked of Redis

	closedFlag atomic.Bool
}

var _ resilient.Fleet = (*Fleet)(nil)

// New returns a Fleet that shares facts through the Redis server of cfg. It
// does not wait for Redis: it connects in the background, loads the opens in
// force (Loaded tells when), and keeps trying, with back-off, while Redis is
// out of reach. It fails only on a configuration error.
func New(cfg Config, opts ...Option) (*Fleet, error) {
	o := defaultOptions()
	for _, opt := range opts {
		opt(&o)
	}
	if cfg.Addr == "" {
		return nil, errors.New("redisfleet: Config.Addr is empty")
	}
	if o.instance == "" {
		o.instance = defaultInstance()
	}
	if len(o.instance) > maxInstance {
		return nil, errors.New("redisfleet: instance name longer than 128 bytes")
	}
	if o.queue <= 0 {
		o.queue = 1
	}
	if o.dial == nil {
		o.dial = dialRueidis
	}
	ctx, cancel := context.WithCancel(context.Background())
	f := &Fleet{
		cfg: cfg, o: o, k: keys{prefix: o.prefix}, self: o.instance,
		mem: newMemory(), tel: newTelemetry(o),
		ctx: ctx, cancel: cancel,
		writes:   make(chan string, o.queue),
		inbox:    make(chan []byte, o.queue),
		batches:  make(chan batch),
		trouble:  make(chan session, 1),
		resync:   make(chan struct{}, 1),
		loaded:   make(chan struct{}),
		leases:   map[string]heldLease{},
		inflight: map[string]bool{},
		leaseSem: make(chan struct{}, 64),
	}
	f.wg.Add(3)
	go f.supervise()
	go f.writer()
	go f.dispatch()
	return f, nil
}

// Instance returns the name this instance publishes its facts under.
func (f *Fleet) Instance() string { return f.self }

// Loaded is closed once the Fleet has loaded the opens in force from Redis
// for the first time and handed them to its subscribers. It stays open
// while Redis has never been reached.
func (f *Fleet) Loaded() <-chan struct{} { return f.loaded }

// Close stops the Fleet's goroutines and closes its connections. Facts not
// yet written are dropped; Publish, Subscribe and Lease still return at once
// afterwards (Lease grants, as a Fleet without Redis does).
func (f *Fleet) Close() error {
	f.leaseMu.Lock()
	if f.closed {
		f.leaseMu.Unlock()
		return nil
	}
	f.closed = true
	f.closedFlag.Store(true)
	f.leaseMu.Unlock()
	f.cancel()
	f.wg.Wait()
	f.tel.close()
	return nil
}

// Stats are a Fleet's counters since New.
type Stats struct {
	// Published counts the facts this instance wrote to Redis.
	Published uint64
	// Received counts the facts of other instances it applied.
	Received uint64
	// Dropped counts the facts that found a queue full: an outgoing one is
	// written by the next sweep, an incoming one is found by a resync.
	Dropped uint64
	// Disconnects counts the outages: the times Redis went out of reach.
	Disconnects uint64
	// LocalLeases counts the leases granted without Redis.
	LocalLeases uint64
	// Connected reports whether Redis is in reach now.
	Connected bool
}

// Stats returns the Fleet's counters.
func (f *Fleet) Stats() Stats {
	t := f.tel
	return Stats{
		Published: t.published.Load(), Received: t.received.Load(), Dropped: t.dropped.Load(),
		Disconnects: t.disconnects.Load(), LocalLeases: t.localLeases.Load(), Connected: t.connected.Load(),
	}
}

func (f *Fleet) current() session {
	f.curMu.Lock()
	defer f.curMu.Unlock()
	return f.cur
}

func (f *Fleet) setCurrent(s session) {
	f.curMu.Lock()
	f.cur = s
	f.curMu.Unlock()
}

// report tells the supervisor that s failed a write.
func (f *Fleet) report(s session) {
	select {
	case f.trouble <- s:
	default:
	}
}
