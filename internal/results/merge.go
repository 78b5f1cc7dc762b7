package results

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Shard marks a run folder as one part of a load spread over several
// machines (authbench run --shard INDEX/COUNT): the folder's Config is the
// whole scenario, and the shard ran its part of the users, clients and
// rates.
type Shard struct {
	Index int `json:"index"` // from 0
	Count int `json:"count"`
}

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// ShardOrigin is one shard folder that a merged folder was made from.
type ShardOrigin struct {
	Shard      Shard     `json:"shard"`
	Dir        string    `json:"dir"`
	Machine    Machine   `json:"machine"`
	StartedAt  time.Time `json:"started_at"`
	FinishedAt time.Time `json:"finished_at"`
}

// Merge reads the shard folders dirs (every shard of one `authbench run
// --shard`, same scenario, settings and version) and writes their union to
// the new folder out: summary.json, bench.txt and hdr/.
//
// What is exact: validate latency percentiles come from the shards' HDR
// histograms added together (never from averaged percentiles), counts
// and outcomes are summed, throughputs added (the shards ran at the same
// time), means weighted by count, maxima taken. What is not: the
// percentiles of login, refresh and logout and of exposure, and the
// per-second p50/p99 of the timeline, have no histograms in a run folder;
// the merged folder gives the largest of the shards' values (an upper
// bound) and says so in its warnings. CPU, Redis pool and HTTP figures
// stay in the shard folders.
func Merge(out string, dirs ...string) (*Summary, error) {
	if len(dirs) < 2 {
		return nil, errors.New("merge needs at least two shard folders")
	}
	sums := make([]*Summary, len(dirs))
	for i, d := range dirs {
		s, err := ReadSummary(d)
		if err != nil {
			return nil, err
		}
		sums[i] = s
	}
	if err := checkShards(dirs, sums); err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Join(out, HDRDir), 0o755); err != nil {
		return nil, err
	}
	if entries, _ := os.ReadDir(out); len(entries) > 1 {
		return nil, fmt.Errorf("%s: not empty; merge writes a new folder", out)
	}
	m := mergeHeader(dirs, sums)
	approx := false
	for i := range sums[0].Runs {
		runs := make([]*Run, len(sums))
		for j, s := range sums {
			runs[j] = &s.Runs[i]
		}
		r, inexact, err := mergeRun(out, dirs, runs)
		if err != nil {
			return nil, err
		}
		approx = approx || inexact
		m.Runs = append(m.Runs, r)
	}
	if approx {
		m.Warnings = append(m.Warnings, "merged from shards: validate latency percentiles are exact (HDR histograms added); "+
			"login, refresh and logout percentiles, exposure p50/p99 and the timeline's per-second p50/p99 are the largest of the shards' (an upper bound)")
	}
	m.Warnings = append(m.Warnings, "merged from shards: CPU, Redis pool and HTTP figures are per shard; see the shard folders")
	if err := WriteSummary(out, m); err != nil {
		return nil, err
	}
	if err := WriteBenchFile(out, m); err != nil {
		return nil, err
	}
	return m, nil
}

// checkShards refuses folders that are not the shards of one run.
func checkShards(dirs []string, sums []*Summary) error {
	first := sums[0]
	seen := map[int]string{}
	for i, s := range sums {
		d := dirs[i]
		switch {
		case s.Shard == nil:
			return fmt.Errorf("%s: not a shard (run it with authbench run --shard INDEX/COUNT)", d)
		case s.Shard.Count != first.Shard.Count:
			return fmt.Errorf("%s: shard %s, but %s is shard %s: shards of different runs", d, s.Shard, dirs[0], first.Shard)
		case seen[s.Shard.Index] != "":
			return fmt.Errorf("%s: shard %s already given as %s", d, s.Shard, seen[s.Shard.Index])
		case s.State != StateComplete:
			return fmt.Errorf("%s: shard %s is %s (%s): merge complete shards only", d, s.Shard, s.State, s.Reason)
		case s.Scenario != first.Scenario:
			return fmt.Errorf("%s: scenario %q, but %s ran %q", d, s.Scenario, dirs[0], first.Scenario)
		case s.Version != first.Version:
			return fmt.Errorf("%s: authbench %s, but %s ran %s: shards must run the same version", d, s.Version, dirs[0], first.Version)
		case !reflect.DeepEqual(s.Sweep, first.Sweep) || !reflect.DeepEqual(s.Config, first.Config):
			return fmt.Errorf("%s: settings differ from %s (scenario config or sweep): shards must run the same scenario with the same --set", d, dirs[0])
		case len(s.Runs) != len(first.Runs):
			return fmt.Errorf("%s: %d runs, but %s has %d", d, len(s.Runs), dirs[0], len(first.Runs))
		}
		seen[s.Shard.Index] = d
		for k, r := range s.Runs {
			f := first.Runs[k]
			if r.ID != f.ID || r.Backend != f.Backend || r.Point != f.Point || r.Repeat != f.Repeat {
				return fmt.Errorf("%s: run %s is %s %s #%d, but in %s it is %s %s #%d", d, r.ID, r.Backend, r.Point, r.Repeat, dirs[0], f.Backend, f.Point, f.Repeat)
			}
		}
	}
	for i := range first.Shard.Count {
		if seen[i] == "" {
			return fmt.Errorf("shard %d/%d is missing: merge needs every shard", i, first.Shard.Count)
		}
	}
	return nil
}

func mergeHeader(dirs []string, sums []*Summary) *Summary {
	first := sums[0]
	m := &Summary{
		Scenario: first.Scenario, Description: first.Description, File: first.File,
		StartedAt: first.StartedAt, FinishedAt: first.FinishedAt,
		Machine: first.Machine, Version: first.Version, State: StateComplete,
		Warnings: []string{}, Sweep: first.Sweep, Backends: first.Backends, Config: first.Config,
		Runs: []Run{},
	}
	for i, s := range sums {
		if s.StartedAt.Before(m.StartedAt) {
			m.StartedAt = s.StartedAt
		}
		if s.FinishedAt.After(m.FinishedAt) {
			m.FinishedAt = s.FinishedAt
		}
		m.Degraded = m.Degraded || s.Degraded
		for _, w := range s.Warnings {
			m.Warnings = append(m.Warnings, "shard "+s.Shard.String()+": "+w)
		}
		m.MergedFrom = append(m.MergedFrom, ShardOrigin{
			Shard: *s.Shard, Dir: dirs[i], Machine: s.Machine,
			StartedAt: s.StartedAt, FinishedAt: s.FinishedAt,
		})
	}
	slices.SortFunc(m.MergedFrom, func(a, b ShardOrigin) int { return a.Shard.Index - b.Shard.Index })
	return m
}

// mergeRun merges one run of every shard; inexact reports figures taken
// as the largest of the shards'.
func mergeRun(out string, dirs []string, runs []*Run) (Run, bool, error) {
	f := runs[0]
	m := Run{
		ID: f.ID, Backend: f.Backend, Model: f.Model, Params: f.Params, Point: f.Point, Extra: f.Extra, Repeat: f.Repeat,
		Ops: map[string]Op{}, StoreLookupsPerValidate: f.StoreLookupsPerValidate, Token: f.Token,
	}
	inexact := false
	// Histograms present in every shard are added; validate's figures come
	// from them.
	hists := map[string]*hdrhistogram.Histogram{}
	for _, op := range []string{OpValidate, OpValidateService, OpLogin, OpRefresh, OpLogout} {
		h, err := mergeHistograms(dirs, f.ID, op)
		if err != nil {
			return Run{}, false, err
		}
		if h != nil {
			hists[op] = h
			if err := WriteHistogram(HistogramPath(out, f.ID, op), h, "authbench merge: run "+f.ID+" "+op+", "+fmt.Sprint(len(dirs))+" shards added"); err != nil {
				return Run{}, false, err
			}
		}
	}
	var tokenWeight float64
	for _, r := range runs {
		m.DurationS = max(m.DurationS, r.DurationS)
		m.Interrupted = m.Interrupted || r.Interrupted
		addInts(&m.Outcomes, &r.Outcomes)
		addInts(&m.Revocation, &r.Revocation)
		m.Revocation.ExposureMS.P50 = max(m.Revocation.ExposureMS.P50, r.Revocation.ExposureMS.P50)
		m.Revocation.ExposureMS.P99 = max(m.Revocation.ExposureMS.P99, r.Revocation.ExposureMS.P99)
		m.Revocation.ExposureMS.Max = max(m.Revocation.ExposureMS.Max, r.Revocation.ExposureMS.Max)
		m.Store.Entries = max(m.Store.Entries, r.Store.Entries) // one shared store, measured by each shard
		m.Store.Bytes = max(m.Store.Bytes, r.Store.Bytes)
		n := float64(r.Ops[OpValidate].Count)
		m.TokenBytes += r.TokenBytes * n
		tokenWeight += n
		if r.Open != nil {
			if m.Open == nil {
				m.Open = &Open{}
			}
			m.Open.TargetRate += r.Open.TargetRate
			m.Open.AchievedRate += r.Open.AchievedRate
			m.Open.Late += r.Open.Late
			m.Open.Missed += r.Open.Missed
		}
		if r.StoreOps != nil {
			if m.StoreOps == nil {
				m.StoreOps = &StoreOps{HasStore: r.StoreOps.HasStore}
			}
			addInts(m.StoreOps, r.StoreOps)
		}
		for _, e := range r.ErrorSamples {
			if !slices.Contains(m.ErrorSamples, e) && len(m.ErrorSamples) < 5 {
				m.ErrorSamples = append(m.ErrorSamples, e)
			}
		}
	}
	if tokenWeight > 0 {
		m.TokenBytes /= tokenWeight
	}
	if r := &m.Revocation; r.ReplayedCredentials > 0 {
		r.ExposedShare = float64(r.ExposedCredentials) / float64(r.ReplayedCredentials)
	}
	if so := m.StoreOps; so != nil {
		if so.Validations > 0 {
			so.RoundTripsPerValidate = float64(so.RoundTrips) / float64(so.Validations)
			so.LocalLookupsPerValidate = float64(so.LocalLookups) / float64(so.Validations)
		}
		if reads := so.CacheHits + so.CacheMisses; reads > 0 {
			so.CacheHitRatio = float64(so.CacheHits) / float64(reads)
		}
	}
	if m.Revocation.Replays > 0 {
		inexact = true
	}
	for _, op := range Ops {
		var o Op
		var mean float64
		present := false
		for _, r := range runs {
			ro, ok := r.Ops[op]
			if !ok {
				continue
			}
			present = true
			o.Count += ro.Count
			o.Errors += ro.Errors
			o.ThroughputPerS += ro.ThroughputPerS
			mean += ro.LatencyNS.Mean * float64(ro.Count)
			l := &o.LatencyNS
			l.P50, l.P90, l.P99 = max(l.P50, ro.LatencyNS.P50), max(l.P90, ro.LatencyNS.P90), max(l.P99, ro.LatencyNS.P99)
			l.P999, l.Max = max(l.P999, ro.LatencyNS.P999), max(l.Max, ro.LatencyNS.Max)
		}
		if !present {
			continue
		}
		if o.Count > 0 {
			o.LatencyNS.Mean = mean / float64(o.Count)
		}
		if h := hists[op]; h != nil {
			o.LatencyNS = latencyOf(h)
		} else if o.Count > 0 {
			inexact = true
		}
		m.Ops[op] = o
	}
	if h := hists[OpValidateService]; h != nil {
		m.ServiceNS = latencyOf(h)
	}
	m.Timeline = mergeTimeline(runs)
	if len(m.Timeline) > 0 {
		inexact = true
	}
	return m, inexact, nil
}

// mergeHistograms adds the histograms of one run and operation of every
// shard; nil when no shard has one. A shard without it, when others have
// it, is an error: the union would be short.
func mergeHistograms(dirs []string, id, op string) (*hdrhistogram.Histogram, error) {
	var out *hdrhistogram.Histogram
	missing := ""
	for _, d := range dirs {
		h, err := ReadHistogram(HistogramPath(d, id, op))
		if errors.Is(err, os.ErrNotExist) {
			missing = d
			continue
		}
		if err != nil {
			return nil, err
		}
		if out == nil {
			out = h
		} else if dropped := out.Merge(h); dropped > 0 {
			return nil, fmt.Errorf("run %s %s: %d values out of the histogram's range", id, op, dropped)
		}
	}
	if out != nil && missing != "" {
		return nil, fmt.Errorf("%s: no %s histogram for run %s, which other shards have", missing, op, id)
	}
	return out, nil
}

// latencyOf reads the summary percentiles off a histogram, as the runner does.
func latencyOf(h *hdrhistogram.Histogram) Latency {
	return Latency{
		P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9), Max: h.Max(), Mean: h.Mean(),
	}
}

// mergeTimeline adds the shards' seconds by their offset from the measured
// start.
func mergeTimeline(runs []*Run) []Second {
	byT := map[int]*Second{}
	var ts []int
	for _, r := range runs {
		for _, s := range r.Timeline {
			m := byT[s.T]
			if m == nil {
				m = &Second{T: s.T}
				byT[s.T] = m
				ts = append(ts, s.T)
			}
			m.Validations += s.Validations
			m.ThroughputPerS += s.ThroughputPerS
			m.Errors += s.Errors
			m.Revocations += s.Revocations
			m.ReplaysAccepted += s.ReplaysAccepted
			m.FalseAccepts += s.FalseAccepts
			m.FalseRejects += s.FalseRejects
			m.P50NS, m.P99NS = max(m.P50NS, s.P50NS), max(m.P99NS, s.P99NS)
		}
	}
	slices.Sort(ts)
	out := make([]Second, 0, len(ts))
	for _, t := range ts {
		out = append(out, *byT[t])
	}
	return out
}

// addInts adds every integer field of *src to *dst (same struct type):
// counts add up across shards, ratios are recomputed by the caller.
func addInts(dst, src any) {
	d, s := reflect.ValueOf(dst).Elem(), reflect.ValueOf(src).Elem()
	for i := range d.NumField() {
		if f := d.Field(i); f.CanSet() && (f.Kind() == reflect.Int64 || f.Kind() == reflect.Int) {
			f.SetInt(f.Int() + s.Field(i).Int())
		}
	}
}

// ParseShard reads INDEX/COUNT (from 0: 0/2 and 1/2 are the two halves).
func ParseShard(v string) (Shard, error) {
	i, n, ok := strings.Cut(v, "/")
	var s Shard
	if !ok {
		return s, fmt.Errorf("--shard %q: want INDEX/COUNT, e.g. 0/4 (INDEX from 0)", v)
	}
	if _, err := fmt.Sscanf(i+" "+n, "%d %d", &s.Index, &s.Count); err != nil || fmt.Sprint(s.Index) != i || fmt.Sprint(s.Count) != n {
		return Shard{}, fmt.Errorf("--shard %q: want INDEX/COUNT, e.g. 0/4 (INDEX from 0)", v)
	}
	if s.Count < 1 || s.Count > 1000 || s.Index < 0 || s.Index >= s.Count {
		return Shard{}, fmt.Errorf("--shard %q: want 0 <= INDEX < COUNT <= 1000", v)
	}
	return s, nil
}
