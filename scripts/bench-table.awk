# Turns the output of the benchmarks in internal/provider/performance_test.go
# into one Markdown table: each figure beside what it is compared with, the
# ratio between the two and, where the performance guide sets one, the target.
# A benchmark run more than once (-count) shows the median of each figure.
# Used by scripts/bench.sh.

/^Benchmark/ {
	name = $1
	sub(/-[0-9]+$/, "", name)
	seen[name] = 1
	for (i = 3; i < NF; i += 2) {
		k = ++runs[name, $(i + 1)]
		all[name, $(i + 1), k] = $i
		units[name, $(i + 1)] = 1
	}
}

# median returns the median of the n values all[key, 1..n].
function median(key, n,    i, j, t, a) {
	for (i = 1; i <= n; i++) {
		a[i] = all[key, i] + 0
	}
	for (i = 2; i <= n; i++) {
		for (j = i; j > 1 && a[j - 1] > a[j]; j--) {
			t = a[j]; a[j] = a[j - 1]; a[j - 1] = t
		}
	}
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

function ms(ns) { return sprintf("%.0f ms", ns / 1e6) }
function mb(bytes) { return sprintf("%.1f MB", bytes / 1e6) }
function count(n) { return n >= 1e6 ? sprintf("%.2fM", n / 1e6) : sprintf("%.0fk", n / 1e3) }
function ratio(a, b) { return b > 0 ? sprintf("%.2fx", a / b) : "n/a" }
function verdict(ok) { return ok ? "met" : "**missed**" }

function row(c, what, figure, compared, r, target) {
	printf "| %s | %s | %s | %s | %s | %s |\n", c, what, figure, compared, r, target
}

# measured prints a missing benchmark as such, so a gap in the table shows.
function measured(name) {
	if (!(name in seen)) {
		row("", name, "not run", "", "", "")
		return 0
	}
	return 1
}

# decode prints the time, memory and allocations of name against floor.
function decode(c, what, name, floor, target,    t, f) {
	if (!measured(name) || !measured(floor)) {
		return
	}
	t = v[name, "ns/op"]; f = v[floor, "ns/op"]
	if (target != "") {
		target = target ": " verdict(t <= 2 * f)
	}
	row(c, what,
		ms(t) ", " mb(v[name, "B/op"]) ", " count(v[name, "allocs/op"]) " allocs",
		"floor: " ms(f) ", " mb(v[floor, "B/op"]) ", " count(v[floor, "allocs/op"]) " allocs",
		ratio(t, f) ", " ratio(v[name, "B/op"], v[floor, "B/op"]) ", " \
			ratio(v[name, "allocs/op"], v[floor, "allocs/op"]),
		target)
}

function stateSet(what, name, base) {
	if (!measured(name) || !measured(base)) {
		return
	}
	row(1, what,
		ms(v[name, "ns/op"]) ", " mb(v[name, "B/op"]) ", " count(v[name, "allocs/op"]) " allocs",
		"Terraform values: " ms(v[base, "ns/op"]) ", " mb(v[base, "B/op"]) ", " \
			count(v[base, "allocs/op"]) " allocs",
		ratio(v[name, "ns/op"], v[base, "ns/op"]) ", " ratio(v[name, "B/op"], v[base, "B/op"]) ", " \
			ratio(v[name, "allocs/op"], v[base, "allocs/op"]),
		"")
}

function paged(what, name, target,    wall, ideal) {
	if (!measured(name)) {
		return
	}
	wall = v[name, "wall-ms"]; ideal = v[name, "ideal-ms"]
	if (target != "") {
		target = target ": " verdict(wall <= 1.3 * ideal)
	}
	row(2, what, sprintf("%.0f ms", wall),
		sprintf("ideal %.0f ms; serial %.0f ms", ideal, v[name, "serial-ms"]),
		ratio(wall, ideal) " of ideal; " ratio(wall, v[name, "serial-ms"]) " of serial", target)
}

function plan(what, name, base,    requests, expected, compared, r) {
	if (!measured(name)) {
		return
	}
	requests = v[name, "requests"]; expected = v[name, "expected-requests"]
	compared = sprintf("1 login + 1 per page: %d requests", expected)
	r = ratio(requests, expected) " of requests"
	if (base != "" && (base in seen)) {
		compared = compared "; 1 data source: " sprintf("%.2f s", v[base, "ns/op"] / 1e9)
		r = r "; " ratio(v[name, "ns/op"], v[base, "ns/op"]) " of time"
	}
	row(3, what, sprintf("%.2f s, %d requests", v[name, "ns/op"] / 1e9, requests), compared, r,
		"requests exact: " verdict(requests == expected))
}

END {
	for (key in units) {
		v[key] = median(key, runs[key])
	}

	print "| case | measurement | figure | compared with | ratio | target |"
	print "| --- | --- | --- | --- | --- | --- |"

	base = "BenchmarkDecodeMap/shared-recaps/"
	decode(1, "encoding/json into plain Go structs, 10,000 executions x 10 hosts (the floor)",
		base "floor", base "floor", "")
	decode(1, "client decode", base "decode", base "floor", "")
	decode(1, "client decode + map to the state value", base "decode-map", base "floor", "time <= 2x")
	base = "BenchmarkDecodeMap/distinct-recaps/"
	decode(1, "the same with no two host recaps alike: decode + map",
		base "decode-map", base "floor", "")

	base = "BenchmarkStateSet/terraform-values"
	stateSet("into a state: Terraform values, as Read does", base, base)
	stateSet("into a state: framework attr values and State.Set",
		"BenchmarkStateSet/attr-values", base)
	stateSet("into a state: Go struct model and reflecting State.Set",
		"BenchmarkStateSet/reflected-model", base)

	paged("50,000 executions, pages of 100, 20 ms a request, 4 at a time: client",
		"BenchmarkPagedRead/parallel=4/client", "<= 1.3x ideal")
	paged("the same through Read, state included", "BenchmarkPagedRead/parallel=4/read", "")
	paged("16 at a time: client", "BenchmarkPagedRead/parallel=16/client", "")
	paged("16 at a time: through Read", "BenchmarkPagedRead/parallel=16/read", "")

	plan("terraform plan, 1 data source (1,000 executions)", "BenchmarkPlan/data-sources=1", "")
	plan("terraform plan, 25 data sources (1,000 executions each)", "BenchmarkPlan/data-sources=25",
		"BenchmarkPlan/data-sources=1")

	name = "BenchmarkPlan/executions=50000"
	if (measured(name)) {
		row(4, "terraform plan of case 2's job: peak RSS of the provider process",
			sprintf("%.0f MiB (plan %.1f s, %d requests)", v[name, "peak-rss-MiB"], v[name, "ns/op"] / 1e9,
				v[name, "requests"]),
			sprintf("JSON read: %.1f MiB", v[name, "json-MiB"]),
			ratio(v[name, "peak-rss-MiB"], v[name, "json-MiB"]) " of the JSON",
			"requests exact: " verdict(v[name, "requests"] == v[name, "expected-requests"]))
	}
}
