package report

import (
	"bytes"
	"regexp"
	"strings"
	"testing"
)

func TestWriteBench(t *testing.T) {
	s, err := ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := WriteBench(&buf, s); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if got, want := strings.Join(lines[:4], "\n"), "goos: linux\ngoarch: amd64\ncpu: 2 CPUs\npkg: authbench"; got != want {
		t.Errorf("header:\n%s\nwant\n%s", got, want)
	}
	body := lines[4:]
	if len(body) != len(s.Runs) {
		t.Fatalf("%d benchmark lines for %d runs", len(body), len(s.Runs))
	}
	// The format of `go test -bench`: name, iterations, then value-unit pairs.
	re := regexp.MustCompile(`^BenchmarkValidate/backend=[a-z0-9-]+/clients=(1|8)-2 [0-9]+ [0-9.]+ ns/op [0-9.]+ ops/s [0-9]+ p99-ns$`)
	for _, l := range body {
		if !re.MatchString(l) {
			t.Errorf("bad line %q", l)
		}
	}
	r := s.Runs[0]
	want := "BenchmarkValidate/backend=" + r.Backend + "/clients=1-2 "
	if !strings.HasPrefix(body[0], want) || !strings.Contains(body[0], " p99-ns") {
		t.Errorf("first line %q, want prefix %q", body[0], want)
	}
	golden(t, "bench.txt.golden", buf.Bytes())
}

func TestBenchNames(t *testing.T) {
	for _, tc := range []struct {
		sweep  []string
		params map[string]string
		config map[string]any
		want   string
	}{
		{nil, map[string]string{"load.clients": "16"}, nil, "BenchmarkValidate/backend=x/clients=16 "},
		{nil, nil, map[string]any{"load": map[string]any{"model": "open", "rate": 5000.0}}, "BenchmarkValidate/backend=x/rate=5000 "},
		{[]string{"load.rate", "revocation.rate"}, map[string]string{"load.rate": "100", "revocation.rate": "5"}, nil,
			"BenchmarkValidate/backend=x/load.rate=100/revocation.rate=5 "},
		{[]string{"token.ttl"}, map[string]string{"token.ttl": "1m 30s"}, nil, "BenchmarkValidate/backend=x/ttl=1m_30s "},
	} {
		s := &Summary{Sweep: tc.sweep, Config: tc.config, Runs: []Run{{Backend: "x", Params: tc.params, Ops: map[string]Op{}}}}
		var buf bytes.Buffer
		if err := WriteBench(&buf, s); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "\n"+tc.want) {
			t.Errorf("sweep %v: got\n%s\nwant a line starting %q", tc.sweep, buf.String(), tc.want)
		}
	}
}
