// Command jaeger runs the quickstart scenario (see examples/quickstart) and
// exports its traces to Jaeger over OTLP/HTTP, then prints a link to each
// step's trace: the RoundTrip span of every call, a CLIENT span per attempt,
// and the Transport's decisions (retry scheduled, gave up, failed fast,
// circuit state changed, accepted earlier) as span events.
//
// Start Jaeger (see the repository README, "Tracing in Jaeger"), then run it
// from the repository root:
//
//	go run ./examples/jaeger
//
// Flags:
//
//	-endpoint host:port  the OTLP/HTTP receiver (default localhost:4318)
//	-insecure            plain HTTP rather than HTTPS (default true)
//	-service name        the service.name of the traces (default resilient-quickstart)
//	-query URL           the Jaeger UI, for the links (default http://localhost:16686)
//
// The standard variables OTEL_EXPORTER_OTLP_ENDPOINT,
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (both URLs, e.g. http://localhost:4318)
// and OTEL_SERVICE_NAME work too; a flag given on the command line wins over
// its variable. With an endpoint from a variable the URL's scheme says
// whether to use TLS, unless -insecure is given.
//
// Before running the scenario it sends an empty export to the endpoint, and
// it exits with status 1 at once if no collector answers. It also exits
// with status 1 if any span could not be exported, or if the Transport did
// not do what the scenario expects of it.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/signal"
	"path"
	"strings"
	"sync"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlptrace/otlptracehttp"
	"go.opentelemetry.io/otel/sdk/resource"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	semconv "go.opentelemetry.io/otel/semconv/v1.40.0"
	"go.opentelemetry.io/otel/trace"

	"github.com/resilient-sms/resilient/examples/internal/scenario"
	"github.com/resilient-sms/resilient/notificoretest"
)

const (
	defaultEndpoint = "localhost:4318"
	defaultService  = "resilient-quickstart"
	defaultQuery    = "http://localhost:16686"
	tracesPath      = "/v1/traces" // the OTLP/HTTP path of traces

	probeTimeout  = 2 * time.Second  // the empty export sent before the scenario
	exportTimeout = 5 * time.Second  // each export request
	flushTimeout  = 15 * time.Second // ForceFlush and Shutdown at the end
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
	err := run(ctx, os.Args[1:], os.Stdout, os.Stderr)
	cancel()
	stop()
	switch {
	case errors.Is(err, flag.ErrHelp):
	case errors.As(err, new(usageError)):
		fmt.Fprintln(os.Stderr, "jaeger:", err)
		os.Exit(2)
	case err != nil:
		fmt.Fprintln(os.Stderr, "jaeger:", err)
		os.Exit(1)
	}
}

// usageError is a bad command line.
type usageError struct{ error }

// config is what the command line and the environment ask for.
type config struct {
	target  target
	service string
	query   string
}

// parse reads the flags, and the OTEL_* variables through getenv for what
// the flags leave unset.
func parse(args []string, stderr io.Writer, getenv func(string) string) (config, error) {
	fs := flag.NewFlagSet("jaeger", flag.ContinueOnError)
	fs.SetOutput(stderr)
	endpoint := fs.String("endpoint", defaultEndpoint, "`host:port` of the OTLP/HTTP receiver; wins over OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT")
	insecure := fs.Bool("insecure", true, "export over plain HTTP rather than HTTPS")
	service := fs.String("service", defaultService, "`name` of the service the traces come from (service.name); wins over OTEL_SERVICE_NAME")
	query := fs.String("query", defaultQuery, "base `URL` of the Jaeger UI, for the links printed")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "usage: jaeger [flags]\n\nRuns the quickstart scenario and exports its traces to Jaeger over OTLP/HTTP.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return config{}, err
		}
		return config{}, usageError{err}
	}
	if fs.NArg() > 0 {
		return config{}, usageError{fmt.Errorf("unexpected arguments: %q", fs.Args())}
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })

	var cfg config
	var err error
	cfg.target, err = resolveTarget(*endpoint, set["endpoint"], *insecure, set["insecure"], getenv)
	if err != nil {
		return config{}, usageError{err}
	}
	cfg.service = *service
	if !set["service"] {
		if name := strings.TrimSpace(getenv("OTEL_SERVICE_NAME")); name != "" {
			cfg.service = name
		}
	}
	if cfg.service == "" {
		return config{}, usageError{errors.New("-service: empty service name")}
	}
	cfg.query = strings.TrimRight(*query, "/")
	if u, err := url.Parse(cfg.query); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return config{}, usageError{fmt.Errorf("-query %q: want the base URL of the Jaeger UI, e.g. %s", *query, defaultQuery)}
	}
	return cfg, nil
}

// target is where the spans go.
type target struct {
	// url is the export URL: scheme, host, port and path.
	url string
	// endpointURL, when set, is passed to otlptracehttp.WithEndpointURL.
	// It is empty when the endpoint comes from the environment and the
	// exporter is left to read it there itself.
	endpointURL string
}

// resolveTarget decides where the spans go: -endpoint when given, else
// OTEL_EXPORTER_OTLP_TRACES_ENDPOINT (used as is) or
// OTEL_EXPORTER_OTLP_ENDPOINT (a base URL, under which /v1/traces), else
// localhost:4318. It follows the rules the otlptracehttp exporter applies
// to the variables, so that url names where the exporter sends.
func resolveTarget(endpoint string, endpointSet, insecure, insecureSet bool, getenv func(string) string) (target, error) {
	scheme := func(insecure bool) string {
		if insecure {
			return "http"
		}
		return "https"
	}
	if !endpointSet {
		u, err := endpointFromEnv(getenv)
		switch {
		case err != nil:
			return target{}, err
		case u != nil && !insecureSet:
			return target{url: u.String()}, nil // the exporter reads the variables itself
		case u != nil:
			u.Scheme = scheme(insecure)
			return target{url: u.String(), endpointURL: u.String()}, nil
		}
	}
	host, port, err := net.SplitHostPort(endpoint)
	if err != nil || host == "" || port == "" || strings.ContainsAny(endpoint, "/?#") {
		return target{}, fmt.Errorf("-endpoint %q: want host:port, e.g. %s", endpoint, defaultEndpoint)
	}
	u := (&url.URL{Scheme: scheme(insecure), Host: endpoint, Path: tracesPath}).String()
	return target{url: u, endpointURL: u}, nil
}

// endpointFromEnv returns the export URL the OTEL_EXPORTER_OTLP_* variables
// set, with the scheme the exporter will use, or nil when they set none.
func endpointFromEnv(getenv func(string) string) (*url.URL, error) {
	env := func(name string) string { return strings.TrimSpace(getenv(name)) }
	name, signals := "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", false // the traces URL, used as is
	v := env(name)
	if v == "" {
		name, signals = "OTEL_EXPORTER_OTLP_ENDPOINT", true // a base URL for all signals
		v = env(name)
	}
	if v == "" {
		return nil, nil
	}
	parsed, err := url.Parse(v)
	if err != nil || parsed.Host == "" {
		return nil, fmt.Errorf("%s=%q: want a URL, e.g. http://%s", name, v, defaultEndpoint)
	}
	u := &url.URL{Scheme: "https", Host: parsed.Host, Path: parsed.Path}
	if strings.EqualFold(parsed.Scheme, "http") || strings.EqualFold(parsed.Scheme, "unix") {
		u.Scheme = "http"
	}
	switch {
	case signals:
		u.Path = path.Join(u.Path, tracesPath)
	case u.Path == "":
		u.Path = "/"
	}
	// The INSECURE variables override the scheme, the per-signal one last.
	for _, name := range []string{"OTEL_EXPORTER_OTLP_INSECURE", "OTEL_EXPORTER_OTLP_TRACES_INSECURE"} {
		if s := env(name); s != "" {
			u.Scheme = "https"
			if strings.EqualFold(s, "true") {
				u.Scheme = "http"
			}
		}
	}
	return u, nil
}

// tlsFromEnv reports whether TLS files are configured for the exporter in
// the environment.
func tlsFromEnv(getenv func(string) string) bool {
	for _, name := range []string{"CERTIFICATE", "CLIENT_CERTIFICATE", "CLIENT_KEY"} {
		if getenv("OTEL_EXPORTER_OTLP_"+name) != "" || getenv("OTEL_EXPORTER_OTLP_TRACES_"+name) != "" {
			return true
		}
	}
	return false
}

// run parses args, checks that a collector answers, runs the scenario with
// its traces exported there, and writes the scenario's output and a link to
// each step's trace to stdout. It returns an error when no collector
// answers, when any span could not be exported, and when the scenario
// fails; the traces exported are still linked then.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	cfg, err := parse(args, stderr, os.Getenv)
	if err != nil {
		return err
	}

	opts := []otlptracehttp.Option{
		// Fail rather than retry for a minute: a collector that does not
		// answer the first time is not there.
		otlptracehttp.WithRetry(otlptracehttp.RetryConfig{Enabled: false}),
		otlptracehttp.WithTimeout(exportTimeout),
	}
	if cfg.target.endpointURL != "" {
		opts = append(opts, otlptracehttp.WithEndpointURL(cfg.target.endpointURL))
	}
	if !tlsFromEnv(os.Getenv) {
		// A client of our own, whose connections are closed on return.
		// (With TLS files in the environment the exporter builds its own
		// client, which reads them.)
		tr := http.DefaultTransport.(*http.Transport).Clone()
		defer tr.CloseIdleConnections()
		opts = append(opts, otlptracehttp.WithHTTPClient(&http.Client{Transport: tr, Timeout: exportTimeout}))
	}

	// An empty export, through a client configured exactly like the
	// exporter's: does a collector answer?
	pctx, cancel := context.WithTimeout(ctx, probeTimeout)
	err = otlptracehttp.NewClient(opts...).UploadTraces(pctx, nil)
	cancel()
	if err != nil {
		return probeError(cfg.target.url, err)
	}

	exp, err := otlptracehttp.New(ctx, opts...)
	if err != nil {
		return fmt.Errorf("OTLP exporter: %w", err)
	}
	rec := &exportRecorder{SpanExporter: exp}
	res, err := resource.New(ctx,
		resource.WithFromEnv(), // OTEL_RESOURCE_ATTRIBUTES, but for service.name
		resource.WithTelemetrySDK(),
		resource.WithAttributes(semconv.ServiceName(cfg.service)),
	)
	if err != nil {
		fmt.Fprintln(stderr, "jaeger: resource:", err) // a partial resource is still usable
	}
	if res == nil {
		res = resource.Default()
	}
	steps := &stepRecorder{}
	tp := sdktrace.NewTracerProvider(
		sdktrace.WithBatcher(rec),
		sdktrace.WithResource(res),
		sdktrace.WithSpanProcessor(steps),
	)
	defer tp.Shutdown(context.Background()) // on early returns; a no-op after the Shutdown below

	srv := notificoretest.NewServer() // a fake Notificore API on 127.0.0.1
	defer srv.Close()
	client := &http.Client{Transport: scenario.NewTransport(tp)}
	defer client.CloseIdleConnections()

	fmt.Fprintf(stdout, "exporting traces to %s as service %q\n\n", cfg.target.url, cfg.service)
	sum, runErr := scenario.Run(ctx, stdout, client, srv, tp)
	fmt.Fprintln(stdout, sum)

	// Export what is left, and stop the exporter. Not with ctx: an
	// interrupted run still exports the steps it ran.
	fctx, cancel := context.WithTimeout(context.Background(), flushTimeout)
	defer cancel()
	flushErr := errors.Join(tp.ForceFlush(fctx), tp.Shutdown(fctx))
	if err := rec.err(flushErr); err != nil {
		return errors.Join(fmt.Errorf("exporting to %s: %w", cfg.target.url, err), runErr)
	}

	list := steps.list()
	fmt.Fprintf(stdout, "\n%d traces of service %q in Jaeger, one per step:\n", len(list), cfg.service)
	w := 0
	for _, s := range list {
		w = max(w, len([]rune(s.name)))
	}
	for _, s := range list {
		fmt.Fprintf(stdout, "  %s%s  %s/trace/%s\n", s.name, strings.Repeat(" ", w-len([]rune(s.name))), cfg.query, s.traceID)
	}
	fmt.Fprintf(stdout, "all of them: %s/search?%s\n", cfg.query, url.Values{"service": {cfg.service}}.Encode())
	return runErr
}

// probeError says why the empty export failed, and what to do.
func probeError(u string, err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) { // an answer, but not an OTLP one
		return fmt.Errorf("the endpoint %s refused an empty OTLP export: %w; is it an OTLP/HTTP receiver?", u, err)
	}
	return fmt.Errorf("no OTLP collector answered at %s: %w; start Jaeger (see README, \"Tracing in Jaeger\") "+
		"or point -endpoint or OTEL_EXPORTER_OTLP_ENDPOINT at a collector", u, ue.Err)
}

// exportRecorder is the exporter the batch span processor exports to: it
// counts the spans, and remembers the errors, which the processor would
// otherwise only log.
type exportRecorder struct {
	sdktrace.SpanExporter

	mu                sync.Mutex
	spans, failed     int
	firstErr, lastErr error
}

// ExportSpans exports spans and records the outcome.
func (r *exportRecorder) ExportSpans(ctx context.Context, spans []sdktrace.ReadOnlySpan) error {
	err := r.SpanExporter.ExportSpans(ctx, spans)
	r.mu.Lock()
	defer r.mu.Unlock()
	r.spans += len(spans)
	if err != nil {
		r.failed += len(spans)
		if r.firstErr == nil {
			r.firstErr = err
		}
		r.lastErr = err
	}
	return err
}

// err returns the first export error with the number of spans lost, joined
// with flushErr unless that is the last export error again.
func (r *exportRecorder) err(flushErr error) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.firstErr == nil {
		return flushErr
	}
	first := r.firstErr
	var ue *url.Error
	if errors.As(first, &ue) {
		first = ue.Err // without the method and URL, said already
	}
	err := fmt.Errorf("%d of %d spans not exported: %w", r.failed, r.spans, first)
	if flushErr != nil && !errors.Is(flushErr, r.lastErr) {
		err = errors.Join(err, flushErr)
	}
	return err
}

// step is the root span of one step of the scenario.
type step struct {
	name    string
	traceID trace.TraceID
}

// stepRecorder is a span processor that lists the scenario's root spans,
// one per step, in the order they ended.
type stepRecorder struct {
	mu    sync.Mutex
	steps []step
}

// OnStart does nothing.
func (r *stepRecorder) OnStart(context.Context, sdktrace.ReadWriteSpan) {}

// OnEnd records the scenario's root spans.
func (r *stepRecorder) OnEnd(s sdktrace.ReadOnlySpan) {
	if s.InstrumentationScope().Name != scenario.TracerName || s.Parent().IsValid() {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.steps = append(r.steps, step{s.Name(), s.SpanContext().TraceID()})
}

// Shutdown does nothing.
func (r *stepRecorder) Shutdown(context.Context) error { return nil }

// ForceFlush does nothing.
func (r *stepRecorder) ForceFlush(context.Context) error { return nil }

func (r *stepRecorder) list() []step {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.steps
}
