package scenarios

import (
	"maps"
	"runtime"
	"slices"
	"strconv"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/keys"
)

// Plan expands the sweep and the repeats into the ordered list of runs.
// Points are the cartesian product of the sweep axes, the first axis
// outermost; within a point, repeats are interleaved across backends
// (A B C A B C, never A A A B B B) so that drift of the machine during a
// run does not favour one backend. The extra points follow the grid, in
// file order, each with its own backends and repeats, interleaved the same
// way. Each Run.Scenario is a private deep copy with its point applied and
// no sweep left.
func Plan(s *Scenario) ([]Run, error) {
	points, err := s.allPoints()
	if err != nil {
		return nil, err
	}
	var runs []Run
	for _, p := range points {
		bs, repeat := s.Backends, s.Repeat
		var extra []string
		if p.extra > 0 {
			e := s.Extra[p.extra-1]
			bs, repeat = s.extraBackends(e), s.extraRepeat(e)
			for _, q := range e.Set {
				extra = append(extra, q.Path)
			}
		}
		for r := 1; r <= repeat; r++ {
			for _, b := range bs {
				runs = append(runs, Run{
					Index:    len(runs),
					Backend:  b,
					Point:    p.params,
					Repeat:   r,
					Scenario: p.scenario.clone(),
					Extra:    extra,
				})
			}
		}
	}
	return runs, nil
}

// EstimateDuration is the rough wall time of a plan: warm-up and measured
// period of every run, SetupAllowance each, the login phase in which
// every run issues a credential to each of its users before its clock
// starts (a million users on an ECDSA backend take longer than the run),
// and QuestionsAllowance once per token backend run in-process.
func EstimateDuration(runs []Run) time.Duration {
	var total time.Duration
	asked := map[string]bool{}
	for _, r := range runs {
		total += SetupAllowance
		if !asked[r.Backend] && backends.Attackable(r.Backend) && r.Scenario != nil && r.Scenario.HTTP.Target == "" {
			asked[r.Backend] = true
			total += QuestionsAllowance
		}
		if r.Scenario != nil {
			total += r.Scenario.Warmup + r.Scenario.Duration + loginPhase(r)
		}
	}
	return total
}

// loginPhase estimates how long run r takes to log its users in: the
// backend's rough cost of one login, on every core (as the engine does it).
func loginPhase(r Run) time.Duration {
	e, ok := backends.Lookup(r.Backend)
	if !ok {
		return 0
	}
	cost := e.Info.LoginCost
	if o, ok := r.Scenario.Options[r.Backend].(*backends.RSAOptions); ok && o.Bits > keys.DefaultRSABits {
		// RSA signing grows with the cube of the key size.
		f := float64(o.Bits) / float64(keys.DefaultRSABits)
		cost = time.Duration(float64(cost) * f * f * f)
	}
	return time.Duration(r.Scenario.Users) * cost / time.Duration(runtime.NumCPU())
}

// Points is the number of parameter points the sweep expands to (1
// without a sweep), or -1 when it exceeds MaxRuns.
func (s *Scenario) Points() int {
	n := 1
	for _, a := range s.Sweep {
		n *= len(a.Values)
		if n > MaxRuns {
			return -1
		}
	}
	return n
}

type point struct {
	params   []Param
	scenario *Scenario
	extra    int // from 1: the extra point it is; 0: a point of the grid
}

// allPoints is the grid's points, then the extra points.
func (s *Scenario) allPoints() ([]point, error) {
	grid, err := s.points()
	if err != nil {
		return nil, err
	}
	extra, err := s.extraPoints(grid)
	if err != nil {
		return nil, err
	}
	return append(grid, extra...), nil
}

// points applies every combination of sweep values to a copy of s and
// validates it; an invalid combination is blamed on its sweep values.
func (s *Scenario) points() ([]point, error) {
	if err := s.checkSize(); err != nil {
		return nil, err
	}
	n := s.Points()
	out := make([]point, 0, n)
	idx := make([]int, len(s.Sweep)) // odometer, last axis fastest
	for range n {
		c := s.clone()
		c.Sweep, c.Extra = nil, nil
		params := make([]Param, len(s.Sweep))
		for i, a := range s.Sweep {
			j := idx[i]
			params[i] = Param{Path: a.Path, Value: a.Values[j]}
			var raw *string
			if a.origins[j].Line == 0 {
				raw = &a.Values[j] // set from the command line
			}
			if err := applyNode(c, a.Path, a.nodes[j], a.origins[j], raw); err != nil {
				return nil, err
			}
		}
		if err := c.Validate(); err != nil {
			return nil, err
		}
		out = append(out, point{params: params, scenario: c})
		for i := len(idx) - 1; i >= 0; i-- {
			idx[i]++
			if idx[i] < len(s.Sweep[i].Values) {
				break
			}
			idx[i] = 0
		}
	}
	return out, nil
}

// checkSize bounds the plan before anything is expanded.
func (s *Scenario) checkSize() error {
	p := s.Points()
	runs := p * max(s.Repeat, 1) * max(len(s.Backends), 1)
	if p < 0 || runs > MaxRuns {
		return s.blame("sweep", "repeat", "backends").errorf(
			"the plan is too large: %d backends × %s points × %d repeats exceeds %d runs",
			len(s.Backends), pointsText(p), s.Repeat, MaxRuns)
	}
	for i, e := range s.Extra {
		runs += len(s.extraBackends(e)) * s.extraRepeat(e)
		if runs > MaxRuns {
			return e.at.errorf("extra[%d]: the plan is too large: with the extra points up to this one it exceeds %d runs", i, MaxRuns)
		}
	}
	return nil
}

func pointsText(p int) string {
	if p < 0 {
		return "more than 10000"
	}
	return itoa(p)
}

func itoa(n int) string { return strconv.Itoa(n) }

// validatePoints checks that every sweep point and every extra point is a
// valid scenario.
func (s *Scenario) validatePoints() error {
	_, err := s.allPoints()
	return err
}

// clone returns a deep copy: option structs, slices and the sweep are not
// shared with s.
func (s *Scenario) clone() *Scenario {
	c := *s
	c.Backends = slices.Clone(s.Backends)
	c.Options = make(map[string]backends.Options, len(s.Options))
	for k, v := range s.Options {
		c.Options[k] = v.Clone()
	}
	c.Sweep = nil
	for _, a := range s.Sweep {
		c.Sweep = append(c.Sweep, Axis{
			Path:    a.Path,
			Values:  slices.Clone(a.Values),
			nodes:   slices.Clone(a.nodes), // parsed nodes are never modified
			origins: slices.Clone(a.origins),
		})
	}
	c.Extra = nil
	for _, e := range s.Extra {
		c.Extra = append(c.Extra, ExtraPoint{
			Set:      slices.Clone(e.Set),
			Backends: slices.Clone(e.Backends),
			Repeat:   e.Repeat,
			nodes:    slices.Clone(e.nodes),
			origins:  slices.Clone(e.origins),
			at:       e.at,
		})
	}
	c.origins = maps.Clone(s.origins)
	if c.origins == nil {
		c.origins = map[string]origin{}
	}
	return &c
}

// RoughDuration writes an estimate as it is worth reading: to the second
// below ten minutes, to the minute above, without trailing zero units.
func RoughDuration(d time.Duration) string {
	if d >= 10*time.Minute {
		return fmtDur(d.Round(time.Minute))
	}
	return fmtDur(d.Round(time.Second))
}
