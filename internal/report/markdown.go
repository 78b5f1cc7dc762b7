package report

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/authbench/authbench/internal/figure"
	"github.com/authbench/authbench/internal/results"
)

// ReportFile is the name of the report in a run folder.
const ReportFile = "report.md"

// noisySpread is the throughput range over repeats, relative to the
// median, above which a backend's figures are flagged as noisy: beyond
// 10 %, differences between backends of that size are not to be trusted.
const noisySpread = 0.10

// Render reads the run folder dir, draws every chart into it as PNG and
// SVG, and writes dir/report.md. It runs nothing: it only reads
// summary.json and the histogram logs.
func Render(dir string) error {
	st, err := os.Stat(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no such run folder", dir)
		}
		return err
	}
	if !st.IsDir() {
		return fmt.Errorf("%s: not a folder", dir)
	}
	s, err := results.ReadSummary(dir)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("%s: no %s (not a run folder, or the run did not finish writing)", dir, results.SummaryFile)
		}
		return err
	}
	figs, skips := Charts(dir, s)
	var drawn []*figure.Figure
	for _, f := range figs {
		if err := f.Save(dir); err != nil {
			skips = append(skips, Skip{Chart: f.Title, Reason: err.Error()})
			continue
		}
		drawn = append(drawn, f)
	}
	out, err := os.Create(filepath.Join(dir, ReportFile))
	if err != nil {
		return err
	}
	if err := WriteMarkdown(out, s, drawn, skips); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// WriteMarkdown writes report.md for s, embedding the charts figs (saved
// next to it) and listing the charts that were not drawn. Everything in it
// comes from s, so the same summary always gives the same report.
func WriteMarkdown(w io.Writer, s *results.Summary, figs []*figure.Figure, skips []Skip) error {
	v := newView(s)
	bw := bufio.NewWriter(w)
	p := func(format string, args ...any) { fmt.Fprintf(bw, format, args...) }

	p("# authbench report: %s\n\n", s.Scenario)
	if s.Description != "" {
		p("%s\n\n", s.Description)
	}
	p("| | |\n|---|---|\n")
	scen := s.Scenario
	if s.File != "" {
		scen += " (`" + s.File + "`)"
	}
	p("| scenario | %s |\n", cell(scen))
	p("| started | %s |\n", s.StartedAt.UTC().Format(time.RFC3339))
	if !s.FinishedAt.IsZero() {
		p("| finished | %s (%s) |\n", s.FinishedAt.UTC().Format(time.RFC3339), s.FinishedAt.Sub(s.StartedAt).Round(time.Second))
	}
	m := s.Machine
	p("| machine | %d CPUs (GOMAXPROCS %d), %s/%s, %s |\n", m.CPUs, m.GOMAXPROCS, m.OS, m.Arch, m.Go)
	p("| authbench | %s |\n", cell(orUnknown(s.Version)))
	p("| what was run | %s |\n", cell(v.whatWasRun()))
	p("| headline point | %s: %s |\n", cell(pointLabel(v.headline)), headlineRule)
	p("| state | %s |\n", v.state())
	p("\n")

	warnings := v.warnings()
	p("## Warnings\n\n")
	if len(warnings) == 0 {
		p("None.\n\n")
	}
	for _, w := range warnings {
		p("- %s\n", w)
	}
	if len(warnings) > 0 {
		p("\n")
	}

	p("## Claims checked\n\n")
	p("Each claim of the source note, the figures of this run that bear on it%s, and the verdict of the rule written for it (see `internal/report/claims.go`).\n\n", v.where())
	p("Verdicts: *supported* or *refuted* when the numbers decide it; *supported with qualification* when they decide it one way for some backends and the other way for others; *inconclusive* when the run measured the right things but too few times (differences need %d repeats) or too noisily; *not measured* when the run lacked what the rule needs. Only fault-free runs count.\n\n", minRepeats)
	p("| claim | evidence | verdict | would be refuted by |\n|---|---|---|---|\n")
	for _, c := range CheckClaims(s) {
		p("| %s | %s | **%s** | %s |\n", cell(c.Claim), cell(c.Evidence), c.Verdict, cell(c.Refutation))
	}
	p("\n")
	if left := Faults(s); len(left) > 0 {
		p("Runs left out of the verdicts:\n\n")
		for _, l := range left {
			p("- run %s (%s, repeat %d): %s\n", l.ID, l.Backend, l.Repeat, l.Reason)
		}
		p("\n")
	}

	writeFits(p, s, v)

	p("## Results per parameter point\n\n")
	p("Medians over repeats; throughput as median ± the %.0f%% confidence interval (benchstat style: ± ∞ when there are too few repeats for one). Errors (per operation), false accepts and false rejects are summed over repeats. Exposure p99 is the time from a revocation to the last accepted replay of that credential. Round trips and local look-ups per validation are counted during the run (a go-redis hook; the in-process stores' own counters; cached reads are not round trips); the declared figure is what each backend says of its design (`authbench list`). CPU µs per validation is authbench's own CPU time (validator and load generator together, getrusage) and, after +, the redis-server's (INFO cpu), over the load; cores per 100k validations/s = µs ÷ 10.%s\n\n", confidence*100, cpuChartRef(figs))
	for _, pt := range v.points {
		p("### %s\n\n", pointLabel(pt))
		p("| backend | runs | validations/s | p50 | p99 | p99.9 | errors | false accepts | false rejects | exposure p99 | token bytes | round trips/validation (counted) | local look-ups/validation (counted) | store look-ups/validation (declared) | CPU µs/validation |\n")
		p("|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
		for _, b := range v.backends {
			st, ok := v.stats[pt][b]
			if !ok {
				continue
			}
			exp := "–"
			if st.hasReplays() {
				exp = fmtMS(st.expP99)
			}
			m := v.measured(pt, b)
			rt, ll, cpu := "–", "–", "–"
			if m.counted {
				rt, ll = fmtPer(m.roundTrips), fmtPer(m.localLookups)
				if m.hitRatio > 0 {
					rt += fmt.Sprintf(" (%s cache hits)", fmtPct(m.hitRatio))
				}
			}
			if m.cpuOK {
				cpu = sig3(m.procUS)
				if m.storeOK {
					cpu += " + " + sig3(m.storeUS) + " store"
				}
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
				b, st.n, fmtCI(st.thr), fmtNS(st.p50), fmtNS(st.p99), fmtNS(st.p999),
				v.opErrors(pt, b), fmtInt(st.falseAccepts), fmtInt(st.falseRejects),
				exp, trimFloat(math.Round(st.tokenBytes)), rt, ll, trimFloat(st.lookups), cpu)
		}
		p("\n")
	}

	writeWire(p, s)
	writeQuestions(p, s, v)

	p("## Charts\n\n")
	for _, f := range figs {
		p("### %s\n\n", f.Title)
		p("![%s](%s.png)\n\n", f.Title, f.Name)
		if f.Caption != "" {
			p("%s", f.Caption)
		}
		p(" Also as [SVG](%s.svg).\n\n", f.Name)
		for _, n := range f.Notes {
			p("- %s\n", n)
		}
		if len(f.Notes) > 0 {
			p("\n")
		}
	}
	if len(skips) > 0 {
		p("### Charts not drawn\n\n")
		for _, sk := range skips {
			p("- %s: %s.\n", sk.Chart, strings.TrimSuffix(sk.Reason, "."))
		}
		p("\n")
	}
	return bw.Flush()
}

// cpuChartRef points from the results table to the chart that sets CPU
// cost against exposure, when it was drawn.
func cpuChartRef(figs []*figure.Figure) string {
	for _, f := range figs {
		if f.Name == "tradeoff-cpu" {
			return fmt.Sprintf(" The chart *%s* below sets the CPU cost against the exposure of revoked credentials.", f.Title)
		}
	}
	return ""
}

// whatWasRun summarises the plan: backends × points × repeats, the model
// and the sweep.
func (v *view) whatWasRun() string {
	models := map[string]bool{}
	for _, r := range v.s.Runs {
		if r.Model != "" {
			models[r.Model] = true
		}
	}
	out := v.planShape()
	if ms := sortedKeys(models); len(ms) > 0 {
		out += ", " + strings.Join(ms, "/") + " model"
	}
	if len(v.s.Sweep) > 0 {
		out += ", sweep over " + strings.Join(v.s.Sweep, ", ")
	}
	var durs []float64
	for _, r := range v.s.Runs {
		durs = append(durs, r.DurationS)
	}
	if d := median(durs); d > 0 {
		out += fmt.Sprintf(", %s measured per run", time.Duration(d*float64(time.Second)).Round(time.Millisecond))
	}
	out += "; backends: " + strings.Join(v.backends, ", ")
	return out
}

func (v *view) state() string {
	var flags []string
	switch {
	case v.s.State == results.StateIncomplete:
		flags = append(flags, "**incomplete** ("+v.s.Reason+")")
	case v.s.Interrupted: // also in folders written before the state field
		reason := "a signal cut the run short"
		if v.s.Reason != "" {
			reason = v.s.Reason
		}
		flags = append(flags, "**interrupted** ("+reason+")")
	}
	if v.s.Degraded {
		flags = append(flags, "**degraded** (a store failed during a run)")
	}
	if len(flags) == 0 {
		return "complete"
	}
	return strings.Join(flags, ", ")
}

// warnings lists every caveat a careful reader needs, in a fixed order:
// the run's own warnings, then what the report finds in the numbers.
func (v *view) warnings() []string {
	var out []string
	out = append(out, v.s.Warnings...)
	if v.s.Interrupted {
		out = append(out, "The run was interrupted: the figures cover only what was measured before the signal, and some points may have fewer repeats than planned.")
	}
	if v.s.Degraded {
		out = append(out, "A store failed during the run: errors are counted in the tables, and latencies of the affected backend include failed requests.")
	}
	for _, b := range v.s.Backends {
		if b.Skipped != "" {
			msg := fmt.Sprintf("Backend %s was skipped: %s.", b.Name, strings.TrimSuffix(b.Skipped, "."))
			if !contains(out, msg) {
				out = append(out, msg)
			}
		}
	}
	out = append(out, v.machineWarnings()...)
	// Too few repeats for a confidence interval: benchmath says how many
	// it needs.
	minN := math.MaxInt
	var need string
	for _, pt := range v.gridPoints() { // extra points state their repeats in the plan line
		for _, b := range v.backends {
			if st, ok := v.stats[pt][b]; ok && st.n < minN {
				minN = st.n
				need = ""
				for _, w := range st.thr.Warnings {
					need = w.Error()
				}
			}
		}
	}
	if need != "" {
		out = append(out, fmt.Sprintf("%d repeat(s) per point: too few for a confidence interval of the median (%s); throughput shows ± ∞, and differences between backends cannot be tested for significance.", minN, need))
	}
	for _, pt := range v.points {
		for _, b := range v.backends {
			st, ok := v.stats[pt][b]
			if !ok {
				continue
			}
			where := b
			if pt != "" {
				where += " at " + pt
			}
			if sp := st.spread(); sp > noisySpread {
				out = append(out, fmt.Sprintf("Noisy: %s: throughput ranges over %s of its median across repeats (%s/s to %s/s).",
					where, fmtPct(sp), fmtCount(st.thrVals[0]), fmtCount(st.thrVals[len(st.thrVals)-1])))
			}
			if st.errors > 0 {
				msg := fmt.Sprintf("%s: %s errors.", where, fmtInt(st.errors))
				if len(st.errorSamples) > 0 {
					msg = fmt.Sprintf("%s: %s errors, e.g. %q.", where, fmtInt(st.errors), st.errorSamples[0])
				}
				out = append(out, msg)
			}
			if st.interrupted && !v.s.Interrupted {
				out = append(out, where+": a run was cut short.")
			}
		}
	}
	for _, r := range v.s.Runs {
		// The target is missed when requests due in the window did not
		// start in it; requests that only started late met it, late.
		switch o := r.Open; {
		case o == nil:
		case o.Missed > 0:
			out = append(out, fmt.Sprintf("%s (repeat %d): target not met: achieved %s of %s/s, %s missed (%s started late).",
				r.Backend+v.at(r.Point), r.Repeat, fmtCount(o.AchievedRate), fmtCount(o.TargetRate), fmtInt(o.Missed), fmtInt(o.Late)))
		case o.Late > 0:
			out = append(out, fmt.Sprintf("%s (repeat %d): %s requests started more than 1 ms late; the target rate of %s/s was met.",
				r.Backend+v.at(r.Point), r.Repeat, fmtInt(o.Late), fmtCount(o.TargetRate)))
		}
	}
	return out
}

// cell makes s safe inside a Markdown table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "\n", " ").Replace(s)
}

func orUnknown(s string) string {
	if s == "" {
		return "unknown"
	}
	return s
}

// writeFits writes the "Which strategy fits" section: every backend
// against the scenario's require: block, the Pareto front of cost against
// exposure, and the cheapest backend that meets the requirements.
func writeFits(p func(string, ...any), s *results.Summary, v *view) {
	fits, ok, why := Fits(s)
	if len(fits) == 0 {
		return
	}
	p("## Which strategy fits\n\n")
	if s.Require == nil || !requires(s.Require) {
		p("The scenario has no `require:` block (see `scenarios/choose.yaml`): every backend meets it, and the table shows what each costs and exposes%s.\n\n", v.where())
	} else {
		p("Each backend%s against the scenario's `require:` block; a figure the run did not measure counts as a miss.\n\n", v.where())
	}
	cost := "validate p50 (µs)"
	if fits[0].CostCPU {
		cost = "CPU µs per validation"
	}
	p("| backend | meets every requirement | misses | %s | exposure p99 |\n|---|---|---|--:|--:|\n", cost)
	for _, f := range fits {
		meets, exp := "yes", "–"
		if !f.Meets() {
			meets = "no"
		}
		if f.ExposureMS >= 0 {
			exp = fmtMS(f.ExposureMS)
		}
		p("| %s | %s | %s | %s | %s |\n", f.Backend, meets, cell(strings.Join(f.Misses, "; ")), sig3(f.CostUS), exp)
	}
	p("\n%s", fitSentence(fits, s.Require))
	if !ok {
		p(" **Requirements not met** (`authbench run` exits with status 4): %s.", why)
	}
	p("\n\n")
	if front := paretoFront(fits); len(front) > 0 {
		var names []string
		for _, f := range front {
			names = append(names, fmt.Sprintf("%s (%s µs, %s)", f.Backend, sig3(f.CostUS), fmtMS(f.ExposureMS)))
		}
		p("Pareto front of %s against exposure p99 (no other backend is cheaper and exposes less): %s.\n\n", cost, strings.Join(names, ", "))
	}
}
