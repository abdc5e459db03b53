// Package scenario holds the measured scenarios of the benchmark suite:
// figures computed from what a fake Notificore server saw, not timings
// compared against a threshold.
//
//   - Outage (outage.go): the server answers 503 to everything; how many
//     attempts does each client send per logical call?
//   - Goodput (goodput.go): the server caps the messages in flight and
//     refuses the excess with code 11; how close to the cap's capacity do
//     64 senders get, and is every message accepted exactly once?
//
// Every run starts its own notificoretest.Server on 127.0.0.1 and its own
// tuned bare transport, so that no client inherits another's connections or
// circuits.
package scenario
