#!/usr/bin/env bash
# Runs the provider's benchmarks (internal/provider/performance_test.go) and
# prints their figures as one table, each beside what it is compared with and
# the ratio between the two. The progress and the raw `go test` output go to
# stderr; the table goes to stdout.
#
# Run it with `make bench`, which makes sure a Terraform CLI exists and passes
# it in as TERRAFORM. It needs Linux (peak-rss reads the provider's peak RSS
# from the kernel) and takes a few minutes. Everything runs on loopback
# against emulators the benchmarks start themselves; Terraform's version check
# is off and its CLI configuration is a temporary file.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

terraform="${TERRAFORM:-$(command -v terraform || true)}"
if [[ -z "$terraform" || ! -x "$terraform" ]]; then
	echo "bench: no Terraform CLI found; run 'make bench', which installs one into bin/" >&2
	exit 1
fi
if [[ "$(uname -s)" != Linux ]]; then
	echo "bench: the benchmark measures memory the Linux way and runs on Linux only" >&2
	exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
raw="$work/raw.txt"

echo "==> Building the provider and peak-rss" >&2
go build -o "$work/terraform-provider-clc" .
go build -o "$work/peak-rss" ./scripts/peak-rss

export BENCH_PROVIDER_BINARY="$work/terraform-provider-clc"
export BENCH_PEAK_RSS="$work/peak-rss"
export TF_ACC_TERRAFORM_PATH="$terraform"
export CHECKPOINT_DISABLE=1
# Terraform reads no CLI configuration but the benchmarks' own (which they pass
# to each plan); this empty one is for `terraform version` below.
: >"$work/terraformrc"
export TF_CLI_CONFIG_FILE="$work/terraformrc"

# bench PATTERN TIMES COUNT runs the benchmarks that match PATTERN COUNT times
# over, each time for TIMES iterations. Where a benchmark ran more than once,
# the table shows the median, which other work on the machine disturbs least.
# A benchmark that fails still leaves the others' figures in the table, and
# the script then exits with status 1.
failed=0
bench() {
	echo "==> go test ./internal/provider -run '^\$' -bench '$1' -benchtime $2 -count $3 -benchmem" >&2
	if ! go test ./internal/provider -run '^$' -bench "$1" -benchtime "$2" -count "$3" -benchmem \
		-timeout 30m | tee -a "$raw" >&2; then
		failed=1
	fi
}

# Three rounds of case 1, each running the floor and what is compared with it
# one after the other, so that a change of load affects both alike.
for _ in 1 2 3; do
	bench '^BenchmarkDecodeMap$' 10x 1
done
bench '^BenchmarkStateSet$' 1x 1
bench '^BenchmarkPagedRead$' 3x 1
bench '^BenchmarkPlan$/^data-sources=' 3x 1
bench '^BenchmarkPlan$/^executions=' 1x 1

cores="$(nproc)"
memory="$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
cpu="$(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"

echo
echo "Date:      $(date -u '+%Y-%m-%d %H:%M UTC')"
echo "Machine:   ${cpu:-unknown CPU}, $cores cores, $memory memory"
echo "Software:  $(go version | cut -d' ' -f3-), $("$terraform" version | head -n 1)"
echo "Command:   make bench (scripts/bench.sh)"
echo

awk -f scripts/bench-table.awk "$raw"

if [[ $failed -ne 0 ]]; then
	echo "bench: a benchmark failed; its output is above the table" >&2
fi
exit "$failed"
