package results

import (
	"bytes"
	"strings"
	"testing"
)

func TestWriteBench(t *testing.T) {
	s := &Summary{
		Machine: Machine{CPUs: 2, GOMAXPROCS: 2, OS: "linux", Arch: "amd64"},
		Sweep:   []string{"load.clients"},
		Runs: []Run{
			{Backend: "noop", Model: "closed", Params: map[string]string{"load.clients": "1"}, Ops: map[string]Op{
				OpValidate: {Count: 1234567, ThroughputPerS: 98765.25, LatencyNS: Latency{Mean: 812.04, P99: 2100}}}},
			{Backend: "jwt hs256", Model: "closed", Params: map[string]string{"load.clients": "8"}, Ops: map[string]Op{}},
		},
	}
	var buf bytes.Buffer
	if err := WriteBench(&buf, s); err != nil {
		t.Fatal(err)
	}
	// The format of `go test -bench`, so that benchstat reads it: a
	// header, then name, iterations and value-unit pairs.
	want := `goos: linux
goarch: amd64
cpu: 2 CPUs
pkg: authbench
BenchmarkValidate/backend=noop/clients=1-2 1234567 812.0 ns/op 98765.2 ops/s 2100 p99-ns
BenchmarkValidate/backend=jwt_hs256/clients=8-2 0 0.0 ns/op 0.0 ops/s 0 p99-ns
`
	if buf.String() != want {
		t.Errorf("got\n%s\nwant\n%s", buf.String(), want)
	}
}

func TestBenchNames(t *testing.T) {
	for _, tc := range []struct {
		sweep  []string
		model  string
		params map[string]string
		want   string
	}{
		{nil, "closed", map[string]string{"load.clients": "16"}, "BenchmarkValidate/backend=x/clients=16 "},
		{nil, "open", map[string]string{"load.clients": "16", "load.rate": "5000"}, "BenchmarkValidate/backend=x/rate=5000 "},
		{nil, "closed", nil, "BenchmarkValidate/backend=x "},
		{[]string{"load.rate", "revocation.rate"}, "open", map[string]string{"load.rate": "100", "revocation.rate": "5"},
			"BenchmarkValidate/backend=x/load.rate=100/revocation.rate=5 "},
		{[]string{"token.ttl"}, "closed", map[string]string{"token.ttl": "1m 30s"}, "BenchmarkValidate/backend=x/ttl=1m_30s "},
	} {
		s := &Summary{Sweep: tc.sweep, Runs: []Run{{Backend: "x", Model: tc.model, Params: tc.params, Ops: map[string]Op{}}}}
		var buf bytes.Buffer
		if err := WriteBench(&buf, s); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), "\n"+tc.want) {
			t.Errorf("sweep %v: got\n%s\nwant a line starting %q", tc.sweep, buf.String(), tc.want)
		}
	}
}

// TestBenchNamesExtraPoints: a run at an extra point is named by the
// parameters it sets beyond the sweep too, so that benchstat never mixes
// it with the grid's runs at the same swept values.
func TestBenchNamesExtraPoints(t *testing.T) {
	p := func(kv ...string) map[string]string {
		m := map[string]string{}
		for i := 0; i < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		return m
	}
	s := &Summary{Sweep: []string{"load.clients"}, Runs: []Run{
		{Backend: "x", Model: "closed", Params: p("load.clients", "8", "token.ttl", "15m0s"), Ops: map[string]Op{}},
		{Backend: "x", Model: "closed", Params: p("load.clients", "8", "token.ttl", "100ms"), Extra: []string{"load.clients", "token.ttl"}, Ops: map[string]Op{}},
		{Backend: "x", Model: "closed", Params: p("load.clients", "8", "cluster.nodes", "3"), Extra: []string{"cluster.nodes", "load.clients"}, Ops: map[string]Op{}},
	}}
	var buf bytes.Buffer
	if err := WriteBench(&buf, s); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"\nBenchmarkValidate/backend=x/clients=8 ", "\nBenchmarkValidate/backend=x/clients=8/ttl=100ms ", "\nBenchmarkValidate/backend=x/clients=8/nodes=3 "} {
		if !strings.Contains(buf.String(), want) {
			t.Errorf("got\n%s\nwant a line starting %q", buf.String(), want[1:])
		}
	}
	// Without a sweep, the load stays named once.
	s = &Summary{Runs: []Run{{Backend: "x", Model: "closed", Params: p("load.clients", "8", "token.ttl", "100ms"), Extra: []string{"token.ttl", "load.clients"}, Ops: map[string]Op{}}}}
	buf.Reset()
	if err := WriteBench(&buf, s); err != nil {
		t.Fatal(err)
	}
	if want := "\nBenchmarkValidate/backend=x/ttl=100ms/clients=8 "; !strings.Contains(buf.String(), want) {
		t.Errorf("got\n%s\nwant a line starting %q", buf.String(), want[1:])
	}
}
