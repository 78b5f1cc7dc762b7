package runner

import (
	"encoding/json"
	"fmt"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/internal/load"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// convert turns what the engine measured into a summary.json run. It is
// the one place where the engine's figures meet the contract's types:
// percentiles from the histograms, exposure percentiles from the exposure
// windows, rates from counts.
func convert(res *load.Result, pr scenarios.Run, id string) *results.Run {
	sc := pr.Scenario
	secs := res.Measured.Seconds()
	run := &results.Run{
		ID:           id,
		Backend:      pr.Backend,
		Model:        sc.Load.Model,
		Params:       params(pr),
		Point:        point(pr),
		Extra:        pr.Extra,
		Repeat:       pr.Repeat,
		DurationS:    secs,
		Ops:          map[string]results.Op{},
		TokenBytes:   res.TokenBytes,
		Interrupted:  res.Interrupted,
		ErrorSamples: res.ErrorSamples,
		Timeline:     []results.Second{},
	}
	for _, op := range results.Ops {
		o := results.Op{Errors: res.OpErrors[op]}
		if h := res.Hists[op]; h != nil {
			o.Count = h.TotalCount()
			o.LatencyNS = latency(h)
			if secs > 0 {
				o.ThroughputPerS = float64(o.Count) / secs
			}
		}
		run.Ops[op] = o
	}
	if h := res.Hists[results.OpValidateService]; h != nil {
		run.ServiceNS = latency(h)
	}
	run.Outcomes = res.Outcomes
	run.StoreLost = res.StoreLost
	rv := res.Revocation
	run.Revocation = results.Revocation{
		Revoked: rv.Revoked, Replays: rv.Replays, ReplaysAccepted: rv.ReplaysAccepted,
		ReplayedCredentials: int64(len(rv.Exposures)), ExposedCredentials: rv.Exposed,
		ExposureMS: exposure(rv.Exposures),
	}
	if n := len(rv.Exposures); n > 0 {
		run.Revocation.ExposedShare = float64(rv.Exposed) / float64(n)
	}
	if res.Open != nil {
		run.Open = &results.Open{TargetRate: res.Open.TargetRate, AchievedRate: res.Open.AchievedRate, Late: res.Open.Late, Missed: res.Open.Missed, Started: res.Open.Started}
	}
	if res.Hiccups != nil {
		run.HiccupsNS = latency(res.Hiccups)
	}
	run.ClientsPerCPU = float64(sc.Load.Clients+max(1, sc.Cluster.Nodes)) / float64(runtime.GOMAXPROCS(0))
	for i, s := range res.Timeline {
		run.Timeline = append(run.Timeline, results.Second{
			T: i, Validations: s.Validations, ThroughputPerS: float64(s.Validations),
			P50NS: s.P50, P99NS: s.P99, Errors: s.Errors, Revocations: s.Revocations,
			ReplaysAccepted: s.ReplaysAccepted, FalseAccepts: s.FalseAccepts, FalseRejects: s.FalseRejects,
		})
	}
	// The last second of a run is usually partial: its rate is scaled by
	// the part of it that was measured.
	if n := len(run.Timeline); n > 0 {
		last := &run.Timeline[n-1]
		if part := secs - float64(n-1); part > 0 && part < 1 {
			last.ThroughputPerS = float64(last.Validations) / part
		}
	}
	return run
}

func latency(h *hdrhistogram.Histogram) results.Latency {
	if h.TotalCount() == 0 {
		return results.Latency{}
	}
	return results.Latency{
		P50:  h.ValueAtQuantile(50),
		P90:  h.ValueAtQuantile(90),
		P99:  h.ValueAtQuantile(99),
		P999: h.ValueAtQuantile(99.9),
		Max:  h.Max(),
		Mean: h.Mean(),
	}
}

// exposure summarises exposure windows (nearest-rank percentiles).
func exposure(ds []time.Duration) results.Exposure {
	if len(ds) == 0 {
		return results.Exposure{}
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := func(p float64) time.Duration {
		i := int(p*float64(len(s)) + 0.999999999) // ceil
		return s[min(max(i, 1), len(s))-1]
	}
	ms := func(d time.Duration) float64 { return float64(d) / 1e6 }
	return results.Exposure{P50: ms(rank(0.50)), P99: ms(rank(0.99)), Max: ms(s[len(s)-1])}
}

// params is the parameter point of a run: the fields a reader compares
// runs by, plus every swept path.
func params(pr scenarios.Run) map[string]string {
	sc := pr.Scenario
	p := map[string]string{
		"load.model":        sc.Load.Model,
		"load.clients":      strconv.Itoa(sc.Load.Clients),
		"users":             strconv.Itoa(sc.Users),
		"token.ttl":         sc.Token.TTL.String(),
		"token.leeway":      sc.Token.Leeway.String(),
		"revocation.rate":   fmtFloat(sc.Revocation.Rate),
		"revocation.replay": fmtFloat(sc.Revocation.Replay),
		"cluster.nodes":     strconv.Itoa(sc.Cluster.Nodes),
		"cluster.routing":   sc.Cluster.Routing,
	}
	if sc.Load.Model == load.Open {
		p["load.rate"] = fmtFloat(sc.Load.Rate)
	}
	if sc.Load.Think > 0 {
		p["load.think"] = sc.Load.Think.String()
	}
	for _, q := range pr.Point {
		p[q.Path] = recordValue(q.Path, q.Value)
	}
	return p
}

// recordValue is a swept value as written into the run folder: a Redis URL
// (redis.url can be swept) never with its password.
func recordValue(path, value string) string {
	if path == "redis.url" {
		return redisproc.Redact(value)
	}
	return value
}

func point(pr scenarios.Run) string {
	parts := make([]string, len(pr.Point))
	for i, q := range pr.Point {
		parts[i] = q.Path + "=" + recordValue(q.Path, q.Value)
	}
	return strings.Join(parts, ",")
}

func fmtFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }

// configRecord keeps the scenario as run in summary.json, as plain JSON.
func configRecord(s *scenarios.Scenario) map[string]any {
	// The record is written into summary.json: never a Redis password.
	c := *s
	c.Redis.URL = redisproc.Redact(c.Redis.URL)
	c.Sweep = make([]scenarios.Axis, len(s.Sweep))
	for i, a := range s.Sweep {
		c.Sweep[i] = scenarios.Axis{Path: a.Path, Values: make([]string, len(a.Values))}
		for j, v := range a.Values {
			c.Sweep[i].Values[j] = recordValue(a.Path, v)
		}
	}
	c.Extra = make([]scenarios.ExtraPoint, len(s.Extra))
	for i, e := range s.Extra {
		c.Extra[i] = scenarios.ExtraPoint{Backends: e.Backends, Repeat: e.Repeat}
		for _, q := range e.Set {
			c.Extra[i].Set = append(c.Extra[i].Set, scenarios.Param{Path: q.Path, Value: recordValue(q.Path, q.Value)})
		}
	}
	s = &c
	b, err := json.Marshal(struct {
		*scenarios.Scenario
		Sweep []scenarios.Axis `json:"sweep"`
	}{s, s.Sweep})
	if err != nil {
		return map[string]any{"error": fmt.Sprint(err)}
	}
	var m map[string]any
	_ = json.Unmarshal(b, &m)
	return m
}
