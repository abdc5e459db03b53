#!/usr/bin/env bash
# jaeger-bin.sh prints the path of a built Jaeger (v2, all-in-one) binary,
# building it from tools/jaeger once if it is not cached yet.
#
# The cache lives in ${RESILIENT_CACHE:-$HOME/.cache/resilient-sms}. The file
# name carries the Jaeger version from tools/jaeger/go.mod and a hash of
# tools/jaeger/go.sum, so bumping the version (or any dependency) rebuilds.
# Progress goes to stderr; only the binary path goes to stdout.
#
# Usage: jaeger-bin.sh [--cached]
#   --cached  never build: print the path if the binary is already cached,
#             otherwise exit with status 2.
set -euo pipefail

cached_only=false
case "${1:-}" in
--cached) cached_only=true ;;
"") ;;
*)
	echo "usage: $0 [--cached]" >&2
	exit 64
	;;
esac

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tooldir="$root/tools/jaeger"
pkg=github.com/jaegertracing/jaeger/cmd/jaeger

version="$(awk '$1 == "github.com/jaegertracing/jaeger" { print $2; exit }' "$tooldir/go.mod")"
if [[ -z "$version" ]]; then
	echo "jaeger-bin: no github.com/jaegertracing/jaeger requirement in $tooldir/go.mod" >&2
	exit 1
fi
sum="$(sha256sum "$tooldir/go.sum" | cut -c1-12)"

cache="${RESILIENT_CACHE:-$HOME/.cache/resilient-sms}"
out="$cache/jaeger-$version-$sum"

if [[ -x "$out" ]]; then
	echo "$out"
	exit 0
fi

if $cached_only; then
	echo "jaeger-bin: $out is not built yet (run $0 without --cached)" >&2
	exit 2
fi

mkdir -p "$cache"
# Serialise concurrent first builds; the rename below keeps readers safe anyway.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$out.lock"
	flock 9
	if [[ -x "$out" ]]; then
		echo "$out"
		exit 0
	fi
fi

echo "jaeger-bin: building $pkg@$version into $out (several minutes the first time)..." >&2
start=$SECONDS
(
	cd "$tooldir"
	GOWORK=off go build -trimpath -o "$out.tmp" "$pkg"
)
mv "$out.tmp" "$out"
echo "jaeger-bin: built in $((SECONDS - start))s" >&2
echo "$out"
