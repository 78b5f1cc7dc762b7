package report

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/internal/runner"
	"github.com/authbench/authbench/scenarios"
)

// questionsRun is a short real run (the runner, no Redis) with a token
// lifetime shorter than the run, logouts and replays: every question but
// client-side storage has data. Built once for the tests below.
const questionsRun = `name: questions
backends: [noop, jwt-hs256, jwe-rsa-oaep, session-memory]
duration: 1100ms
warmup: 100ms
repeat: 1
users: 200
load: {model: closed, clients: 1}
token: {ttl: 400ms, leeway: 0s}
revocation: {rate: 50, replay: 0.05}
`

var (
	realOnce sync.Once
	realSum  *results.Summary
	realErr  error
)

// realSummary runs questionsRun through the runner and reads its summary.
func realSummary(t *testing.T) *results.Summary {
	t.Helper()
	realOnce.Do(func() {
		s, err := scenarios.ParseBytes("questions.yaml", []byte(questionsRun))
		if err != nil {
			realErr = err
			return
		}
		plan, err := scenarios.Plan(s)
		if err != nil {
			realErr = err
			return
		}
		out, err := runner.Run(context.Background(), s, plan, runner.Options{Out: t.TempDir(), Version: "test"})
		if err != nil {
			realErr = err
			return
		}
		realSum, realErr = results.ReadSummary(out.Dir)
	})
	if realErr != nil {
		t.Fatal(realErr)
	}
	// A copy per test: tests change it.
	c := *realSum
	c.Backends = append([]results.BackendInfo(nil), realSum.Backends...)
	return &c
}

func questionsMarkdown(t *testing.T, s *results.Summary) string {
	t.Helper()
	var b bytes.Buffer
	writeQuestions(func(f string, a ...any) { fmt.Fprintf(&b, f, a...) }, s, newView(s))
	return b.String()
}

// section returns the text of the ### section whose title starts with title.
func section(md, title string) string {
	i := strings.Index(md, "### "+title)
	if i < 0 {
		return ""
	}
	rest := md[i+4:]
	if j := strings.Index(rest, "\n### "); j >= 0 {
		return rest[:j]
	}
	return rest
}

// TestQuestionsFromRealRun: the four sections render from what the real
// runner recorded: the catalogue's tally per token backend with nothing
// accepted but jwe-rsa-oaep's unsigned claims (by design), a step table
// whose signature step is there with its share, exposure against a TTL
// shorter than the run, and a pointer for client-side storage.
func TestQuestionsFromRealRun(t *testing.T) {
	s := realSummary(t)
	md := questionsMarkdown(t, s)
	integ := section(md, "Can a client tamper")
	for _, want := range []string{"| jwt-hs256 | ", "| jwe-rsa-oaep | ", "jwe-rsa-oaep accepted \"claims encrypted without a signature\" by design", "signature invalid ×"} {
		if !strings.Contains(integ, want) {
			t.Errorf("integrity section lacks %q:\n%s", want, integ)
		}
	}
	if strings.Contains(integ, "ACCEPTED") || strings.Contains(integ, "| noop |") || strings.Contains(integ, "| session-memory |") {
		t.Errorf("integrity section:\n%s", integ)
	}
	for _, b := range s.Backends {
		if b.Name == "jwt-hs256" && !strings.Contains(integ, fmt.Sprintf("| jwt-hs256 | %d | %d | 0 | 0 | 0 | 0 | %d of %d |", b.Integrity.Attacks, b.Integrity.Rejected, b.Integrity.Controls, b.Integrity.Controls)) {
			t.Errorf("jwt-hs256's row does not carry its figures %+v:\n%s", *b.Integrity, integ)
		}
	}

	steps := section(md, "How does a server validate")
	for _, want := range []string{"| jwt-hs256 | signature: HMAC-SHA256 | ", "#### jwt-hs256", "| 4 | signature: HMAC-SHA256 | ", "decrypt: RSA-OAEP-256 key unwrap + AES-256-GCM", "| | steps' sum | "} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps section lacks %q:\n%s", want, steps)
		}
	}

	exp := section(md, "Expiry and refresh")
	if !strings.Contains(exp, "| jwt-hs256 | 400ms | 1.1 s | ") {
		t.Errorf("expiry section lacks jwt-hs256 at 400ms:\n%s", exp)
	}
	if strings.Contains(exp, "cut off by the run") || strings.Contains(exp, "| noop |") {
		t.Errorf("a 400 ms token in a 1.1 s run is not cut off by the run, and noop is no token:\n%s", exp)
	}
	if !strings.Contains(exp, "No backend refreshed a token in this run") {
		t.Errorf("refresh not measured, and the section must say so:\n%s", exp)
	}

	if st := section(md, "Where does the client keep"); !strings.Contains(st, "Not measured in this run") || !strings.Contains(st, "scenarios/http.yaml") {
		t.Errorf("storage section:\n%s", st)
	}
}

// TestQuestionsAcceptedAttackIsLoud: an attack accepted against the design
// is in bold in the table and named in a list.
func TestQuestionsAcceptedAttackIsLoud(t *testing.T) {
	s := realSummary(t)
	for i := range s.Backends {
		if s.Backends[i].Name != "jwt-hs256" {
			continue
		}
		s.Backends[i].Integrity = results.NewIntegrity([]backends.AttackResult{
			{Attack: "fresh valid token", Want: "accepted", Got: "accepted"},
			{Attack: "alg none", Want: "algorithm not allowed", Got: "accepted"},
			{Attack: "wrong aud", Want: "wrong audience", Got: "wrong audience"},
		})
	}
	integ := section(questionsMarkdown(t, s), "Can a client tamper")
	if !strings.Contains(integ, "| jwt-hs256 | 2 | 1 | **1** | 0 | 0 | 0 | 1 of 1 | wrong audience ×1 |") ||
		!strings.Contains(integ, "**jwt-hs256 ACCEPTED \"alg none\"** (must be refused: algorithm not allowed)") {
		t.Errorf("integrity section:\n%s", integ)
	}
}

// TestQuestionsStepShares: the shares are each step over the steps' sum,
// and the signature's share is what the summary table shows.
func TestQuestionsStepShares(t *testing.T) {
	s := realSummary(t)
	for i := range s.Backends {
		if s.Backends[i].Name == "jwt-hs256" {
			s.Backends[i].Steps = &results.Steps{Rounds: 7, VerifyNSPerOp: 1100, ValidateNSPerOp: 1200, Steps: []results.Step{
				{Name: "size limit and canonical base64url check", NSPerOp: 100},
				{Name: "decode: base64url of the segments, JSON of header and claims", NSPerOp: 500},
				{Name: "signature: HMAC-SHA256", NSPerOp: 300},
				{Name: "claims: exp, nbf, iat, iss, aud, jti", NSPerOp: 100},
			}}
		}
	}
	steps := section(questionsMarkdown(t, s), "How does a server validate")
	for _, want := range []string{
		"| jwt-hs256 | signature: HMAC-SHA256 | 300 ns | 30.0% | 1.00 µs | 1.10 µs | 1.20 µs |",
		"| 2 | decode: base64url of the segments, JSON of header and claims | 500 | 50.0% |",
		"| | steps' sum | 1000 | |",
		"- jwt-hs256: the signature check or decryption is 30.0% of the validation's steps; the largest step is decode: base64url of the segments, JSON of header and claims (50.0%).",
		"- jwe-rsa-oaep: the signature check or decryption is ",
	} {
		if !strings.Contains(steps, want) {
			t.Errorf("steps section lacks %q:\n%s", want, steps)
		}
	}
}

// TestQuestionsNotMeasured: a summary without the new figures (the
// report's fixture, written before them) says so for each question.
func TestQuestionsNotMeasured(t *testing.T) {
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	md := questionsMarkdown(t, s)
	for _, title := range []string{"Can a client tamper", "How does a server validate", "Where does the client keep"} {
		if sec := section(md, title); !strings.Contains(sec, "Not measured in this run") {
			t.Errorf("%s:\n%s", title, sec)
		}
	}
}

// TestQuestionsStorageFromHTTPRuns: with runs over HTTP, the storage
// section compares header and cookie from their wire figures.
func TestQuestionsStorageFromHTTPRuns(t *testing.T) {
	s := &results.Summary{Backends: []results.BackendInfo{{Info: backends.Info{Name: "jwt-hs256", Family: "jwt"}}}, Runs: []results.Run{
		{ID: "0001", Backend: "jwt-hs256", HTTP: &results.HTTP{Transport: "http", Credential: "header", BytesSentPerRequest: 420, BytesReceivedPerRequest: 120}},
		{ID: "0002", Backend: "jwt-hs256", HTTP: &results.HTTP{Transport: "http", Credential: "cookie", SameSite: "None", BytesSentPerRequest: 430, BytesReceivedPerRequest: 125,
			CSRF: &results.CSRF{Attempts: 20, CookieAttached: 20, Accepted: 20}}},
	}}
	st := section(questionsMarkdown(t, s), "Where does the client keep")
	for _, want := range []string{"| jwt-hs256 | http | cookie (SameSite=None) | 430 | 125 | 20 | 20 | **20** | 0 | 0 |", "| jwt-hs256 | http | header | 420 | 120 | – | – | – | – | – |", "XSS"} {
		if !strings.Contains(st, want) {
			t.Errorf("storage section lacks %q:\n%s", want, st)
		}
	}
}

// Only the backends the runner attacks and times are listed as not
// measured: session-redis-cached is a hybrid, but its credential is an
// opaque session id, not a token.
func TestQuestionsNotMeasuredOnlyForTokens(t *testing.T) {
	s, err := results.ReadSummary(fixtureDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"session-redis-cached", "jwt-refresh"} {
		e, ok := backends.Lookup(name)
		if !ok {
			t.Fatalf("%s not registered", name)
		}
		s.Backends = append(s.Backends, results.BackendInfo{Info: e.Info})
		run := s.Runs[0]
		run.ID, run.Backend = name+"-1", name
		s.Runs = append(s.Runs, run)
	}
	sec := section(questionsMarkdown(t, s), "Can a client tamper")
	if !strings.Contains(sec, "jwt-refresh") {
		t.Errorf("jwt-refresh, a token backend without attack results, not named:\n%s", sec)
	}
	if strings.Contains(sec, "session-redis-cached") {
		t.Errorf("session-redis-cached, whose credential is a session id, named as not measured:\n%s", sec)
	}
}
