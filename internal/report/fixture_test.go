package report

import (
	"context"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/runner"
	"github.com/authbench/authbench/scenarios"
)

var (
	update       = flag.String("update", "", "rewrite one golden file on purpose: -update=report.md rewrites testdata/report.md.golden")
	regenFixture = flag.Bool("regen-fixture", false, "rebuild testdata/run by running testdata/fixture.yaml through the real runner")
)

// fxBackend describes how a backend behaves in a fixture: the figures are
// plausible for a 2-core machine, not measured.
type fxBackend struct {
	info backends.Info
	// p50 is the validate median at one client, in ns; tail is p99/p50.
	p50, tail float64
	// thr is the throughput at one client; scale its factor at 8 clients.
	thr, scale float64
	token      float64
	// share is the exposed share of replayed revoked credentials and
	// expP99 its exposure p99 in ms (max is 1.1×).
	share, expP99 float64
	// falseRejects per run when the cluster has several nodes.
	falseRejects int64
	refresh      bool
	entries      int64
	// expires: a revoked token of this backend stays usable until it
	// expires, so under a token.ttl sweep its exposure is bounded by the
	// TTL (and by the run), whatever expP99 says.
	expires bool
}

func fxNoop() fxBackend {
	return fxBackend{info: backends.Info{Name: "noop", Family: "calibration", Description: "accepts everything"},
		p50: 180, tail: 4, thr: 1.6e6, scale: 1.7, token: 16, share: 1, expP99: 9700}
}
func fxHS256() fxBackend {
	return fxBackend{info: backends.Info{Name: "jwt-hs256", Family: "jwt"},
		p50: 3100, tail: 3, thr: 290e3, scale: 1.8, token: 312, share: 1, expP99: 9600, expires: true}
}
func fxRS256() fxBackend {
	return fxBackend{info: backends.Info{Name: "jwt-rs256", Family: "jwt"},
		p50: 41000, tail: 2.2, thr: 24e3, scale: 1.9, token: 568, share: 1, expP99: 9650, expires: true}
}
func fxSessionMemory() fxBackend {
	return fxBackend{info: backends.Info{Name: "session-memory", Family: "session", Stateful: true, StoreLookups: 1},
		p50: 900, tail: 3, thr: 800e3, scale: 1.7, token: 43, share: 0, expP99: 0, falseRejects: 400, entries: 10000}
}
func fxSessionRedis() fxBackend {
	return fxBackend{info: backends.Info{Name: "session-redis", Family: "session", Stateful: true, StoreLookups: 1},
		p50: 48000, tail: 6, thr: 20e3, scale: 3.5, token: 43, share: 0, expP99: 0, entries: 10000}
}
func fxDenylist() fxBackend {
	return fxBackend{info: backends.Info{Name: "jwt-denylist-pubsub", Family: "hybrid", Stateful: true, StoreLookups: 0},
		p50: 3600, tail: 3, thr: 250e3, scale: 1.8, token: 340, share: 0.04, expP99: 2.4, entries: 500}
}
func fxRefresh() fxBackend {
	return fxBackend{info: backends.Info{Name: "jwt-refresh", Family: "hybrid", Stateful: true, StoreLookups: 0},
		p50: 3200, tail: 3.2, thr: 280e3, scale: 1.8, token: 330, share: 0.7, expP99: 3000, refresh: true, entries: 10000, expires: true}
}
func fxJWE() fxBackend {
	return fxBackend{info: backends.Info{Name: "jwe-dir", Family: "jwe"},
		p50: 6500, tail: 3, thr: 140e3, scale: 1.8, token: 520, share: 1, expP99: 9600, expires: true}
}

// fixtureBackends is the default set of the brief: every family.
func fixtureBackends() []fxBackend {
	return []fxBackend{fxNoop(), fxHS256(), fxRS256(), fxSessionMemory(), fxSessionRedis(), fxDenylist(), fxRefresh()}
}

type fxOptions struct {
	clients []int // swept load.clients; one value: no sweep
	// ttls is the swept token.ttl (durations); none: the config's 15m,
	// unswept, with the backends' own exposures and refresh counts.
	ttls    []string
	repeats int
	nodes   int
	replay  bool // revocation and replays
	samples int  // latency samples per run's histogram
	seed    uint64
	skipped []results.BackendInfo
}

func defaultFx() fxOptions {
	return fxOptions{clients: []int{1, 8}, repeats: 3, nodes: 1, replay: true, samples: 4000}
}

// buildFixture makes a plausible summary for bs and, when dir is not "",
// writes it with the histogram logs into dir. The figures follow from a
// fixed seed, so the same call always gives the same files.
func buildFixture(t testing.TB, dir string, bs []fxBackend, o fxOptions) *results.Summary {
	t.Helper()
	rng := rand.New(rand.NewPCG(42+o.seed, 7))
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	s := &results.Summary{
		Scenario:    "compare",
		Description: "Every backend at rising concurrency with logouts and replayed tokens",
		File:        "scenarios/compare.yaml",
		StartedAt:   start,
		FinishedAt:  start.Add(4 * time.Minute),
		Machine:     results.Machine{CPUs: 2, GOMAXPROCS: 2, Go: "go1.26.8", OS: "linux", Arch: "amd64"},
		Version:     "v0.1.0",
		Warnings:    []string{},
	}
	if len(o.clients) > 1 {
		s.Sweep = append(s.Sweep, "load.clients")
	}
	ttls := o.ttls
	if len(ttls) > 1 {
		s.Sweep = append(s.Sweep, "token.ttl")
	}
	if len(ttls) == 0 {
		ttls = []string{""}
	}
	for _, b := range bs {
		s.Backends = append(s.Backends, results.BackendInfo{Info: b.info})
	}
	s.Backends = append(s.Backends, o.skipped...)
	if dir != "" {
		if err := os.MkdirAll(filepath.Join(dir, results.HDRDir), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	const dur = 10
	id := 0
	for _, c := range o.clients {
		for _, ttl := range ttls {
			for rep := 1; rep <= o.repeats; rep++ {
				for _, b := range bs {
					id++
					r := results.Run{
						ID:      fmt.Sprintf("%03d-%s", id, b.info.Name),
						Backend: b.info.Name,
						Model:   "closed",
						Params: map[string]string{
							"load.clients":  strconv.Itoa(c),
							"cluster.nodes": strconv.Itoa(o.nodes),
						},
						Repeat:                  rep,
						DurationS:               dur,
						StoreLookupsPerValidate: b.info.StoreLookups,
						TokenBytes:              b.token,
						Store:                   results.Store{Entries: b.entries, Bytes: -1},
						Ops:                     map[string]results.Op{},
					}
					r.StoreOps = fxStoreOps(b.info)
					r.Token = fxToken(b.info)
					var point []string
					if len(o.clients) > 1 {
						point = append(point, "load.clients="+strconv.Itoa(c))
					}
					// ttlS is the token lifetime in seconds; 0 without a TTL
					// sweep, where the backends' own figures are used.
					var ttlS float64
					if ttl != "" {
						d, err := time.ParseDuration(ttl)
						if err != nil {
							t.Fatal(err)
						}
						ttlS = d.Seconds()
						r.Params["token.ttl"] = ttl
						if len(o.ttls) > 1 {
							point = append(point, "token.ttl="+ttl)
						}
					}
					r.Point = strings.Join(point, ",")
					// Queueing: at 8 clients on 2 cores latency grows ~3×,
					// except for the store-bound backend, which waits on I/O.
					load := 1.0
					if c > 1 {
						load = float64(c) / 8 * 3
						if b.info.Name == "session-redis" {
							load = float64(c) / 8 * 2.2
						}
					}
					noise := 1 + 0.04*rng.NormFloat64()
					h := hdrhistogram.New(1, 60_000_000_000, 3)
					p50 := b.p50 * load * noise
					sigma := math.Log(b.tail) / 2.326
					for i := 0; i < o.samples; i++ {
						v := p50 * math.Exp(sigma*rng.NormFloat64())
						if i%1000 == 999 {
							v *= 8 // a rare stall
						}
						if err := h.RecordValue(int64(v)); err != nil {
							t.Fatal(err)
						}
					}
					thr := b.thr * noise
					if c > 1 {
						thr *= b.scale
					}
					count := int64(thr * dur)
					lat := results.Latency{
						P50: h.ValueAtQuantile(50), P90: h.ValueAtQuantile(90), P99: h.ValueAtQuantile(99),
						P999: h.ValueAtQuantile(99.9), Max: h.Max(), Mean: math.Round(h.Mean()),
					}
					r.Ops[results.OpValidate] = results.Op{Count: count, ThroughputPerS: thr, LatencyNS: lat}
					r.ServiceNS = lat
					r.Ops[results.OpLogin] = results.Op{Count: 500, ThroughputPerS: 50, LatencyNS: results.Latency{P50: int64(b.p50 * 2), P99: int64(b.p50 * 6)}}
					r.Ops[results.OpLogout] = results.Op{Count: 500, ThroughputPerS: 50, LatencyNS: results.Latency{P50: int64(b.p50), P99: int64(b.p50 * 4)}}
					// A refresh is due once per TTL: with a TTL sweep, 500
					// users refresh floor(run/TTL) times each, never when the
					// token outlives the run.
					refreshes := int64(2000)
					if ttlS > 0 {
						refreshes = 500 * int64(dur/ttlS)
					}
					if b.refresh && refreshes > 0 {
						r.Ops[results.OpRefresh] = results.Op{Count: refreshes, ThroughputPerS: float64(refreshes) / dur, LatencyNS: results.Latency{P50: int64(b.p50 * 3), P99: int64(b.p50 * 9)}}
					}
					r.Outcomes = results.Outcomes{
						Accepted: count * 95 / 100, Rejected: count * 5 / 100,
						ExpectedValid: count * 95 / 100, ExpectedRevoked: count * 5 / 100,
					}
					if o.nodes > 1 {
						r.Outcomes.FalseRejects = b.falseRejects
					}
					if o.replay {
						replayed := int64(500)
						exposed := int64(math.Round(b.share * float64(replayed)))
						r.Outcomes.FalseAccepts = exposed * 4
						r.Revocation = results.Revocation{
							Revoked: 500, Replays: count * 5 / 100, ReplaysAccepted: exposed * 4,
							ReplayedCredentials: replayed, ExposedCredentials: exposed,
							ExposedShare: float64(exposed) / float64(replayed),
						}
						exp := b.expP99
						if ttlS > 0 && b.expires {
							// A revoked token is usable for what is left of its
							// lifetime, or of the run: p99 near the smaller.
							exp = 960 * math.Min(ttlS, dur)
						}
						if exp > 0 {
							e := exp * noise
							r.Revocation.ExposureMS = results.Exposure{P50: e / 2, P99: e, Max: e * 1.1}
						}
					}
					for sec := 0; sec < dur; sec++ {
						f := 1 + 0.03*rng.NormFloat64()
						secLat := float64(lat.P99) * (1 + 0.1*rng.NormFloat64())
						if sec == 6 && b.info.Name == "session-redis" {
							secLat *= 5 // a slow second on the store
						}
						var revs int64
						if o.replay {
							revs = 50
						}
						r.Timeline = append(r.Timeline, results.Second{
							T: sec, Validations: int64(thr * f), ThroughputPerS: thr * f,
							P50NS: lat.P50, P99NS: int64(secLat), Revocations: revs,
						})
					}
					if dir != "" {
						for _, op := range []string{results.OpValidate, results.OpValidateService} {
							h.SetStartTimeMs(start.UnixMilli())
							h.SetEndTimeMs(start.UnixMilli() + dur*1000)
							if err := results.WriteHistogram(results.HistogramPath(dir, r.ID, op), h, "authbench fixture "+r.ID); err != nil {
								t.Fatal(err)
							}
						}
					}
					s.Runs = append(s.Runs, r)
				}
			}
		}
	}
	if dir != "" {
		if err := results.WriteSummary(dir, s); err != nil {
			t.Fatal(err)
		}
	}
	return s
}

// fixtureDir is the run folder the golden tests here and the command
// tests read. It is what the real runner wrote for testdata/fixture.yaml
// (noop, jwt-hs256 and session-memory measured; session-redis skipped, as
// the runner gets no Redis), so the report is tested on the files it
// really reads. Rebuild it with
//
//	go test ./internal/report -run TestFixture -regen-fixture
//
// then look at each golden that changes and accept it on its own
// (go test ./internal/report -update=report.md).
const fixtureDir = "testdata/run"

func TestFixture(t *testing.T) {
	if *regenFixture {
		regenerate(t)
	}
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatalf("%v (go test -run TestFixture -regen-fixture makes it)", err)
	}
	// What the report needs of it: every chart's data.
	if s.Scenario != "fixture" || len(s.Runs) != 12 || len(s.Sweep) != 1 {
		t.Fatalf("fixture: scenario %q, %d runs, sweep %v; want fixture, 12 runs, one swept path", s.Scenario, len(s.Runs), s.Sweep)
	}
	for _, r := range s.Runs {
		if r.Revocation.Replays == 0 || len(r.Timeline) == 0 || r.TokenBytes == 0 {
			t.Errorf("run %s (%s): replays %d, %d timeline seconds, token %v bytes: too short a run for every chart", r.ID, r.Backend, r.Revocation.Replays, len(r.Timeline), r.TokenBytes)
		}
	}
}

// regenerate runs testdata/fixture.yaml through the runner into
// testdata/run. Only the host name is blanked: it says nothing the tests need.
func regenerate(t *testing.T) {
	s, err := scenarios.Resolve("testdata/fixture.yaml")
	if err != nil {
		t.Fatal(err)
	}
	plan, err := scenarios.Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	out, err := runner.Run(context.Background(), s, plan, runner.Options{Out: t.TempDir(), Version: "fixture"})
	if err != nil {
		t.Fatal(err)
	}
	out.Summary.Machine.Hostname = ""
	if err := results.WriteSummary(out.Dir, out.Summary); err != nil {
		t.Fatal(err)
	}
	if err := os.RemoveAll(fixtureDir); err != nil {
		t.Fatal(err)
	}
	if err := os.CopyFS(fixtureDir, os.DirFS(out.Dir)); err != nil {
		t.Fatal(err)
	}
}

// fxStoreOps is what a backend's design makes it count per validation.
func fxStoreOps(b backends.Info) *results.StoreOps {
	so := &results.StoreOps{Validations: 10000, HasStore: b.Stateful}
	switch {
	case b.Name == "session-redis":
		so.RoundTrips, so.RoundTripsPerValidate = 10000, 1
	case b.Name == "session-memory" || strings.HasPrefix(b.Name, "jwt-denylist"):
		so.LocalLookups, so.LocalLookupsPerValidate = 10000, 1
	}
	return so
}

// fxToken is what an issued credential of a backend shows without a key.
func fxToken(b backends.Info) *results.TokenShape {
	switch b.Family {
	case "jwt", "hybrid":
		return &results.TokenShape{Segments: 3, ReadableClaims: []string{"sub", "iss", "aud", "exp", "iat", "jti"}}
	case "jwe":
		return &results.TokenShape{Segments: 5, ReadableClaims: []string{}}
	}
	return &results.TokenShape{Segments: 1, ReadableClaims: []string{}}
}
