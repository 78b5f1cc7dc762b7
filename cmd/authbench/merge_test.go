package main

import (
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/results"
)

const shardScenario = `name: shards
backends: [jwt-hs256, session-redis]
duration: 800ms
warmup: 100ms
repeat: 1
users: 301
load: {clients: 3}
revocation: {rate: 20, replay: 0.05}
redis: {timeout: 2s}
`

// TestShardsMerge runs two shards of one scenario at the same time on this
// machine, sharing one Redis, and merges them: the merged folder must hold
// exactly the sums of the shards' counts and outcomes, and validate
// percentiles equal to those of the union of the shards' histograms.
func TestShardsMerge(t *testing.T) {
	conn := redistest.Start(t, backends.RedisConfig{})
	dir := t.TempDir()
	file := filepath.Join(dir, "shards.yaml")
	if err := os.WriteFile(file, []byte(shardScenario), 0o644); err != nil {
		t.Fatal(err)
	}
	outs := []string{filepath.Join(dir, "s0"), filepath.Join(dir, "s1")}
	var wg sync.WaitGroup
	for i, out := range outs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Degraded (a store error on a busy machine) is still a
			// complete shard: the merge must add it up all the same.
			var so, se strings.Builder
			if st := authbench([]string{"run", "--quiet", "--shard", []string{"0/2", "1/2"}[i], "--out", out,
				"--set", "redis.url=" + conn.Server.URL(), file}, &so, &se); st != exitOK && st != exitDegraded {
				t.Errorf("shard %d: exit %d: %s", i, st, se.String())
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	var shardDirs []string
	var sums []*results.Summary
	for i, out := range outs {
		d, err := filepath.EvalSymlinks(filepath.Join(out, "latest"))
		if err != nil {
			t.Fatal(err)
		}
		s, err := results.ReadSummary(d)
		if err != nil {
			t.Fatal(err)
		}
		if s.Shard == nil || s.Shard.Index != i || s.Shard.Count != 2 {
			t.Fatalf("%s: shard %v, want %d/2", d, s.Shard, i)
		}
		shardDirs, sums = append(shardDirs, d), append(sums, s)
	}
	// The shards ran at the same time: their measured periods overlap.
	if sums[0].FinishedAt.Before(sums[1].StartedAt) || sums[1].FinishedAt.Before(sums[0].StartedAt) {
		t.Errorf("shards did not overlap: %v–%v and %v–%v", sums[0].StartedAt, sums[0].FinishedAt, sums[1].StartedAt, sums[1].FinishedAt)
	}

	merged := filepath.Join(dir, "merged")
	status, stdout, stderr := runCLI(t, "merge", shardDirs[0], shardDirs[1], "--out", merged)
	if status != exitOK {
		t.Fatalf("merge: exit %d: %s", status, stderr)
	}
	t.Log(strings.TrimSpace(stdout))
	m, err := results.ReadSummary(merged)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.MergedFrom) != 2 || m.MergedFrom[1].Machine.CPUs == 0 {
		t.Errorf("merged_from = %+v, want both shards with their machines", m.MergedFrom)
	}
	if len(m.Runs) != 2 {
		t.Fatalf("%d merged runs, want 2", len(m.Runs))
	}
	for k, r := range m.Runs {
		a, b := sums[0].Runs[k], sums[1].Runs[k]
		for _, op := range results.Ops {
			if got, want := r.Ops[op].Count, a.Ops[op].Count+b.Ops[op].Count; got != want {
				t.Errorf("%s %s count = %d, want %d", r.Backend, op, got, want)
			}
		}
		if got, want := r.Outcomes.Accepted, a.Outcomes.Accepted+b.Outcomes.Accepted; got != want {
			t.Errorf("%s accepted = %d, want %d", r.Backend, got, want)
		}
		if got, want := r.Outcomes.FalseAccepts, a.Outcomes.FalseAccepts+b.Outcomes.FalseAccepts; got != want {
			t.Errorf("%s false accepts = %d, want %d", r.Backend, got, want)
		}
		if got, want := r.Revocation.Replays, a.Revocation.Replays+b.Revocation.Replays; got != want {
			t.Errorf("%s replays = %d, want %d", r.Backend, got, want)
		}
		// The union of the shards' recorded latencies, merged here
		// independently of authbench merge.
		var union *hdrhistogram.Histogram
		for _, d := range shardDirs {
			h, err := results.ReadHistogram(results.HistogramPath(d, r.ID, results.OpValidate))
			if err != nil {
				t.Fatal(err)
			}
			if union == nil {
				union = h
			} else {
				union.Merge(h)
			}
		}
		if union.TotalCount() != r.Ops[results.OpValidate].Count {
			t.Errorf("%s: union histogram holds %d values, merged count %d", r.Backend, union.TotalCount(), r.Ops[results.OpValidate].Count)
		}
		l := r.Ops[results.OpValidate].LatencyNS
		for _, q := range []struct {
			name string
			got  int64
			p    float64
		}{{"p50", l.P50, 50}, {"p90", l.P90, 90}, {"p99", l.P99, 99}, {"p99.9", l.P999, 99.9}} {
			if want := union.ValueAtQuantile(q.p); q.got != want {
				t.Errorf("%s validate %s = %v, want %v (union of the shards' histograms)", r.Backend, q.name, time.Duration(q.got), time.Duration(want))
			}
		}
		if l.Max != union.Max() {
			t.Errorf("%s validate max = %d, want %d", r.Backend, l.Max, union.Max())
		}
	}
	if _, err := os.Stat(filepath.Join(merged, "report.md")); err != nil {
		t.Errorf("no report drawn from the merged data: %v", err)
	}

	// A shard of another scenario is refused.
	s := *sums[1]
	s.Scenario = "different"
	foreign := filepath.Join(dir, "foreign")
	if err := os.CopyFS(foreign, os.DirFS(shardDirs[1])); err != nil {
		t.Fatal(err)
	}
	if err := results.WriteSummary(foreign, &s); err != nil {
		t.Fatal(err)
	}
	status, _, stderr = runCLI(t, "merge", shardDirs[0], foreign, "--out", filepath.Join(dir, "m2"))
	if status == exitOK || !strings.Contains(stderr, `scenario "different"`) {
		t.Errorf("merging shards of different scenarios: exit %d, %s", status, stderr)
	}
}
