#!/usr/bin/env bash
# Runs every check and every test of every module, from any directory:
# formatting, go vet, staticcheck, the race-enabled tests (including the
# end-to-end test against a real Jaeger, built once and cached, and the
# fleet tests against a real redis-server, installed when absent), and a
# short fuzzing pass over every parser of untrusted input.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
modules=(. examples bench redisfleet)
staticcheck=honnef.co/go/tools/cmd/staticcheck@v0.8.2
fuzztime=${FUZZTIME:-30000x}

step() { printf '\n== %s\n' "$*"; }

# The race detector needs cgo and a C compiler: say so at once, not after
# the builds.
if [ "$(go env CGO_ENABLED)" != "1" ] || ! command -v "$(go env CC)" >/dev/null 2>&1; then
	echo "test.sh: the tests run with the race detector, which needs cgo and a C compiler;" >&2
	echo "test.sh: CGO_ENABLED=$(go env CGO_ENABLED), CC=$(go env CC): install one (Debian: apt-get install gcc)" >&2
	exit 1
fi

step "gofmt"
unformatted=$(gofmt -l $(git ls-files '*.go' 2>/dev/null || find . -name '*.go' -not -path './.cache/*'))
if [ -n "$unformatted" ]; then
	echo "not gofmt-formatted:"; echo "$unformatted"; exit 1
fi

step "go vet and staticcheck"
for m in "${modules[@]}"; do
	(cd "$m" && go vet ./... && go run "$staticcheck" ./...)
done

step "Jaeger (built from the module proxy once, then cached)"
JAEGER_BIN=$("$root/scripts/jaeger-bin.sh")
export JAEGER_BIN
echo "$JAEGER_BIN"

step "redis-server (for the redisfleet tests; installed when absent)"
"$root/scripts/redis.sh"

step "tests (race detector on)"
for m in "${modules[@]}"; do
	(cd "$m" && go test -race -count=1 ./...)
done

step "fuzzing ($fuzztime inputs per target)"
for target in FuzzClassifyBody FuzzSuccessShape FuzzItemMemo FuzzParseRetryAfter FuzzJWTSubject; do
	go test -run='^$' -fuzz="^${target}\$" -fuzztime="$fuzztime" .
done
