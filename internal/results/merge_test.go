package results

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestParseShard(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want Shard
		err  string
	}{
		{"0/1", Shard{0, 1}, ""},
		{"3/4", Shard{3, 4}, ""},
		{"4/4", Shard{}, "0 <= INDEX < COUNT"},
		{"-1/4", Shard{}, "0 <= INDEX < COUNT"},
		{"1/0", Shard{}, "0 <= INDEX < COUNT"},
		{"1", Shard{}, "want INDEX/COUNT"},
		{"a/2", Shard{}, "want INDEX/COUNT"},
		{"1/2x", Shard{}, "want INDEX/COUNT"},
		{"01/2", Shard{}, "want INDEX/COUNT"},
	} {
		got, err := ParseShard(tt.in)
		if tt.err == "" && (err != nil || got != tt.want) {
			t.Errorf("ParseShard(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
		if tt.err != "" && (err == nil || !strings.Contains(err.Error(), tt.err)) {
			t.Errorf("ParseShard(%q) error = %v, want one containing %q", tt.in, err, tt.err)
		}
	}
}

// writeShard writes a minimal shard folder of one run.
func writeShard(t *testing.T, dir string, sh Shard, mutate func(*Summary)) string {
	t.Helper()
	d := filepath.Join(dir, sh.String()[:1])
	if err := os.MkdirAll(filepath.Join(d, HDRDir), 0o755); err != nil {
		t.Fatal(err)
	}
	s := &Summary{
		Scenario: "s", Version: "v1", State: StateComplete, StartedAt: time.Unix(0, 0).UTC(),
		Config: map[string]any{"users": 10.0}, Shard: &sh,
		Runs: []Run{{ID: "0001", Backend: "noop", Repeat: 1, Ops: map[string]Op{OpValidate: {Count: 5}}}},
	}
	if mutate != nil {
		mutate(s)
	}
	if err := WriteSummary(d, s); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestMergeRefuses(t *testing.T) {
	for _, tt := range []struct {
		name   string
		shards []Shard
		mutate func(*Summary)
		want   string
	}{
		{"settings", []Shard{{0, 2}, {1, 2}}, func(s *Summary) { s.Config["users"] = 20.0 }, "settings differ"},
		{"version", []Shard{{0, 2}, {1, 2}}, func(s *Summary) { s.Version = "v2" }, "same version"},
		{"missing", []Shard{{0, 3}, {1, 3}}, nil, "shard 2/3 is missing"},
		{"twice", []Shard{{0, 2}, {0, 2}}, nil, "already given"},
		{"incomplete", []Shard{{0, 2}, {1, 2}}, func(s *Summary) { s.State = StateIncomplete }, "merge complete shards only"},
		{"not a shard", []Shard{{0, 2}, {1, 2}}, func(s *Summary) { s.Shard = nil }, "not a shard"},
		{"other runs", []Shard{{0, 2}, {1, 2}}, func(s *Summary) { s.Runs[0].Backend = "sleep" }, "run 0001 is sleep"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			a := writeShard(t, filepath.Join(dir, "a"), tt.shards[0], nil)
			b := writeShard(t, filepath.Join(dir, "b"), tt.shards[1], tt.mutate)
			_, err := Merge(filepath.Join(dir, "out"), a, b)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Merge: %v, want an error containing %q", err, tt.want)
			}
		})
	}
}
