// Package bench is the benchmark suite of the resilient transport: it sets
// the transport against a tuned bare http.Transport (the floor) and against
// the peers users choose between, go-retryablehttp, failsafe-go's
// failsafehttp and otelhttp, each configured as its documentation
// recommends.
//
// The package holds what every measurement shares: the loopback server of
// the happy path (server.go), the Notificore bodies (bodies.go), the
// clients under test (clients.go) and the tracer provider of the traced
// runs (tracing.go). The timing benchmarks are its _test.go files:
//
//   - BenchmarkHappyPath: parallel PUT /rest/sms/create answered code 0,
//     every client, with tracing off and with an SDK tracer;
//   - BenchmarkOverhead: the same clients over an in-memory base, which
//     isolates each client's own CPU and allocations from the network;
//   - BenchmarkClassify: the transport's cost of reading and classifying a
//     success, a 200-byte error and a 50-recipient bulk answer, over an
//     in-memory base so that no network noise hides it;
//   - BenchmarkFailFast: a call stopped by an open account circuit.
//
// The measured scenarios (outage amplification, throttling goodput) live in
// package scenario, and cmd/report turns benchmark output and scenario
// figures into RESULTS.md. scripts/bench.sh at the repository root runs the
// whole suite. No test of this module asserts a timing.
package bench
