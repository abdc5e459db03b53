// Command screenshot takes a PNG of one trace as the Jaeger UI draws it,
// with chosen spans expanded, through a headless Chromium driven over the
// DevTools protocol. scripts/screenshot.sh runs it; it lives in a module of
// its own so that the library and its examples do not depend on chromedp.
//
// Usage:
//
//	screenshot -url http://127.0.0.1:16686/trace/<id> -out trace.png \
//	    [-expand 'sms.create,PUT#1'] [-tags] [-log-items] [-spans 5]
//	screenshot -free-ports 4
//
// It waits until the trace's span rows are drawn (at least -spans of them),
// opens the details of each span named by -expand (an operation name, the
// n-th row of that name with #n), optionally opens their Tags and each of
// their logs (span events), then grows the viewport to the height of the
// timeline so that nothing is cut off, and captures it.
//
// With -free-ports n it only prints n distinct free loopback TCP ports, one
// a line, for the script to start Jaeger on.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"net"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "screenshot:", err)
		os.Exit(1)
	}
}

// target is one span row to expand: the n-th (from 1) row whose operation
// is name.
type target struct {
	name string
	n    int
}

func parseTargets(s string) ([]target, error) {
	var ts []target
	for item := range strings.SplitSeq(s, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		t := target{name: item, n: 1}
		if i := strings.LastIndex(item, "#"); i >= 0 {
			n, err := strconv.Atoi(item[i+1:])
			if err != nil || n < 1 {
				return nil, fmt.Errorf("-expand %q: want name or name#n with n >= 1", item)
			}
			t = target{name: item[:i], n: n}
		}
		ts = append(ts, t)
	}
	return ts, nil
}

func run() error {
	url := flag.String("url", "", "`URL` of the trace page, e.g. http://127.0.0.1:16686/trace/<id>")
	out := flag.String("out", "", "PNG `file` to write")
	chrome := flag.String("chrome", "chromium", "the Chromium `binary`")
	width := flag.Int("width", 1600, "viewport width in CSS pixels")
	height := flag.Int("height", 600, "minimum viewport height; it grows to fit the timeline")
	maxHeight := flag.Int("max-height", 4000, "maximum height of the picture")
	expand := flag.String("expand", "", "comma-separated `spans` whose details to open: operation name, or name#n for the n-th row of that name")
	tags := flag.Bool("tags", false, "also open the Tags of the expanded spans")
	logItems := flag.Bool("log-items", false, "also open each log (span event) of the expanded spans")
	spans := flag.Int("spans", 1, "wait until at least this many span rows are drawn")
	timeout := flag.Duration("timeout", 60*time.Second, "bound on the whole run")
	freePorts := flag.Int("free-ports", 0, "only print this many free loopback TCP ports, one a line")
	flag.Parse()
	if *freePorts > 0 {
		return printFreePorts(*freePorts)
	}
	if *url == "" || *out == "" || flag.NArg() > 0 {
		flag.Usage()
		return errors.New("want -url and -out, and no arguments")
	}
	targets, err := parseTargets(*expand)
	if err != nil {
		return err
	}

	profile, err := os.MkdirTemp("", "screenshot-profile-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(profile)

	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(*chrome),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(*width, *height),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("hide-scrollbars", true),
	)
	actx, cancel := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancel()
	bctx, cancel := chromedp.NewContext(actx)
	defer cancel()
	// Start the browser with a context of its own: a timeout on the first
	// Run would bound the browser's life, not the steps.
	if err := chromedp.Do(bctx); err != nil {
		return fmt.Errorf("start %s: %w", *chrome, err)
	}
	ctx, cancel := context.WithTimeout(bctx, *timeout)
	defer cancel()

	step := func(what string, a chromedp.Action[chromedp.Void]) error {
		if _, err := chromedp.Run(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}
	poll := func(what, expr string) error {
		// No timeout of its own: ctx bounds it.
		if _, err := chromedp.Run(ctx, chromedp.Poll[bool](expr,
			chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0))); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
		return nil
	}

	if err := step("open "+*url, chromedp.Steps(
		chromedp.EmulateViewport(int64(*width), int64(*height)),
		chromedp.Navigate(*url),
	)); err != nil {
		return err
	}
	if err := poll(fmt.Sprintf("wait for %d span rows", *spans),
		fmt.Sprintf(`document.querySelectorAll('.span-row .span-name').length >= %d`, *spans)); err != nil {
		return err
	}
	for _, t := range targets {
		name, _ := json.Marshal(t.name)
		row := fmt.Sprintf(`[...document.querySelectorAll('.span-row')].filter(r => {
			const e = r.querySelector('.endpoint-name');
			return e && e.textContent.trim() === %s;
		})[%d]`, name, t.n-1)
		what := fmt.Sprintf("expand span %s#%d", t.name, t.n)
		if err := poll(what, fmt.Sprintf(`(() => {
			const row = %s;
			if (!row) return false;
			const a = row.querySelector('.span-name');
			if (a.getAttribute('aria-checked') !== 'true') a.click();
			return true;
		})()`, row)); err != nil {
			return err
		}
		if err := poll(what, fmt.Sprintf(`(() => {
			const row = %s;
			return !!row && row.querySelector('.span-name').getAttribute('aria-checked') === 'true';
		})()`, row)); err != nil {
			return err
		}
	}
	if len(targets) > 0 {
		if err := poll("wait for the span details",
			fmt.Sprintf(`document.querySelectorAll('.detail-row .detail-info-wrapper').length >= %d`, len(targets))); err != nil {
			return err
		}
	}
	// Open collapsed sections by clicking their headers, until none is left.
	openAll := func(what, selector string) error {
		sel, _ := json.Marshal(selector)
		return poll(what, fmt.Sprintf(`(() => {
			const closed = [...document.querySelectorAll(%s)];
			closed.forEach(h => h.click());
			return closed.length === 0;
		})()`, sel))
	}
	if *tags {
		// The section headers of the details: Tags, Process, and so on.
		if err := openAll("open the Tags", `.detail-row .AccordianKeyValues--header[aria-checked="false"]:not(.AccordianLogs--content *):not(.is-empty)`); err != nil {
			return err
		}
		if err := step("close Process", chromedp.Evaluate[chromedp.Void](`document.querySelectorAll('.detail-row .AccordianKeyValues--header[aria-checked="true"]').forEach(h => {
				const label = h.querySelector('strong');
				if (label && label.textContent.trim().startsWith('Process')) h.click();
			})`)); err != nil {
			return err
		}
	}
	if *logItems {
		if err := openAll("open the logs", `.detail-row .AccordianLogs--content .AccordianKeyValues--header[aria-checked="false"]:not(.is-empty)`); err != nil {
			return err
		}
	}

	// Grow the viewport to the bottom of the timeline, let the virtualised
	// list draw the rows that came into view, and measure again.
	bottom := func() (float64, error) {
		return chromedp.Run(ctx, chromedp.Evaluate[float64](`Math.max(0, ...[...document.querySelectorAll('.VirtualizedTraceView--row, .span-row, .detail-row')]
			.map(e => e.getBoundingClientRect().bottom + window.scrollY))`))
	}
	h := float64(*height)
	for range 5 {
		b, err := bottom()
		if err != nil {
			return fmt.Errorf("measure the timeline: %w", err)
		}
		want := math.Min(math.Max(float64(*height), math.Ceil(b)+12), float64(*maxHeight))
		if want == h {
			break
		}
		h = want
		if err := step("resize", chromedp.Steps(
			chromedp.EmulateViewport(int64(*width), int64(h)),
			chromedp.Sleep(300*time.Millisecond),
		)); err != nil {
			return err
		}
	}
	// Two animation frames: the last clicks and the resize are painted.
	if err := step("settle", chromedp.Steps(
		chromedp.Evaluate[chromedp.Void](`new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))`, chromedp.EvalAwaitPromise),
		chromedp.Sleep(200*time.Millisecond),
	)); err != nil {
		return err
	}

	png, err := chromedp.Run(ctx, func(ctx context.Context, t *chromedp.Target) ([]byte, error) {
		r, err := cdp.Call(ctx, t, page.CaptureScreenshot, page.CaptureScreenshotParams{
			Format: page.CaptureScreenshotFormatPng,
			Clip:   &page.Viewport{Width: float64(*width), Height: h, Scale: 1},
		})
		if err != nil {
			return nil, err
		}
		return r.Data, nil
	})
	if err != nil {
		return fmt.Errorf("capture: %w", err)
	}
	if err := os.WriteFile(*out, png, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %dx%d, %d bytes\n", *out, *width, int(h), len(png))
	return nil
}

// printFreePorts prints n distinct free loopback ports. They are free when
// printed; whoever binds them next must still cope with losing a race.
func printFreePorts(n int) error {
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer l.Close() // held until all are chosen, so they are distinct
		fmt.Println(l.Addr().(*net.TCPAddr).Port)
	}
	return nil
}
