package runner

import (
	"context"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/authbench/authbench/internal/results"
)

// progress shows one bar per run on a terminal, or one line per finished
// run otherwise.
type progress struct {
	opt   Options
	total int
	n     int
	p     *mpb.Progress
}

func newProgress(ctx context.Context, opt Options, total int) *progress {
	pr := &progress{opt: opt, total: total}
	if opt.Bars {
		pr.p = mpb.NewWithContext(ctx, mpb.WithOutput(opt.Stdout), mpb.WithWidth(32), mpb.WithRefreshRate(200*time.Millisecond))
	}
	return pr
}

type runBar struct {
	stop chan struct{}
	wg   sync.WaitGroup
	bar  *mpb.Bar
}

// start shows a bar for a run of length d; completed reports the
// validations done so far, for the live rate.
func (pr *progress) start(label string, d time.Duration, completed func() int64) *runBar {
	pr.n++
	rb := &runBar{stop: make(chan struct{})}
	if pr.p == nil {
		return rb
	}
	var rate atomic.Uint64 // float64 bits: requests per second over the last tick
	name := fmt.Sprintf("[%d/%d] %s", pr.n, pr.total, label)
	rb.bar = pr.p.AddBar(d.Milliseconds(),
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace | decor.DSyncWidth})),
		mpb.AppendDecorators(
			decor.Any(func(decor.Statistics) string {
				return fmt.Sprintf("%10s req/s", humanRate(math.Float64frombits(rate.Load())))
			}),
			decor.Name("  "),
			decor.Elapsed(decor.ET_STYLE_GO),
			decor.Name(" "),
			decor.OnComplete(decor.AverageETA(decor.ET_STYLE_GO), "done"),
		),
	)
	start := time.Now()
	rb.wg.Add(1)
	go func() {
		defer rb.wg.Done()
		t := time.NewTicker(250 * time.Millisecond)
		defer t.Stop()
		last, lastT := int64(0), start
		for {
			select {
			case <-rb.stop:
				return
			case now := <-t.C:
				n := completed()
				rate.Store(math.Float64bits(float64(n-last) / now.Sub(lastT).Seconds()))
				last, lastT = n, now
				rb.bar.SetCurrent(min(now.Sub(start).Milliseconds(), d.Milliseconds()-1))
			}
		}
	}()
	return rb
}

func (rb *runBar) done() {
	close(rb.stop)
	rb.wg.Wait()
	if rb.bar != nil {
		rb.bar.SetTotal(-1, true)
	}
}

// finished prints the one-line result of a run when there are no bars.
func (pr *progress) finished(run *results.Run, label string) {
	if pr.p != nil {
		return
	}
	v := run.Ops[results.OpValidate]
	fmt.Fprintf(pr.opt.Stdout, "[%d/%d] %-40s %12s req/s  p50 %8s  p99 %8s  errors %d  false accepts %d  false rejects %d\n",
		pr.n, pr.total, label, humanRate(v.ThroughputPerS), humanNS(v.LatencyNS.P50), humanNS(v.LatencyNS.P99),
		run.Outcomes.Errors, run.Outcomes.FalseAccepts, run.Outcomes.FalseRejects)
}

func (pr *progress) wait() {
	if pr.p != nil {
		pr.p.Wait()
		pr.p = nil
	}
}

func humanRate(r float64) string {
	switch {
	case r >= 1e6:
		return fmt.Sprintf("%.2fM", r/1e6)
	case r >= 1e4:
		return fmt.Sprintf("%.1fk", r/1e3)
	default:
		return fmt.Sprintf("%.0f", r)
	}
}

func humanNS(ns int64) string {
	d := time.Duration(ns)
	switch {
	case d >= time.Second:
		return fmt.Sprintf("%.2fs", d.Seconds())
	case d >= time.Millisecond:
		return fmt.Sprintf("%.2fms", float64(d)/1e6)
	case d >= time.Microsecond:
		return fmt.Sprintf("%.1fµs", float64(d)/1e3)
	default:
		return fmt.Sprintf("%dns", ns)
	}
}
