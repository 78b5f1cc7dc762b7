package results

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// BenchFile is the name of the Go benchmark format file in a run folder.
const BenchFile = "bench.txt"

// WriteBench writes s in the Go benchmark format, one line per backend ×
// parameter point × repeat, so that two runs compare with benchstat:
//
//	BenchmarkValidate/backend=jwt-hs256/clients=16 1234567 812 ns/op 98765 ops/s 2100 p99-ns
//
// The iteration count is the number of validations measured. ns/op is the
// MEAN validate latency of the run, not the reciprocal of the throughput:
// with many clients in flight the two differ, and latency is what a request
// waits. ops/s is the validate throughput over the measured period and
// p99-ns the 99th percentile of validate latency.
//
// The name's sub-benchmark parts are the swept parameters (last path
// element, or the whole dotted path when two swept paths share it), and at
// an extra point the parameters it sets beyond them; without a sweep, the load's clients (closed model) or rate (open model), so that
// lines always say at which load they were measured.
func WriteBench(w io.Writer, s *Summary) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintf(bw, "goos: %s\n", benchValue(s.Machine.OS))
	fmt.Fprintf(bw, "goarch: %s\n", benchValue(s.Machine.Arch))
	fmt.Fprintf(bw, "cpu: %s\n", cpuLine(s.Machine))
	fmt.Fprintf(bw, "pkg: authbench\n")
	names := benchKeyNames(namedPaths(s))
	suffix := ""
	if s.Machine.GOMAXPROCS > 1 {
		// As `go test -bench` does, so benchstat reads GOMAXPROCS.
		suffix = "-" + strconv.Itoa(s.Machine.GOMAXPROCS)
	}
	for i := range s.Runs {
		r := &s.Runs[i]
		var name strings.Builder
		name.WriteString("BenchmarkValidate/backend=")
		name.WriteString(benchValue(r.Backend))
		if len(s.Sweep) == 0 {
			if key, val := loadParam(r); key != "" && !slices.Contains(r.Extra, "load."+key) {
				fmt.Fprintf(&name, "/%s=%s", key, benchValue(val))
			}
		}
		for _, path := range runPaths(s, r) {
			fmt.Fprintf(&name, "/%s=%s", names[path], benchValue(r.Params[path]))
		}
		name.WriteString(suffix)
		op := r.Ops[OpValidate]
		fmt.Fprintf(bw, "%s %d %s ns/op %s ops/s %d p99-ns\n",
			name.String(), op.Count,
			strconv.FormatFloat(op.LatencyNS.Mean, 'f', 1, 64),
			strconv.FormatFloat(op.ThroughputPerS, 'f', 1, 64),
			op.LatencyNS.P99)
	}
	return bw.Flush()
}

// runPaths lists the paths that name run r's point: the swept paths, then,
// at an extra point, those it sets beyond them.
func runPaths(s *Summary, r *Run) []string {
	paths := s.Sweep
	for _, p := range r.Extra {
		if !slices.Contains(paths, p) {
			paths = append(slices.Clip(paths), p)
		}
	}
	return paths
}

// namedPaths lists every path that names some run's point.
func namedPaths(s *Summary) []string {
	paths := slices.Clone(s.Sweep)
	for i := range s.Runs {
		for _, p := range s.Runs[i].Extra {
			if !slices.Contains(paths, p) {
				paths = append(paths, p)
			}
		}
	}
	return paths
}

// loadParam names the load of a run without a sweep: clients for the
// closed model, rate for the open one.
func loadParam(r *Run) (key, val string) {
	if r.Model == "open" {
		key, val = "rate", r.Params["load.rate"]
	} else {
		key, val = "clients", r.Params["load.clients"]
	}
	if val == "" {
		return "", ""
	}
	return key, val
}

// benchKeyNames maps each swept path to the key used in benchmark names:
// its last element unless another swept path ends the same way.
func benchKeyNames(sweep []string) map[string]string {
	last := func(p string) string { return p[strings.LastIndex(p, ".")+1:] }
	count := map[string]int{}
	for _, p := range sweep {
		count[last(p)]++
	}
	out := map[string]string{}
	for _, p := range sweep {
		if count[last(p)] > 1 {
			out[p] = benchValue(p)
		} else {
			out[p] = benchValue(last(p))
		}
	}
	return out
}

// benchValue makes s safe inside a benchmark name or a configuration
// value: no white space, and no '/' or '=' that would split the name.
func benchValue(s string) string {
	if s == "" {
		return "unknown"
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '\t', '\n', '\r', '/', '=':
			return '_'
		}
		return r
	}, s)
}

func cpuLine(m Machine) string {
	if m.CPUs == 0 {
		return "unknown"
	}
	return fmt.Sprintf("%d CPUs", m.CPUs)
}

// WriteBenchFile writes DIR/bench.txt atomically.
func WriteBenchFile(dir string, s *Summary) error {
	var buf bytes.Buffer
	if err := WriteBench(&buf, s); err != nil {
		return err
	}
	return WriteFileAtomic(filepath.Join(dir, BenchFile), buf.Bytes())
}
