package main

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"github.com/cvmkit/terraform-provider-cvm/internal/bench"
)

// The verdicts of a run are a pure function of what it measured (judge,
// in targets.go): each target is met, missed, or not measured, over the
// parts of it that ran. What is not there, or not a value a measurement can
// have (a time, a size or a count of requests of 0 or less), is not
// measured: never taken for a pass.

// outcome is a verdict's answer.
type outcome int

const (
	targetNotMeasured outcome = iota // the zero verdict: nothing shows the target met
	targetMet
	targetMissed
)

// verdict is one row of the Targets table.
type verdict struct {
	target   string
	measured string // the figures; or what is missing; or which option left them out
	outcome  outcome
	// scope is what a verdict covers when some of its parts ran and an
	// option left out the others: "14 of 27 reads ran; -gobench=false left
	// out 13".
	scope string
	// skippedBy, for a target not measured, names the options that left out
	// all it needs (BENCH_FULL=0, -only, -gobench=false); empty when what it
	// needs should have been measured and was not.
	skippedBy string
}

// fails reports whether the verdict fails the run: not met, or not
// measured although nothing left its measurements out on purpose.
func (v verdict) fails() bool {
	return v.outcome == targetMissed || v.outcome == targetNotMeasured && v.skippedBy == ""
}

// shown is the verdict's cell in the Targets table.
func (v verdict) shown() string {
	switch {
	case v.outcome == targetMet && v.scope != "":
		return "yes (" + v.scope + ")"
	case v.outcome == targetMet:
		return "yes"
	case v.outcome == targetMissed:
		return "**no**"
	case v.skippedBy != "":
		return "not measured (" + v.skippedBy + ")"
	}
	return "**not measured**"
}

// unmet is the error a run ends with when a verdict fails it.
func unmet(vs []verdict) error {
	var failed []string
	for _, v := range vs {
		if v.fails() {
			failed = append(failed, fmt.Sprintf("%s: %s (%s)", v.target, strings.Trim(v.shown(), "*"), v.measured))
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return fmt.Errorf("%d of %d targets not met or not measured:\n  %s", len(failed), len(vs), strings.Join(failed, "\n  "))
}

// runResults is what a run measured, and what it was asked to measure.
type runResults struct {
	full      bool           // BENCH_FULL: the 100,000-instance cases
	goBench   bool           // the in-process Go benchmarks
	only      *regexp.Regexp // the plan cases run, by key; nil: all
	goResults map[string]goBench
	plans     map[string]planResult
}

// goSkip is the option that left out a Go benchmark over size instances,
// or "" if it was to run.
func (rr runResults) goSkip(size int) string {
	switch {
	case !rr.goBench:
		return "-gobench=false"
	case size >= bench.FullSize && !rr.full:
		return "BENCH_FULL=0"
	}
	return ""
}

// planSkip is the option that left out a plan case, or "" if it was to run.
func (rr runResults) planSkip(key string, size int) string {
	switch {
	case size >= bench.FullSize && !rr.full:
		return "BENCH_FULL=0"
	case rr.only != nil && key != "baseline" && !rr.only.MatchString(key):
		return "-only"
	}
	return ""
}

// figure is one measurement a target needs.
type figure struct {
	name    string // for "missing: …"
	value   float64
	ok      bool   // measured, and a value a measurement can have
	skipped string // when not measured: the option that left it out
}

// goFigure is unit of a Go benchmark, measured when it is there and
// positive (a time, a size, a count of requests that must be sent); zeroOK
// lets 0 count, for throttled answers.
func (rr runResults) goFigure(name, unit string, size int, zeroOK bool) figure {
	f := figure{name: name + " " + unit}
	g, ran := rr.goResults[name]
	if !ran {
		f.skipped = rr.goSkip(size)
		return f
	}
	f.value, f.ok = g.Metrics[unit]
	f.ok = f.ok && (f.value > 0 || zeroOK && f.value == 0)
	return f
}

// planFigure is what get takes from a plan case's runs; get reports whether
// they hold it.
func (rr runResults) planFigure(key string, size int, what string, get func(planResult) (float64, bool)) figure {
	f := figure{name: "plan " + key + " " + what}
	p, ran := rr.plans[key]
	if !ran {
		f.skipped = rr.planSkip(key, size)
		return f
	}
	if len(p.Runs) > 0 {
		f.value, f.ok = get(p)
	}
	return f
}

// Getters for planFigure.
func planWall(p planResult) (float64, bool) { return p.wall().Seconds(), p.wall() > 0 }
func planCPU(p planResult) (float64, bool)  { return p.cpu().Seconds(), p.cpu() > 0 }
func planRSSKB(p planResult) (float64, bool) {
	return float64(p.peakRSSKB()), p.peakRSSKB() > 0
}
func planThrottled(p planResult) (float64, bool)      { return float64(p.throttled()), true }
func planThrottledShare(p planResult) (float64, bool) { return p.throttledShare() }
func planReadSpan(p planResult) (float64, bool) {
	span, ok := p.readSpan()
	return span.Seconds(), ok
}

// minus is a − b, measured when both are and the difference is positive:
// what is left of a cost once a fixed part is taken out.
func minus(a, b figure) figure {
	switch {
	case !a.ok:
		return a
	case !b.ok:
		return b
	}
	return figure{name: a.name + " − " + b.name, value: a.value - b.value, ok: a.value > b.value}
}

// parts tallies what one target covers. Each part (a read, a measure of
// growth, or the target's single figure) was measured, left out by an
// option, or is missing.
type parts struct {
	noun       string // what a part is, for the scope: "reads"
	total, ran int
	skipped    map[string]int // parts left out, by the option that left them out
	missing    []string       // figures that should have been measured and were not
}

// need adds a part that needs figs, and reports whether all were measured.
func (ps *parts) need(figs ...figure) bool {
	ps.total++
	for _, f := range figs {
		if !f.ok && f.skipped != "" {
			if ps.skipped == nil {
				ps.skipped = map[string]int{}
			}
			ps.skipped[f.skipped]++
			return false
		}
	}
	measured := true
	for _, f := range figs {
		if !f.ok {
			ps.missing = append(ps.missing, f.name)
			measured = false
		}
	}
	if measured {
		ps.ran++
	}
	return measured
}

// verdict is the target's verdict over the parts that ran: figures is what
// they measured, ok whether that meets the target.
func (ps *parts) verdict(target, figures string, ok bool) verdict {
	v := verdict{target: target, measured: figures}
	missing := "missing: " + strings.Join(ps.missing, ", ")
	switch {
	case ps.ran > 0 && !ok:
		v.outcome = targetMissed
		if len(ps.missing) > 0 {
			v.measured += "; " + missing
		}
	case len(ps.missing) > 0:
		v.measured = missing
	case ps.ran == 0:
		v.skippedBy = strings.Join(slices.Sorted(maps.Keys(ps.skipped)), ", ")
		v.measured = "left out by " + v.skippedBy
	default:
		v.outcome = targetMet
		if ps.ran < ps.total {
			var by []string
			for _, opt := range slices.Sorted(maps.Keys(ps.skipped)) {
				by = append(by, fmt.Sprintf("%s left out %d", opt, ps.skipped[opt]))
			}
			v.scope = fmt.Sprintf("%d of %d %s ran; %s", ps.ran, ps.total, ps.noun, strings.Join(by, ", "))
		}
	}
	return v
}
