#!/usr/bin/env bash
# Runs the benchmark suite of bench/ and writes bench/RESULTS.md, which it
# also prints: the machine, the Go version and the date, the targets met or
# missed, and every figure as a ratio measured in the same run.
#
#   scripts/bench.sh                  # about 4 minutes on 2 cores
#   ROUNDS=5 BENCHTIME=100ms scripts/bench.sh   # a quicker, noisier pass
#
# Steps: build the benchmark binary once; run every benchmark ROUNDS times,
# one process per round, rotating the order of the happy-path clients;
# profile the happy path and the classifier (CPU and allocations) and keep
# the library's share of each profile; run the outage and goodput scenarios
# and write the report. Raw outputs and profiles stay in bench/results/.
set -euo pipefail
cd "$(dirname "$0")/../bench"

rounds=${ROUNDS:-30}
benchtime=${BENCHTIME:-200ms}
out=results
bin=$out/bench.test
lib='resilient-sms/resilient\.'

mkdir -p "$out"
rm -f "$out"/round-*.txt "$out"/profile-*.txt "$out"/*.prof

echo "== building the benchmarks" >&2
go test -c -o "$bin" .

for i in $(seq 1 "$rounds"); do
	printf '== round %d/%d\n' "$i" "$rounds" >&2
	"$bin" -test.run '^$' -test.bench . -test.benchtime "$benchtime" -rotate "$i" \
		>"$out/round-$(printf '%02d' "$i").txt"
done

echo "== profiles" >&2
"$bin" -test.run '^$' -test.bench 'HappyPath/resilient$' -test.benchtime 2s \
	-test.cpuprofile "$out/happy.cpu.prof" -test.memprofile "$out/happy.mem.prof" >/dev/null
"$bin" -test.run '^$' -test.bench 'Classify/(success|bulk50)/resilient' -test.benchtime 1s \
	-test.cpuprofile "$out/classify.cpu.prof" -test.memprofile "$out/classify.mem.prof" >/dev/null
top() { # profile, sample index, title
	{
		echo "$3"
		go tool pprof -top -cum -nodecount 25 -show "$lib" -sample_index "$2" "$bin" "$1" 2>/dev/null |
			sed -n '/flat%/,$p'
	} >"$out/profile-$(basename "$1" .prof)-$2.txt"
}
top "$out/happy.cpu.prof" cpu "HappyPath/resilient, CPU (cumulative; library functions, callees outside it folded in)"
top "$out/happy.mem.prof" alloc_objects "HappyPath/resilient, objects allocated (cumulative; library functions, callees outside it folded in)"
top "$out/classify.cpu.prof" cpu "Classify/{success,bulk50}/resilient, CPU (cumulative; library functions, callees outside it folded in)"
top "$out/classify.mem.prof" alloc_objects "Classify/{success,bulk50}/resilient, objects allocated (cumulative; library functions, callees outside it folded in)"

echo "== scenarios and report" >&2
rev=$(git -C .. rev-parse --short HEAD 2>/dev/null || echo unknown)
if [ -n "$(git -C .. status --porcelain -- ':(top,glob)*.go' ':(top,glob)notificoretest/*.go' 2>/dev/null)" ]; then
	rev="$rev, with uncommitted changes"
fi
go run ./cmd/report -bench "$out/round-*.txt" -profiles "$out" -o RESULTS.md -notes NOTES.md \
	-rev "$rev" -benchtime "$benchtime"
