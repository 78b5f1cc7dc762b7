package runner

import (
	"bytes"
	"context"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
)

const questionsScenario = `name: questions
backends: [noop, jwt-hs256, jwe-ecdh-es]
duration: 100ms
warmup: 0s
repeat: 1
users: 10
load: {model: closed, clients: 1}
`

// TestQuestionsRecorded: every token backend of a run gets the attack
// catalogue and its validation steps in summary.json; the other backends
// get neither. Nothing is accepted against the design, so the run is not
// degraded; jwe-ecdh-es's acceptance of unsigned claims is by design.
func TestQuestionsRecorded(t *testing.T) {
	out, err := runPlan(t, context.Background(), questionsScenario, Options{})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := results.ReadSummary(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range sum.Backends {
		if b.Name == "noop" {
			if b.Integrity != nil || b.Steps != nil {
				t.Errorf("noop: integrity %v, steps %v", b.Integrity, b.Steps)
			}
			continue
		}
		in, st := b.Integrity, b.Steps
		if in == nil || st == nil || in.Error != "" || st.Error != "" {
			t.Fatalf("%s: integrity %+v, steps %+v", b.Name, in, st)
		}
		if in.Attacks < 40 || in.Accepted != 0 || in.Errors != 0 || in.OtherReason != 0 || in.Rejected+in.AcceptedByDesign != in.Attacks ||
			in.Controls == 0 || in.ControlsAccepted != in.Controls || len(in.Results) != in.Attacks+in.Controls {
			t.Errorf("%s: %+v", b.Name, *in)
		}
		if wantByDesign := map[string]int{"jwt-hs256": 0, "jwe-ecdh-es": 1}[b.Name]; in.AcceptedByDesign != wantByDesign {
			t.Errorf("%s: %d accepted by design, want %d", b.Name, in.AcceptedByDesign, wantByDesign)
		}
		if len(st.Steps) < 5 || st.VerifyNSPerOp <= 0 || st.ValidateNSPerOp <= 0 || st.Calls == 0 {
			t.Errorf("%s: steps %+v", b.Name, *st)
		}
	}
	if sum.Degraded {
		t.Errorf("degraded: %q", sum.Warnings)
	}
}

// TestBrokenValidatorFlipsExitStatus: a validator that accepts alg none
// shows in summary.json as two accepted attacks, and the run is degraded
// (exit status 3) with a warning that names them.
func TestBrokenValidatorFlipsExitStatus(t *testing.T) {
	var stdout bytes.Buffer
	out, err := runPlan(t, context.Background(), questionsScenario, Options{
		Stdout:     &stdout,
		attackNode: func(s backends.Strategy) backends.Strategy { return acceptsAlgNone{s} },
	})
	if err != nil {
		t.Fatal(err)
	}
	sum, err := results.ReadSummary(out.Dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range sum.Backends {
		if b.Name != "jwt-hs256" {
			continue
		}
		if b.Integrity == nil || b.Integrity.Accepted != 2 {
			t.Fatalf("integrity %+v, want 2 accepted", b.Integrity)
		}
		if got := b.Integrity.AcceptedAttacks(); strings.Join(got, ";") != "alg none;alg NONE in capitals" {
			t.Errorf("accepted %q", got)
		}
	}
	if !sum.Degraded {
		t.Error("not degraded: an accepted attack must give exit status 3")
	}
	if !strings.Contains(stdout.String(), "  ACCEPTED jwt-hs256: alg none\n") {
		t.Errorf("stdout does not name the accepted attack:\n%s", stdout.String())
	}
	if findWarning(sum.Warnings, "jwt-hs256 accepted 2 of") == "" {
		t.Errorf("no warning names the accepted attacks: %q", sum.Warnings)
	}
}

// acceptsAlgNone is a broken validator: it accepts any token whose header
// says alg none, in any case.
type acceptsAlgNone struct{ backends.Strategy }

func (s acceptsAlgNone) Validate(ctx context.Context, tok string) error {
	if h, _, ok := strings.Cut(tok, "."); ok {
		if raw, err := base64.RawURLEncoding.DecodeString(h); err == nil && strings.Contains(strings.ToLower(string(raw)), `"alg":"none"`) {
			return nil
		}
	}
	return s.Strategy.Validate(ctx, tok)
}
