#!/usr/bin/env bash
# screenshot.sh regenerates docs/jaeger-trace.png and docs/jaeger-failfast.png:
# the quickstart's traces as the Jaeger UI draws them. Run it from anywhere;
# it takes about half a minute once Jaeger is built and cached.
#
#  1. Installs Debian's chromium if there is no `chromium` on PATH (as root:
#     apt-get update && apt-get install -y chromium).
#  2. Builds or finds Jaeger v2 with scripts/jaeger-bin.sh and starts it on
#     free loopback ports with tools/jaeger/loopback.yaml, serving the Jaeger
#     UI's built assets from JAEGER_UI_ASSETS: a directory, or a .tar.gz or
#     .tar.xz of one. The Jaeger built from the Go module proxy carries only a
#     placeholder page where the UI goes (its assets come from the separate
#     jaeger-ui project, which no registry this project uses serves), so the
#     assets must be at hand: the build output of jaeger-ui v1.76.0, the
#     release paired with Jaeger v1.76.0.
#  3. Runs the quickstart scenario (go run ./examples/jaeger) against it and
#     takes the trace ids of two steps from the links it prints.
#  4. Drives headless Chromium with tools/screenshot (a module of its own) to
#     expand the interesting spans and capture the page.
#  5. Stops Jaeger and removes its temporary files, also on failure.
#
# Usage: JAEGER_UI_ASSETS=/path/to/jaeger-ui/build scripts/screenshot.sh
#        JAEGER_BIN=/path/to/a/jaeger/release/binary scripts/screenshot.sh
set -euo pipefail

if [[ $# -gt 0 ]]; then
	echo "usage: $0   (no arguments)" >&2
	exit 64
fi

start=$SECONDS
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
service=resilient-quickstart
ui_assets="${JAEGER_UI_ASSETS:-}"

log() { echo "screenshot: $*" >&2; }
die() {
	log "$*"
	exit 1
}

for tool in curl tar go; do
	command -v "$tool" >/dev/null 2>&1 || die "needs $tool on PATH"
done
if [[ -z "${JAEGER_BIN:-}" ]] && [[ -z "$ui_assets" || ! -e "$ui_assets" ]]; then
	die "set JAEGER_UI_ASSETS to the Jaeger UI's built assets (a directory, or a .tar.gz or .tar.xz of one), or JAEGER_BIN to a Jaeger release binary, whose UI is built in: the Jaeger built from Go sources serves only a placeholder page"
fi

# 1. Chromium.
if ! command -v chromium >/dev/null 2>&1; then
	if [[ $(id -u) -ne 0 ]]; then
		die "no chromium on PATH; install Debian's package as root: apt-get update && apt-get install -y chromium"
	fi
	log "no chromium on PATH: installing Debian's package (apt-get update && apt-get install -y chromium)..."
	apt-get update
	DEBIAN_FRONTEND=noninteractive apt-get install -y chromium
fi
chrome="$(command -v chromium)"

tmp="$(mktemp -d "${TMPDIR:-/tmp}/screenshot.XXXXXX")"
jaeger_pid=""
cleanup() {
	if [[ -n "$jaeger_pid" ]] && kill -0 "$jaeger_pid" 2>/dev/null; then
		kill -TERM "$jaeger_pid" 2>/dev/null || true
		for _ in $(seq 50); do
			kill -0 "$jaeger_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$jaeger_pid" 2>/dev/null || true
		wait "$jaeger_pid" 2>/dev/null || true
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# 2. Jaeger, its UI and the screenshot tool.
jaeger="${JAEGER_BIN:-$(scripts/jaeger-bin.sh)}"
ui_flags=()
if [[ -d "$ui_assets" ]]; then
	ln -s "$(cd "$ui_assets" && pwd)" "$tmp/ui"
	ui_flags=(--set "extensions.jaeger_query.ui.assets_path=$tmp/ui")
elif [[ -n "$ui_assets" ]]; then
	mkdir "$tmp/ui"
	tar -xaf "$ui_assets" -C "$tmp/ui"
	ui_flags=(--set "extensions.jaeger_query.ui.assets_path=$tmp/ui")
fi
log "building tools/screenshot..."
(cd tools/screenshot && GOWORK=off go build -o "$tmp/screenshot" .)

# tail_log prints the end of Jaeger's log.
tail_log() { tail -n 40 "$tmp/jaeger.log" >&2 || true; }

# start_jaeger starts Jaeger on fresh free ports and waits until it is
# healthy. It returns 2 when a port was taken in the meantime.
start_jaeger() {
	local ports
	mapfile -t ports < <("$tmp/screenshot" -free-ports 4)
	otlp="127.0.0.1:${ports[0]}"
	query="http://127.0.0.1:${ports[1]}"
	health="http://127.0.0.1:${ports[3]}/status"
	JAEGER_LISTEN_HOST=127.0.0.1 \
		JAEGER_OTLP_HTTP_ENDPOINT="$otlp" \
		JAEGER_QUERY_HTTP_ENDPOINT="127.0.0.1:${ports[1]}" \
		JAEGER_QUERY_GRPC_ENDPOINT="127.0.0.1:${ports[2]}" \
		JAEGER_HEALTH_ENDPOINT="127.0.0.1:${ports[3]}" \
		"$jaeger" --config tools/jaeger/loopback.yaml "${ui_flags[@]}" \
		>"$tmp/jaeger.log" 2>&1 &
	jaeger_pid=$!
	local deadline=$((SECONDS + 60))
	while ((SECONDS < deadline)); do
		if ! kill -0 "$jaeger_pid" 2>/dev/null; then
			wait "$jaeger_pid" 2>/dev/null || true
			jaeger_pid=""
			if grep -q "address already in use" "$tmp/jaeger.log"; then
				return 2
			fi
			tail_log
			die "Jaeger exited at start-up"
		fi
		if curl -fsS -o /dev/null "$health" 2>/dev/null &&
			curl -fsS -o /dev/null "$query/api/services" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	tail_log
	die "Jaeger not healthy after 60s"
}

for try in 1 2 3; do
	rc=0
	start_jaeger || rc=$?
	if [[ $rc -eq 0 ]]; then
		break
	fi
	if [[ $try -eq 3 ]]; then
		tail_log
		die "Jaeger could not get free ports in 3 tries"
	fi
	log "a port was taken meanwhile; retrying with other ports"
done
log "Jaeger is up: OTLP/HTTP on $otlp, UI on $query"

# 3. The quickstart scenario, exported there.
log "running go run ./examples/jaeger..."
if ! go run ./examples/jaeger -endpoint "$otlp" -service "$service" -query "$query" >"$tmp/example.out" 2>&1; then
	cat "$tmp/example.out" >&2
	die "go run ./examples/jaeger failed"
fi

# trace_id LABEL prints the trace id of the step LABEL from the links the
# example prints ("  LABEL   <query>/trace/<id>").
trace_id() {
	awk -v label="$1" -v prefix="$query/trace/" '
		index($0, "  " label " ") == 1 && index($NF, prefix) == 1 {
			print substr($NF, length(prefix) + 1); exit
		}' "$tmp/example.out"
}

# wait_spans ID N waits until Jaeger returns trace ID with N spans at least:
# the UI fetches a trace once, so it must be complete before the page opens.
wait_spans() {
	local deadline=$((SECONDS + 30)) n
	while ((SECONDS < deadline)); do
		n="$(curl -fsS "$query/api/traces/$1" 2>/dev/null | grep -o '"operationName"' | wc -l || true)"
		if ((n >= $2)); then
			return 0
		fi
		sleep 0.2
	done
	die "trace $1 has ${n:-0} spans in Jaeger after 30s, want $2"
}

# shoot ID SPANS OUT ARGS... waits for the trace, then captures it into OUT.
shoot() {
	local id=$1 spans=$2 out=$3
	shift 3
	wait_spans "$id" "$spans"
	"$tmp/screenshot" -chrome "$chrome" -url "$query/trace/$id" -spans "$spans" -out "$tmp/$(basename "$out")" "$@" >/dev/null
}

retries="$(trace_id "sms: code 11 twice")"
failfast="$(trace_id "sms (low account): no funds")"
if [[ -z "$retries" || -z "$failfast" ]]; then
	cat "$tmp/example.out" >&2
	die "no trace links for the steps \"sms: code 11 twice\" and \"sms (low account): no funds\" in the output above"
fi

# 4. The pictures. The step span, its RoundTrip span and three attempts: the
# RoundTrip span's retry events and the first attempt (code 11) opened.
shoot "$retries" 5 docs/jaeger-trace.png -expand 'sms.create,PUT#1' -log-items
# The step span, its RoundTrip span and one attempt: the RoundTrip span's
# events (the account circuit opens, gave up) opened.
shoot "$failfast" 3 docs/jaeger-failfast.png -expand 'sms.create' -log-items
mkdir -p docs
mv "$tmp/jaeger-trace.png" "$tmp/jaeger-failfast.png" docs/

log "wrote docs/jaeger-trace.png (trace $retries) and docs/jaeger-failfast.png (trace $failfast)"
log "done in $((SECONDS - start))s"
