// Package redisfleet implements resilient.Fleet over Redis, so that the
// instances of a fleet (processes that send for the same Notificore
// accounts) share what they learn about account circuits: one instance's
// "not enough funds" (code 8), "user blocked" (code 2) or "rate scale
// inactive" (code 9) fails the others fast at once, a new instance starts
// knowing every open in force, and one instance per fleet sends the
// half-open probe.
//
//	fleet, err := redisfleet.New(redisfleet.Config{Addr: "127.0.0.1:6379"},
//		redisfleet.WithLogger(logger))
//	if err != nil { ... }
//	defer fleet.Close()
//	client := &http.Client{Transport: resilient.NewTransport(nil, resilient.WithFleet(fleet))}
//
// # What Redis holds
//
// Under a prefix ("resilient:" unless WithPrefix says otherwise):
//
//	<prefix>acct:<account>   the newest fact of an account, as JSON: an open
//	                         with a TTL that ends at its Until, so that no
//	                         open outlives its open time; a close with a TTL
//	                         of a minute (or up to the end of the open it
//	                         closed), so that a late or re-seeded copy of
//	                         that open is refused and a reconnecting instance
//	                         learns of the close and who made it
//	<prefix>lease:<account>  the grant of the instance that sends the next
//	                         probe, "<instance>#<n>", for the lease's TTL
//	<prefix>facts            the Pub/Sub channel every fact is published on
//
// A fact holds the fields of resilient.AccountFact and nothing else: an
// account fingerprint, the class, code, HTTP status and message of the
// answer, Until, At and the instance's name. No API key, token, phone number
// or text reaches Redis: Publish refuses an Account that is not a
// fingerprint. One Lua script stores and publishes a fact in one round trip
// and never lets an older fact replace a newer one of the same account.
//
// # One probe per fleet
//
// When an account's open time ends, each Transport asks its Fleet for the
// account's probe lease, and only the instance granted it probes; the others
// keep failing fast until the probe's outcome arrives. A Lua script grants
// the lease when the key is free or already holds a grant of the same
// instance, so that an instance whose probe failed and whose account
// re-opened for less than the lease's TTL is granted its next probe. The
// probe's outcome, which the instance publishes, ends the lease in the same
// script that writes the fact, if the key still holds that grant: a close
// at once, a new open when that open ends. The next probe of the fleet need
// not wait for the TTL, and no instance that has not heard of the re-opening
// yet may take the lease before the re-opened time is over.
//
// # Facts delivered
//
// Subscribe gives a new subscriber the opens in force before it returns, and
// then the facts of the other instances, each with the Instance that
// published it. One kind of fact has no instance: a close found by a resync,
// when Redis holds neither an open the Fleet remembers nor the close that
// ended it (the close's own key has expired too), carries Instance "".
//
// # Never on the request path
//
// Publish remembers the fact and queues it for a background writer; a full
// queue drops the message (the fact waits in memory for the next sweep, one
// per second), and Redis out of reach leaves it for the reconnect. Facts
// received are queued for one delivering goroutine; a full queue drops the
// message and asks for a resync. Lease answers from Redis within a bound
// (100 ms) or grants on its own. When Redis is out of reach, at start or
// later, every instance keeps its own circuits, says so once (a log record,
// a short span "resilient.fleet.disconnected", the counter
// resilient.fleet.disconnects and the gauge resilient.fleet.connected),
// reconnects with back-off and then resyncs: it subscribes again, loads the
// facts in force and delivers what changed (the closes Redis holds, and an
// open it holds nothing of, which was closed meanwhile), writes what it
// learned during the outage, and, when
// the server restarted empty (its run id changed), writes back every fact
// in force that it remembers (opens, and recent closes to order them by), so
// that the fleet re-seeds it.
//
// A call that finds its circuits closed (the happy path) never involves the
// Fleet: Redis counts no command for 10 000 such calls (INFO commandstats;
// the only commands while nothing changes are a keep-alive PING per
// connection silent for 15 s).
//
// # Testing with a real Redis
//
// Package redistest (github.com/resilient-sms/resilient/redisfleet/redistest)
// runs a throwaway redis-server on a free loopback port, for a test (Start)
// or a program (NewServer), kills, restarts, pauses and resumes it, and
// slows or cuts the network between a Fleet and it (Proxy). The tests of
// this package and examples/fleet run on it.
//
// # Measured under Transports
//
// transports_bench_test.go runs three instances, each a Transport over a
// Fleet of its own, sending real messages to the fake Notificore API
// (notificoretest), with Redis 7.0, all on loopback on 2 busy cores:
//
//	propagation: a's circuit opening on code 8    p50 0.25 ms, p99 0.6-0.8 ms,
//	to b's and c's (200 accounts, three runs)     max 0.9-2.0 ms
//	happy path with a Fleet / without             0.88-1.02, median 0.99
//	(same server, turn about, five runs)          (with / bare: median 1.02;
//	                                              without / bare: median 1.03)
//
// and the same fleet through faults of Redis, 12 callers sending all along
// (BenchmarkTransportFaults, two runs each; "none" is the control):
//
//	                       call p99 before   during      max during   fleet agrees
//	none                   9.8-10.9 ms       8.9-9.1 ms  24-30 ms     -
//	killed, restarted 2 s  5.9-7.7 ms        4.4-6.2 ms  19-21 ms     0.76-1.2 s after
//	paused 5 s             9.0-10.4 ms       9.7-10.2 ms 28-45 ms     10-21 ms after SIGCONT
//	300 ms each way, 3 s   3.4-6.4 ms        3.8-6.2 ms  15-37 ms     while slow, 0.6 s
//
// Latency does not move with the fault: the spread is the machine's. No
// message is lost or sent twice, and a fact learned during the outage (a's
// code 2) reaches the others once Redis is back; the restart waits for the
// back-off (at most 1 s). At the end of each open period one probe reaches
// the server across the fleet, with 64 callers per instance
// (TestOneProbePerOpenPeriod).
//
// # Why rueidis and Pub/Sub
//
// The Fleet talks to Redis through a small internal session, so the same
// Fleet was measured over three clients (measure_test.go; Redis 7.0 on
// loopback, three instances, 2 cores, 200 facts each, three runs):
//
//	                       propagation p50   p99            commands per fact
//	rueidis, Pub/Sub       0.14-0.20 ms      0.24-0.91 ms   1
//	go-redis v9, Pub/Sub   0.14-0.17 ms      0.48-1.78 ms   1
//	rueidis, broadcast     0.20-0.28 ms      0.57-0.73 ms   4 (1 + one GET per
//	client-side tracking                                    instance)
//
// Propagation is from Publish on one instance to apply on both others; the
// target is a p99 of 100 ms. Commands per fact count what the whole fleet
// sends: the write script (SET or DEL and PUBLISH inside one EVALSHA) and,
// for tracking, the read each instance makes after an invalidation.
//
// Client-side caching does not fit this job: an invalidation names a key but
// carries no value, so every instance reads the key again (one more round
// trip, and commands that grow with the fleet), and a close arrives as an
// invalidation whose read finds nothing, without the At that orders it
// against a late open. Pub/Sub carries the fact itself in one hop.
//
// Between the two Pub/Sub clients the latency is a wash at the median, with
// rueidis ahead at p99 in every run. The choice rests on how they live
// through faults (BenchmarkFault; time for a fact published during the
// outage to reach another instance once Redis is back):
//
//	                       Redis paused 5 s                  killed, restarted
//	rueidis                not noticed by a silent receiver; 0.7-1.0 s
//	                       2.6 ms after SIGCONT
//	go-redis               noticed after 4 s (our own PING  1.1 s
//	                       on silence); 65 ms after SIGCONT
//
// After a restart both wait for the Fleet's back-off (at most 1 s). What
// decides is control: rueidis reports a lost subscription on a channel
// (DedicatedClient.SetPubSubHooks), lets its own retries be turned off so
// that the Fleet alone reconnects, resyncs and re-seeds, bounds a paused
// server with ConnWriteTimeout and sends a batch of writes in one round trip
// (DoMulti). go-redis's PubSub.Channel reconnects silently (the Fleet would
// miss the outage it must resync after), pings only every 30 s by default,
// retries dials five times inside its pool and logs those failures to
// standard error through a process-wide logger.
package redisfleet
