package main

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/internal/results"
)

// serveBinary starts `authbench serve` in its own process and returns it
// with the URL it announced.
func serveBinary(t *testing.T, dir string, args ...string) (*proc, string) {
	t.Helper()
	p := startBinary(t, dir, append([]string{"serve", "--addr", "127.0.0.1:0"}, args...)...)
	deadline := time.After(30 * time.Second)
	for {
		select {
		case line := <-p.lines:
			if _, url, ok := strings.Cut(line, " listening on "); ok {
				return p, url
			}
		case <-p.exited:
			_, stderr := p.output()
			t.Fatalf("authbench serve exited with %d: %s", p.status, stderr)
		case <-deadline:
			t.Fatal("authbench serve did not announce its address in 30s")
		}
	}
}

const targetScenario = `name: target
backends: [session-memory]
duration: %s
warmup: %s
repeat: 1
users: 200
load: {clients: 4}
revocation: {rate: 20, replay: 0.1}
transport: %s
credential: {in: %s}
keys: %s
http: {target: "%s"}
`

// authbench run drives authbench serve in another process through
// http.target: logins, validations, logouts and replays of logged-out
// sessions all cross the wire, and the outcome matrix is as in-process.
func TestRunAgainstServe(t *testing.T) {
	for _, tc := range []struct{ transport, credential string }{{"http", "header"}, {"https", "cookie"}} {
		t.Run(tc.transport+"-"+tc.credential, func(t *testing.T) {
			dir := t.TempDir()
			if status, _, stderr := runCLI(t, "keys", "gen", "--out", filepath.Join(dir, "keys")); status != 0 {
				t.Fatal(stderr)
			}
			args := []string{"--backend", "session-memory", "--keys", "keys", "--credential", tc.credential}
			if tc.transport == "https" {
				args = append(args, "--tls")
			}
			srv, url := serveBinary(t, dir, args...)
			sc := filepath.Join(dir, "target.yaml")
			os.WriteFile(sc, fmt.Appendf(nil, targetScenario, "1s", "200ms", tc.transport, tc.credential, filepath.Join(dir, "keys"), url), 0o644)
			status, stdout, stderr := runCLI(t, "run", "--quiet", "--out", filepath.Join(dir, "results"), sc)
			if status != exitOK {
				t.Fatalf("exit %d\n%s%s\nserver: %s", status, stdout, stderr, srv.stderr.String())
			}
			sum, err := results.ReadSummary(filepath.Join(dir, "results", "latest"))
			if err != nil {
				t.Fatal(err)
			}
			run := sum.Runs[0]
			o, rv, h := run.Outcomes, run.Revocation, run.HTTP
			if o.Accepted == 0 || o.Errors != 0 || o.FalseAccepts != 0 || o.FalseRejects != 0 {
				t.Errorf("outcomes %+v, samples %q", o, run.ErrorSamples)
			}
			if rv.Revoked == 0 || rv.Replays == 0 || rv.ReplaysAccepted != 0 {
				t.Errorf("revocation %+v: logouts and replays over the wire, none accepted", rv)
			}
			if h == nil || h.Target != url || h.Requests == 0 || h.BytesSentPerRequest <= 0 || h.ValidateShare <= 0 || h.ValidateShare > 1 {
				t.Errorf("http figures %+v: want the target, requests, bytes and the validation share read from the server", h)
			}
		})
	}
}

// A server killed mid-run: the run completes on schedule, the failures
// are counted as errors, the summary is written and marked degraded.
func TestServeKilledMidRun(t *testing.T) {
	dir := t.TempDir()
	srv, url := serveBinary(t, dir, "--backend", "jwt-hs256")
	sc := filepath.Join(dir, "target.yaml")
	// No warm-up: the kill below falls in the measured period.
	os.WriteFile(sc, fmt.Appendf(nil, targetScenario, "2s", "0s", "http", "header", `""`, url), 0o644)
	killed, ran := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(killed)
		// Kill once validations arrive: the run's load has begun. The
		// login phase before it takes longer on a busy machine: poll
		// until the run is over, not for a fixed time.
		for {
			resp, err := http.Get(url + "/.well-known/authbench/stats")
			if err == nil {
				var n int64
				buf := make([]byte, 256)
				k, _ := resp.Body.Read(buf)
				resp.Body.Close()
				fmt.Sscanf(strings.TrimPrefix(string(buf[:k]), `{"validations":`), "%d", &n)
				if n > 100 {
					srv.cmd.Process.Kill()
					return
				}
			}
			select {
			case <-ran:
				return
			case <-time.After(20 * time.Millisecond):
			}
		}
	}()
	status, stdout, stderr := runCLI(t, "run", "--quiet", "--out", filepath.Join(dir, "results"), sc)
	close(ran)
	<-killed
	if status != exitDegraded {
		t.Fatalf("exit %d, want %d (degraded)\n%s%s", status, exitDegraded, stdout, stderr)
	}
	sum, err := results.ReadSummary(filepath.Join(dir, "results", "latest"))
	if err != nil {
		t.Fatal(err)
	}
	// From the start to the end of measuring (the summary's times, to the
	// second), not counting the report, whose charts take many times
	// longer on a busy machine under the race detector.
	if took := sum.FinishedAt.Sub(sum.StartedAt); took > 20*time.Second {
		t.Errorf("run took %s after the server died", took)
	}
	run := sum.Runs[0]
	if run.Outcomes.Errors == 0 || run.Outcomes.Accepted == 0 || run.HTTP == nil || run.HTTP.DialErrors == 0 {
		t.Errorf("outcomes %+v http %+v: want accepted validations before the kill and errors (refused connections) after", run.Outcomes, run.HTTP)
	}
	if !sum.Degraded {
		t.Errorf("summary not marked degraded; warnings %q", sum.Warnings)
	}
}
