package backends

import (
	"context"
	"runtime"
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
			// Timings on a busy machine: the sum must come out close to the
			// whole in one of three measurements.
			var ratios []float64
			for range 3 {
				got, err := MeasureSteps(context.Background(), s, 5*time.Millisecond)
				if err != nil {
					t.Fatal(err)
				}
				if runtime.GOOS == "linux" && got.Clock != ClockThreadCPU || got.Clock == "" {
					t.Fatalf("clock %q", got.Clock)
				}
				if len(got.Steps) < 5 || got.Rounds != StepRounds || got.Calls < int64(len(got.Steps)+2)*StepRounds {
					t.Fatalf("%+v", got)
				}
				sum, sig := 0.0, ""
				for _, st := range got.Steps {
					if st.NSPerOp <= 0 || st.Name == "" {
						t.Errorf("step %+v", st)
					}
					sum += st.NSPerOp
					if strings.Contains(st.Name, "signature:") || strings.HasPrefix(st.Name, "decrypt:") {
						sig = st.Name
					}
				}
				last := got.Steps[len(got.Steps)-1].Name
				if sig == "" || !strings.HasPrefix(got.Steps[0].Name, "size limit") || !strings.HasPrefix(last, "claims:") && !strings.HasPrefix(last, "inner JWS claims:") {
					t.Fatalf("steps out of order or missing: %+v", got.Steps)
				}
				if got.ValidateNSPerOp <= 0 || got.VerifyNSPerOp <= 0 {
					t.Fatalf("verify %v ns, Validate %v ns", got.VerifyNSPerOp, got.ValidateNSPerOp)
				}
				r := sum / got.VerifyNSPerOp
				if r >= 0.5 && r <= 2 {
					return
				}
				ratios = append(ratios, r)
			}
			t.Errorf("the steps' sum over the whole verification came out at %.2f in three measurements, never within 0.5..2", ratios)
		})
	}
}

// TestMeasureStepsRefusesOtherBackends: only token backends have steps.
func TestMeasureStepsRefusesOtherBackends(t *testing.T) {
	t.Parallel()
	if _, err := MeasureSteps(context.Background(), openTest(t, "session-memory", 0), time.Millisecond); err == nil {
		t.Error("session-memory: no error")
	}
}
