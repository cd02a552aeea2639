package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"
	"time"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// The generated part of BENCHMARKS.md lies between these lines.
const (
	beginMarker = "<!-- BEGIN make bench: generated, rewritten by every run -->"
	endMarker   = "<!-- END make bench -->"
)

type report struct {
	opts      options
	machine   machine
	goResults map[string]goBench
	plans     map[string]planResult
	startup   startupResult
	sizes     []int
	began     time.Time

	b strings.Builder
}

func (r *report) line(format string, a ...any) { fmt.Fprintf(&r.b, format+"\n", a...) }

func secs(d time.Duration) string { return fmt.Sprintf("%.3f s", d.Seconds()) }

// inProcess returns the in-process wall time per read of a Go benchmark.
func (r *report) inProcess(name string) (goBench, time.Duration, bool) {
	g, ok := r.goResults[name]
	if !ok {
		return g, 0, false
	}
	return g, time.Duration(g.Metrics["ns/op"]), true
}

// planOverBaseline is a case's median plan wall minus the baseline's, or 0
// when the case did not run (the callers show only cases that ran).
func (r *report) planOverBaseline(key string) time.Duration {
	p, ok := r.plans[key]
	if !ok {
		return 0
	}
	return p.wall() - r.plans["baseline"].wall()
}

func mb(kb int64) string { return fmt.Sprintf("%.1f MB", float64(kb)/1024) }

func (r *report) render(vs []verdict) string {
	m := r.machine
	r.line("%s", beginMarker)
	r.line("")
	r.line("Measured %s on %s, %d cores, %.1f GB RAM, Linux %s; %s, %s; load average %s at start; the run took %s.",
		m.Date.Format("2006-01-02 15:04 MST"), m.CPU, m.Cores, m.MemGB, m.Kernel, m.Go, m.Terraform, m.Load, time.Since(r.began).Round(time.Second))
	r.line("Emulator: latency %s plus a uniform 0–%s jitter per answer, rate limit %v requests/s; provider and client at `rate_limit = %v`.",
		bench.Latency, bench.Jitter, bench.RateLimit, bench.RateLimit)
	r.line("T* = L + ⌈n/100⌉ / R with L = %s (the latency without jitter) and R = %v/s.", bench.Latency, bench.RateLimit)
	if !r.opts.full {
		r.line("")
		r.line("**BENCH_FULL=0: the n = 100,000 rows were skipped, and the targets measured there are not checked.**")
	}
	r.line("")
	r.readsTable()
	r.serialTable()
	r.tenTable()
	r.sharedTable()
	r.startupTable()
	r.growthTable()
	r.providerCPUTable()
	r.waitTable()
	r.readinessTable()
	r.targetsTable(vs)
	r.line("%s", endMarker)
	return r.b.String()
}

func (r *report) readsTable() {
	base := r.plans["baseline"]
	r.line("### Reads")
	r.line("")
	r.line("In-process: the client alone (`BenchmarkListing`, `BenchmarkByIDs`), ns/op of `testing.B`. Plan: median of the `terraform plan` walls (%d runs, %d at n = 100,000) minus the median empty-configuration plan (%s, %d runs). Requests and throttled answers are the emulator's counts per read, in-process / plan. RSS and CPU are the provider processes' (peak RSS of the largest, user + system CPU of all %d that Terraform started for one plan).",
		r.opts.reps, r.opts.repsFull, secs(base.wall()), len(base.Runs), r.procCount())
	r.line("")
	r.line("| read | pages | T* | in-process | in-process / T* | plan − baseline | (plan − baseline) / T* | requests | throttled | provider peak RSS | provider CPU |")
	r.line("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	type row struct {
		label, goName, planKey string
		n                      int
	}
	var rows []row
	for _, n := range bench.ListingSizes {
		rows = append(rows, row{fmt.Sprintf("list n = %s", thousands(n)), fmt.Sprintf("BenchmarkListing/n=%d", n), fmt.Sprintf("list/%d", n), n})
	}
	for _, k := range bench.IDListSizes {
		label := fmt.Sprintf("by ID, %s IDs", thousands(k))
		if k == 1 {
			label = "by ID, 1 ID"
		}
		rows = append(rows, row{label, fmt.Sprintf("BenchmarkByIDs/ids=%d", k), fmt.Sprintf("ids/%d", k), k})
	}
	for _, w := range rows {
		pages := bench.Pages(w.n)
		ts := bench.TStar(w.n)
		g, wall, okGo := r.inProcess(w.goName)
		p, okPlan := r.plans[w.planKey]
		if !okGo && !okPlan {
			r.line("| %s | %d | %s | skipped (BENCH_FULL=0) | | | | | | | |", w.label, pages, secs(ts))
			continue
		}
		cells := []string{w.label, fmt.Sprint(pages), secs(ts)}
		if okGo {
			cells = append(cells, secs(wall), fmt.Sprintf("%.3f", wall.Seconds()/ts.Seconds()))
		} else {
			cells = append(cells, "—", "—")
		}
		if okPlan {
			over := r.planOverBaseline(w.planKey)
			cells = append(cells, secs(over), fmt.Sprintf("%.3f", over.Seconds()/ts.Seconds()))
		} else {
			cells = append(cells, "—", "—")
		}
		req, thr := "—", "—"
		if okGo {
			req, thr = fmt.Sprintf("%g", g.Metrics["requests/op"]), fmt.Sprintf("%g", g.Metrics["throttled/op"])
		}
		if okPlan {
			req += " / " + countRange(p.minRequests(), p.maxRequests())
			thr += fmt.Sprintf(" / %d", p.throttled())
			cells = append(cells, req, thr, mb(p.peakRSSKB()), fmt.Sprintf("%.2f s", p.cpu().Seconds()))
		} else {
			cells = append(cells, req, thr, "—", "—")
		}
		r.line("| %s |", strings.Join(cells, " | "))
	}
	if p, ok := r.plans["noop"]; ok {
		over := r.planOverBaseline("noop")
		r.line("| `instance_ids = []` (no request) | 0 | — | — | — | %s | — | — / %d | — / %d | %s | %.2f s |",
			secs(over), p.maxRequests(), p.throttled(), mb(p.peakRSSKB()), p.cpu().Seconds())
	}
	r.line("")
}

func (r *report) procCount() int {
	if p, ok := r.plans["list/100"]; ok {
		return p.procs()
	}
	return 0
}

func countRange(lo, hi int64) string {
	if lo == hi {
		return fmt.Sprint(lo)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

func thousands(n int) string {
	s := fmt.Sprint(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (r *report) serialTable() {
	r.line("### Control: serial paging")
	r.line("")
	r.line("The same listing one page at a time (`cvm.Config{Concurrency: 1}`, `BenchmarkListingSerial`), as a pager that waits for each page before asking for the next does it. n = 100,000 is not run serially: it would take about 1,000 round trips (~105 s) and say nothing n = 10,000 does not.")
	r.line("")
	r.line("| read | T* | parallel (default) | serial | serial / T* | speedup |")
	r.line("|---|--:|--:|--:|--:|--:|")
	for _, n := range bench.SerialSizes {
		_, par, ok1 := r.inProcess(fmt.Sprintf("BenchmarkListing/n=%d", n))
		_, ser, ok2 := r.inProcess(fmt.Sprintf("BenchmarkListingSerial/n=%d", n))
		if !ok1 || !ok2 {
			continue
		}
		ts := bench.TStar(n)
		r.line("| list n = %s | %s | %s | %s | %.2f | %.2f× |", thousands(n), secs(ts), secs(par), secs(ser), ser.Seconds()/ts.Seconds(), ser.Seconds()/par.Seconds())
	}
	r.line("")
}

func (r *report) tenTable() {
	pages := 10 * bench.Pages(tenSize)
	ts := bench.OptimalWall(pages, bench.Latency, bench.RateLimit)
	r.line("### Ten data sources in one configuration")
	r.line("")
	r.line("Ten `cvm_instances_status` data sources of %s instances each, read in parallel by Terraform (default `-parallelism=10`) through one provider process whose rate limiter they share: all over the same region, then each over a region of its own (the service counts requests per account, whatever the region). T* = L + %d pages / R.",
		thousands(tenSize), pages)
	r.line("")
	r.line("| data sources | total plan wall | plan − baseline | T* | (plan − baseline) / T* | requests | throttled | provider peak RSS | provider CPU |")
	r.line("|---|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, c := range []struct{ key, label string }{{"ten", "10 × one region"}, {"ten-regions", "10 × own region"}} {
		p, ok := r.plans[c.key]
		if !ok {
			continue
		}
		over := r.planOverBaseline(c.key)
		r.line("| %s | %s | %s | %s | %.3f | %s | %d | %s | %.2f s |", c.label, secs(p.wall()), secs(over), secs(ts), over.Seconds()/ts.Seconds(),
			countRange(p.minRequests(), p.maxRequests()), p.throttled(), mb(p.peakRSSKB()), p.cpu().Seconds())
	}
	r.line("")
}

func (r *report) sharedTable() {
	r.line("### Processes sharing an account")
	r.line("")
	r.line("K provider processes that share one account's %v requests/s (K aliases of one configuration, each a provider process with a SecretId of its own in one account, as K pipelines would be), each configured above its share and reading %s IDs at once (for reference, one process alone at the service's rate); then one process whose `rate_limit` is above what the service allows. Bound: L + all their pages / the service's rate. In-process: `BenchmarkSharedAccount`, `BenchmarkOverConfigured` (K clients, each with its own limiter). Plan: medians of %d runs; the read span is from the first request to the last answer as the emulator logged them (until the last process finished reading), plan − baseline adds Terraform's own work on %s IDs per process before and after. Requests and throttled answers are the emulator's; the share is the worst run's.",
		bench.RateLimit, thousands(bench.SharedIDs), r.opts.reps, thousands(bench.SharedIDs))
	r.line("")
	r.line("| case | `rate_limit` each | service | pages | bound | in-process | in-process / bound | plan: read span | read span / bound | plan − baseline | requests | throttled | throttled share |")
	r.line("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	for _, w := range sharedRows() {
		bound := w.bound()
		cells := []string{w.label, fmt.Sprintf("%v", w.rate), fmt.Sprintf("%v/s", w.service), fmt.Sprint(w.processes * bench.Pages(bench.SharedIDs)), secs(bound)}
		g, wall, okGo := r.inProcess(w.goName)
		if okGo {
			cells = append(cells, secs(wall), fmt.Sprintf("%.3f", wall.Seconds()/bound.Seconds()))
		} else {
			cells = append(cells, "—", "—")
		}
		p, okPlan := r.plans[w.planKey]
		if okPlan {
			over := r.planOverBaseline(w.planKey)
			if span, ok := p.readSpan(); ok {
				cells = append(cells, secs(span), fmt.Sprintf("%.3f", span.Seconds()/bound.Seconds()), secs(over))
			} else {
				cells = append(cells, "not measured", "—", secs(over))
			}
		} else {
			cells = append(cells, "—", "—", "—")
		}
		req, thr := "—", "—"
		if okGo {
			req, thr = fmt.Sprintf("%g", g.Metrics["requests/op"]), fmt.Sprintf("%g", g.Metrics["throttled/op"])
		}
		share := "—"
		if okPlan {
			req += " / " + countRange(p.minRequests(), p.maxRequests())
			thr += fmt.Sprintf(" / %d", p.throttled())
			if worst, ok := p.throttledShare(); ok {
				share = fmt.Sprintf("%.1f%%", 100*worst)
			}
		}
		r.line("| %s | %s | %s | %s |", strings.Join(cells, " | "), req, thr, share)
	}
	r.line("")
}

func (r *report) startupTable() {
	s := r.startup
	var hs, sc []time.Duration
	size := 0
	for _, d := range s.Direct {
		hs, sc, size = append(hs, d.Handshake), append(sc, d.Schema), d.Bytes
	}
	r.line("### Provider start-up")
	r.line("")
	r.line("Direct: the driver starts the provider binary with Terraform's handshake cookie and sends it GetProviderSchema over its gRPC socket (plain text: no AutoMTLS certificate, which Terraform adds). `terraform providers schema -json`: the whole command against the dev_overrides build, Terraform's own start included. Medians of %d and %d runs.",
		len(s.Direct), len(s.SchemaWalls))
	r.line("")
	r.line("| exec → handshake | exec → GetProviderSchema answered | schema size | `terraform providers schema -json` | `terraform plan`, empty configuration | binary size |")
	r.line("|--:|--:|--:|--:|--:|--:|")
	r.line("| %.1f ms | %.1f ms | %.1f KB | %.0f ms | %.0f ms | %.1f MB |", ms(median(hs)), ms(median(sc)), float64(size)/1024,
		ms(median(s.SchemaWalls)), ms(r.plans["baseline"].wall()), float64(s.BinaryBytes)/(1<<20))
	r.line("")
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

func (r *report) growthTable() {
	r.line("### Growth with n (listings)")
	r.line("")
	r.line("Per page: in-process wall beyond the first round trip, divided by the pages after the first (the rate limit alone allows one every %.0f ms). Per instance: client allocations in-process, and the provider process's CPU and RSS above the `instance_ids = []` plan. Each factor is the growth from the row above, for 10× the pages.",
		1000/bench.RateLimit)
	r.line("")
	r.line("| n | requests | ms per page after the first | client B / instance | provider CPU | ×  | provider RSS | × | provider CPU µs / instance | provider RSS bytes / instance |")
	r.line("|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|")
	noop, hasNoop := r.plans["noop"]
	var prevCPU, prevRSS float64
	for _, n := range r.sizes {
		g, wall, okGo := r.inProcess(fmt.Sprintf("BenchmarkListing/n=%d", n))
		p, okPlan := r.plans[fmt.Sprintf("list/%d", n)]
		if !okGo || !okPlan {
			continue
		}
		requests := cvm.ListingRequests(n)
		perPage := "—"
		if requests > 1 {
			perPage = fmt.Sprintf("%.1f", (wall.Seconds()-2*bench.Latency.Seconds())*1000/float64(requests-1))
		}
		cpu, rss := p.cpu().Seconds(), float64(p.peakRSSKB())*1024
		cpuX, rssX := "—", "—"
		if prevCPU > 0 {
			cpuX, rssX = fmt.Sprintf("%.1f", cpu/prevCPU), fmt.Sprintf("%.1f", rss/prevRSS)
		}
		prevCPU, prevRSS = cpu, rss
		cpuPer, rssPer := "—", "—"
		if hasNoop && n >= 1_000 { // below, the fixed cost and its noise dominate
			cpuPer = fmt.Sprintf("%.1f", (cpu-noop.cpu().Seconds())*1e6/float64(n))
			rssPer = fmt.Sprintf("%.0f", (rss-float64(noop.peakRSSKB())*1024)/float64(n))
		}
		r.line("| %s | %g | %s | %.0f | %.2f s | %s | %s | %s | %s | %s |", thousands(n), g.Metrics["requests/op"], perPage,
			g.Metrics["B/op"]/float64(n), cpu, cpuX, mb(p.peakRSSKB()), rssX, cpuPer, rssPer)
	}
	r.line("")
	r.line("The first round trip is counted twice in \"ms per page\": a listing learns TotalCount from the first page before it can ask for the others, so its wall is 2 L + (P − 2) / R rather than L + (P − 1) / R.")
	r.line("")
}

func (r *report) providerCPUTable() {
	r.line("### The provider's own work (BenchmarkProviderRead)")
	r.line("")
	r.line("The provider's side of one plan's read through its protocol 6 server (validate, read, convert to state, msgpack-encode), the answers served from memory with no latency and no rate limit: CPU-bound, in one process.")
	r.line("")
	r.line("| n | wall per read | allocated per read | allocations per read | bytes / instance | allocations / instance | state (msgpack) |")
	r.line("|--:|--:|--:|--:|--:|--:|--:|")
	for _, n := range []int{10_000, bench.FullSize} {
		g, wall, ok := r.inProcess(fmt.Sprintf("BenchmarkProviderRead/n=%d", n))
		if !ok {
			r.line("| %s | skipped (BENCH_FULL=0) | | | | | |", thousands(n))
			continue
		}
		r.line("| %s | %s | %.1f MB | %s | %.0f | %.0f | %.1f MB |", thousands(n), secs(wall), g.Metrics["B/op"]/(1<<20),
			thousands(int(g.Metrics["allocs/op"])), g.Metrics["B/op"]/float64(n), g.Metrics["allocs/op"]/float64(n), g.Metrics["state-bytes"]/(1<<20))
	}
	r.line("")
}

func (r *report) waitTable() {
	r.line("### The action's wait (BenchmarkWait)")
	r.line("")
	r.line("One wait of %s instances through %d polls, %s apart, every poll moving a share of them from STARTING to RUNNING, through the provider's protocol 6 server: as the data source's read with `wait_for_states` and as the `cvm_instances_wait` action's invocation, the answers served from memory (the service's own work is in both rows alike). Per poll: allocated bytes and CPU of the whole process.",
		thousands(bench.WaitSize), bench.WaitPolls, "20 ms")
	r.line("")
	r.line("| wait | wall per wait | polls | allocated per poll | CPU per poll | progress messages | closest two |")
	r.line("|---|--:|--:|--:|--:|--:|--:|")
	for _, way := range []string{"data-source", "action"} {
		g, wall, ok := r.inProcess(fmt.Sprintf("BenchmarkWait/%s/n=%d", way, bench.WaitSize))
		if !ok {
			r.line("| %s | not run | | | | | |", way)
			continue
		}
		messages, gap := "", ""
		if way == "action" {
			messages, gap = fmt.Sprintf("%.1f (%.2f/s)", g.Metrics["messages/op"], g.Metrics["messages/s"]), fmt.Sprintf("%.0f ms", g.Metrics["min-gap-ms"])
		}
		r.line("| %s | %s | %.0f | %.2f MB | %.1f ms | %s | %s |", way, secs(wall), g.Metrics["polls/op"], g.Metrics["B/poll"]/(1<<20), g.Metrics["cpu-ms/poll"], messages, gap)
	}
	r.line("")
}

// targetsTable is the verdicts, with what they assert and what they do
// not.
func (r *report) targetsTable(vs []verdict) {
	r.line("### Targets")
	r.line("")
	r.line("Asserted: the rows below. cvm-bench exits with status 1, after writing this report, when one is **no**, or **not measured** although its case ran (a figure missing from the Go benchmarks' output or from the emulator's log, or not positive). A row whose cases an option left out (BENCH_FULL=0, `-only`, `-gobench=false`) says which and does not fail the run; a row over several reads or measures says how many ran when not all did. The tables above are reported: of their figures only those these rows name are asserted. For processes sharing an account that is the read span; plan − baseline and the in-process wall are reported beside it.")
	r.line("")
	r.line("| target | measured | met |")
	r.line("|---|---|---|")
	for _, v := range vs {
		r.line("| %s | %s | %s |", v.target, v.measured, v.shown())
	}
	r.line("")
}

// conclude judges the run, prints the report on stdout and writes it into
// path (nowhere when path is empty), and returns an error when a verdict
// fails the run: cvm-bench then exits with status 1, the report written all
// the same, so that a miss is on record.
func conclude(r *report, path string, stdout io.Writer) error {
	vs := judge(r.results())
	text := r.render(vs)
	if _, err := fmt.Fprint(stdout, "\n"+text); err != nil {
		return err
	}
	if path != "" {
		if err := writeReport(path, text); err != nil {
			return err
		}
		step("wrote %s (took %s)", path, time.Since(r.began).Round(time.Second))
	}
	skipped := 0
	for _, v := range vs {
		if v.outcome == targetNotMeasured && v.skippedBy != "" {
			skipped++
		}
	}
	if skipped > 0 {
		step("%d of %d targets not measured: options left out their cases, so this run does not show them met", skipped, len(vs))
	}
	return unmet(vs)
}

// results are what the run measured, and what it was asked to.
func (r *report) results() runResults {
	return runResults{full: r.opts.full, goBench: r.opts.goBench, only: r.opts.only, goResults: r.goResults, plans: r.plans}
}

// writeReport puts text between the markers of path, keeping the rest; a
// missing file (or one without markers) gets a title and the text.
func writeReport(path, text string) error {
	old, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	s := string(old)
	i, j := strings.Index(s, beginMarker), strings.Index(s, endMarker)
	var out string
	if i >= 0 && j > i {
		out = s[:i] + text + strings.TrimPrefix(s[j+len(endMarker):], "\n")
	} else {
		out = "# Benchmarks\n\nRun `make bench` (see internal/bench).\n\n" + text + s
	}
	return os.WriteFile(path, []byte(out), 0o644)
}
