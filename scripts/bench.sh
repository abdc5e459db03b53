#!/usr/bin/env bash
# Runs the benchmark suite of bench/ and writes bench/RESULTS.md, which it
# also prints: the machine, the Go version and the date, the targets met or
# missed, and every figure as a ratio measured in the same run.
#
#   scripts/bench.sh                  # about 11 minutes on 2 cores
#   ROUNDS=3 GROWTH_ROUNDS=1 BENCHTIME=100ms scripts/bench.sh   # a quicker, noisier pass
#
# Steps: build the benchmark binary once; run the happy-path, overhead,
# classification and fail-fast benchmarks ROUNDS times, one process per
# round, rotating the order of the happy-path clients; run the growth suite
# (BenchmarkGrowth) GROWTH_ROUNDS times, then its parallel points once more
# with the lock profiles on; profile the happy path and the classifier (CPU
# and allocations) and keep the library's share of each profile; run the
# outage scenario and the adaptive-limit scenarios, write the report and
# the pictures (bench/plots/). Raw outputs and profiles stay in
# bench/results/.
set -euo pipefail
cd "$(dirname "$0")/../bench"

rounds=${ROUNDS:-20}
benchtime=${BENCHTIME:-200ms}
growth_rounds=${GROWTH_ROUNDS:-3}
growth_benchtime=${GROWTH_BENCHTIME:-300ms}
out=results
bin=$out/bench.test
lib='resilient-sms/resilient\.'

# The machine's load when the run starts and ends: other processes' work
# moves every figure, so the report shows it.
load_start=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)

mkdir -p "$out"
rm -f "$out"/round-*.txt "$out"/growth-*.txt "$out"/locks.txt "$out"/profile-*.txt "$out"/*.prof

echo "== building the benchmarks" >&2
go test -c -o "$bin" .

for i in $(seq 1 "$rounds"); do
	printf '== round %d/%d\n' "$i" "$rounds" >&2
	"$bin" -test.run '^$' -test.bench '^Benchmark(HappyPath|Overhead|Classify|FailFast)$' \
		-test.benchtime "$benchtime" -rotate "$i" >"$out/round-$(printf '%02d' "$i").txt"
done

for i in $(seq 1 "$growth_rounds"); do
	printf '== growth round %d/%d\n' "$i" "$growth_rounds" >&2
	"$bin" -test.run '^$' -test.bench '^BenchmarkGrowth$' -test.benchtime "$growth_benchtime" \
		>"$out/growth-$(printf '%02d' "$i").txt"
done
echo "== growth: locks" >&2
# The parallel points of the transport under test with every mutex and
# block event recorded: contentions per call in stacks through the library,
# and its lock sites (profile-5-locks.txt, shown in RESULTS.md); the whole
# profiles stay in locks.mutex.prof and locks.block.prof for pprof.
"$bin" -test.run '^$' -test.bench '^BenchmarkGrowth$/^parallel$/^procs=2$/^callers=64$/^resilient' \
	-test.benchtime 200000x -locks "$out/profile-5-locks.txt" \
	-test.mutexprofile "$out/locks.mutex.prof" -test.blockprofile "$out/locks.block.prof" >"$out/locks.txt"

echo "== profiles" >&2
# The happy path: the CPU the transport adds to the same number of calls over
# the bare transport (a diff of two profiles), and what it allocates per call
# with the network taken away (every allocation recorded). The classifier:
# CPU of a success answer, allocations of a bulk answer.
n=60000
"$bin" -test.run '^$' -test.bench 'HappyPath/bare$' -test.benchtime "${n}x" \
	-test.cpuprofile "$out/happy-bare.cpu.prof" >/dev/null
"$bin" -test.run '^$' -test.bench 'HappyPath/resilient$' -test.skip 'HappyPath/resilient/limit-off' -test.benchtime "${n}x" \
	-test.cpuprofile "$out/happy.cpu.prof" >/dev/null
"$bin" -test.run '^$' -test.bench 'Overhead/resilient$' -test.skip 'Overhead/resilient/limit-off' -test.benchtime 100000x \
	-test.memprofile "$out/happy.mem.prof" -test.memprofilerate 1 >/dev/null
"$bin" -test.run '^$' -test.bench 'Classify/success/resilient' -test.benchtime 500000x \
	-test.cpuprofile "$out/success.cpu.prof" >/dev/null
"$bin" -test.run '^$' -test.bench 'Classify/bulk50/resilient' -test.benchtime 10000x \
	-test.memprofile "$out/bulk50.mem.prof" -test.memprofilerate 1 >/dev/null
excerpt() { # name, title, pprof arguments...
	local name=$1 title=$2
	shift 2
	{
		echo "$title"
		go tool pprof -top -cum -nodecount 25 "$@" 2>/dev/null | sed -n '/flat%/,$p'
	} >"$out/profile-$name.txt"
}
excerpt 1-happy-cpu "HappyPath: CPU of resilient minus CPU of bare, $n calls each (cumulative)" \
	-diff_base "$out/happy-bare.cpu.prof" "$bin" "$out/happy.cpu.prof"
excerpt 2-happy-allocs "Overhead/resilient, 100000 calls: objects allocated by the library (cumulative; callees outside it folded in)" \
	-show "$lib" -sample_index alloc_objects "$bin" "$out/happy.mem.prof"
excerpt 3-success-cpu "Classify/success/resilient, 500000 calls: CPU of the library (cumulative; callees outside it folded in)" \
	-show "$lib" "$bin" "$out/success.cpu.prof"
excerpt 4-bulk50-allocs "Classify/bulk50/resilient, 10000 calls: objects allocated by the library (cumulative; callees outside it folded in)" \
	-show "$lib" -sample_index alloc_objects "$bin" "$out/bulk50.mem.prof"

echo "== scenarios and report" >&2
# The library's revision: the newest commit that touched its non-test root
# Go files (not the benchmarks, the examples, the tools or the fleets).
root=$(cd .. && pwd)
libfiles() { git -C "$root" ls-files '*.go' | grep -vE '_test\.go$|^(bench|examples|tools)/|^[a-z]*fleet/'; }
rev=$(cd "$root" && git log -1 --format=%h -- $(libfiles) 2>/dev/null || true)
rev=${rev:-unknown}
dirty=$(cd "$root" && git status --porcelain -- $(libfiles) 2>/dev/null | awk '{print $2}' | tr '\n' ' ')
if [ -n "$dirty" ]; then
	rev="$rev, with uncommitted changes to ${dirty% }"
fi
load_end=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo unknown)
rm -f plots/*.png
go run ./cmd/report -bench "$out/round-*.txt" -growth "$out/growth-*.txt" -locks "$out/locks.txt" \
	-profiles "$out" -o RESULTS.md -notes NOTES.md -plots plots -rev "$rev" -benchtime "$benchtime" -growthbenchtime "$growth_benchtime" \
	-load "at the start $load_start; before the scenarios $load_end"
