package backends

import (
	"context"
	"strings"
	"testing"
	"time"
)

// TestMeasureSteps: every token backend's validation is taken apart into
// its stages in order, each with a cost, and the stages add up to about
// the whole verification timed the same way (a loose bound: the machine is
// busy, and the whole shares work between stages).
func TestMeasureSteps(t *testing.T) {
	t.Parallel()
	names := []string{"jwt-denylist-memory"}
	for _, b := range tokenBackends {
		names = append(names, b.name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			s := openTest(t, name, 0)
			got, err := MeasureSteps(context.Background(), s, 5*time.Millisecond)
			if err != nil {
				t.Fatal(err)
			}
			if len(got.Steps) < 5 || got.Rounds != StepRounds || got.Calls < int64(len(got.Steps)+2)*StepRounds {
				t.Fatalf("%+v", got)
			}
			sum := 0.0
			var sig, check string
			for _, st := range got.Steps {
				if st.NSPerOp <= 0 || st.Name == "" {
					t.Errorf("step %+v", st)
				}
				sum += st.NSPerOp
				if strings.Contains(st.Name, "signature:") || strings.HasPrefix(st.Name, "decrypt:") {
					sig = st.Name
				}
			}
			check = got.Steps[0].Name
			if sig == "" || !strings.HasPrefix(check, "size limit") || !strings.HasPrefix(got.Steps[len(got.Steps)-1].Name, "inner JWS claims") && !strings.HasPrefix(got.Steps[len(got.Steps)-1].Name, "claims:") {
				t.Errorf("steps out of order or missing: %+v", got.Steps)
			}
			if r := sum / got.VerifyNSPerOp; r < 0.33 || r > 3 {
				t.Errorf("steps sum to %.0f ns, whole verification %.0f ns (ratio %.2f)", sum, got.VerifyNSPerOp, r)
			}
			if got.ValidateNSPerOp <= 0 {
				t.Errorf("Validate: %v ns", got.ValidateNSPerOp)
			}
		})
	}
}

// TestMeasureStepsShares: public-key signature and key agreement dominate
// their validations (each costs tens of microseconds against a few for
// parsing); a relative check within one measurement.
func TestMeasureStepsShares(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"jwt-rs256", "jwe-rsa-oaep"} {
		got, err := MeasureSteps(context.Background(), openTest(t, name, 0), 5*time.Millisecond)
		if err != nil {
			t.Fatal(err)
		}
		var top ValidationStep
		for _, st := range got.Steps {
			if st.NSPerOp > top.NSPerOp {
				top = st
			}
		}
		if !strings.Contains(top.Name, "RSA") {
			t.Errorf("%s: the costliest step is %q, not the RSA operation: %+v", name, top.Name, got.Steps)
		}
	}
}

// TestMeasureStepsRefusesOtherBackends: only token backends have steps.
func TestMeasureStepsRefusesOtherBackends(t *testing.T) {
	t.Parallel()
	if _, err := MeasureSteps(context.Background(), openTest(t, "session-memory", 0), time.Millisecond); err == nil {
		t.Error("session-memory: no error")
	}
}
