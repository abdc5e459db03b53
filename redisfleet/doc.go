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
//	client := &http.Client{Transport: resilient.New(resilient.WithFleet(fleet))}
//
// # What Redis holds
//
// Under a prefix ("resilient:" unless WithPrefix says otherwise):
//
//	<prefix>acct:<account>   the newest fact of an account in force, as JSON,
//	                         with a TTL that ends at the fact's Until, so that
//	                         no open outlives its open time; a close deletes it
//	<prefix>lease:<account>  the instance that sends the next probe, for the
//	                         lease's TTL (SET NX PX)
//	<prefix>facts            the Pub/Sub channel every fact is published on
//
// A fact holds the fields of resilient.AccountFact and nothing else: an
// account fingerprint, the class, code, HTTP status and message of the
// answer, Until, At and the instance's name. No API key, token, phone number
// or text reaches Redis: Publish refuses an Account that is not a
// fingerprint. One Lua script stores and publishes a fact in one round trip
// and never lets an older fact replace a newer one of the same account.
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
// facts in force and delivers what changed (an open Redis no longer holds
// was closed meanwhile), writes what it learned during the outage, and, when
// the server restarted empty (its run id changed), writes back every open
// in force that it remembers, so that the fleet re-seeds it.
package redisfleet
