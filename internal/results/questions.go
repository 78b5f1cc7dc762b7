package results

import (
	"fmt"
	"strings"

	"github.com/authbench/authbench/backends"
)

// Integrity is what the attack catalogue (backends.RunAttacks) showed
// against one token backend: forged and tampered tokens it must refuse,
// and controls, well-formed tokens it must accept. Replayed once per
// backend before the first measured run, outside every measured period.
type Integrity struct {
	// Attacks counts the forged or tampered tokens tried, controls apart.
	Attacks int `json:"attacks"`
	// Rejected counts the attacks refused, for any reason.
	Rejected int `json:"rejected"`
	// Accepted counts attacks accepted though the design must refuse
	// them: a security failure, and a reason for exit status 3.
	Accepted int `json:"accepted"`
	// AcceptedByDesign counts forgeries the backend's design accepts
	// (results[].weakness says why), such as claims encrypted without a
	// signature to a public-key JWE backend.
	AcceptedByDesign int `json:"accepted_by_design"`
	// OtherReason counts attacks refused for another reason than the one
	// the catalogue expects (refused all the same).
	OtherReason int `json:"other_reason"`
	// Errors counts attacks that ended in an infrastructure error or could
	// not be forged: neither accepted nor refused.
	Errors int `json:"errors"`
	// Controls counts the well-formed tokens tried, ControlsAccepted those
	// accepted (a refused control is a validator refusing good tokens).
	Controls         int `json:"controls"`
	ControlsAccepted int `json:"controls_accepted"`
	// Reasons counts the refusals (of attacks and controls) by reason, in
	// the words of backends.Explain.
	Reasons map[string]int `json:"reasons"`
	// Results lists every entry of the catalogue in its order.
	Results []AttackResult `json:"results"`
	// Error says why the catalogue could not be run ("" when it ran).
	Error string `json:"error,omitempty"`
}

// AttackResult is one entry of the catalogue against one backend.
type AttackResult struct {
	Attack string `json:"attack"`
	// Want is the answer the backend must give: "accepted" (a control, or
	// a weakness of the design) or the reason for the refusal.
	Want string `json:"want"`
	// Got is the backend's answer, in the same words ("error: …" for an
	// infrastructure failure, "not forged: …" when the token could not be
	// built).
	Got string `json:"got"`
	// Outcome is one of the Attack… constants.
	Outcome string `json:"outcome"`
	// Weakness says why the design accepts this forgery.
	Weakness string `json:"weakness,omitempty"`
}

// The outcomes of an entry of the catalogue.
const (
	AttackRejected         = "rejected" // refused for the reason the catalogue expects
	AttackOtherReason      = "rejected, other reason"
	AttackAccepted         = "ACCEPTED"           // a security failure
	AttackAcceptedByDesign = "accepted by design" // a documented weakness of the design
	AttackError            = "error"
	ControlAccepted        = "control accepted"
	ControlRefused         = "control refused"
)

// NewIntegrity classifies the catalogue's answers.
func NewIntegrity(rs []backends.AttackResult) *Integrity {
	in := &Integrity{Reasons: map[string]int{}, Results: make([]AttackResult, 0, len(rs))}
	for _, r := range rs {
		accepted := r.Got == backends.Explain(nil)
		failed := strings.HasPrefix(r.Got, "error: ") || strings.HasPrefix(r.Got, "not forged: ")
		out := AttackResult{Attack: r.Attack, Want: r.Want, Got: r.Got, Weakness: r.Weakness}
		if !accepted && !failed {
			in.Reasons[r.Got]++
		}
		switch {
		case r.Control():
			in.Controls++
			out.Outcome = ControlRefused
			if accepted {
				in.ControlsAccepted++
				out.Outcome = ControlAccepted
			}
		case failed:
			in.Attacks++
			in.Errors++
			out.Outcome = AttackError
		case accepted && r.Weakness != "":
			in.Attacks++
			in.AcceptedByDesign++
			out.Outcome = AttackAcceptedByDesign
		case accepted:
			in.Attacks++
			in.Accepted++
			out.Outcome = AttackAccepted
		default:
			in.Attacks++
			in.Rejected++
			out.Outcome = AttackRejected
			if r.Got != r.Want && r.Weakness == "" {
				in.OtherReason++
				out.Outcome = AttackOtherReason
			}
		}
		in.Results = append(in.Results, out)
	}
	return in
}

// AcceptedAttacks names the attacks a backend accepted against its design.
func (in *Integrity) AcceptedAttacks() []string {
	var names []string
	for _, r := range in.Results {
		if r.Outcome == AttackAccepted {
			names = append(names, r.Attack)
		}
	}
	return names
}

// Steps is the measured cost of each stage of one token backend's
// validation (backends.MeasureSteps), timed once per backend before the
// first measured run, on a node of its own with the run's keys and token
// settings.
type Steps struct {
	// Steps are the stages in the order Validate goes through them.
	Steps []Step `json:"steps"`
	// VerifyNSPerOp is the whole token check timed the same way; the
	// stages' sum is close to it, not equal (each stage is timed alone).
	VerifyNSPerOp float64 `json:"verify_ns_per_op"`
	// ValidateNSPerOp is the node's Validate: the token check and, for a
	// hybrid, its store check.
	ValidateNSPerOp float64 `json:"validate_ns_per_op"`
	// Rounds is how many timed rounds each figure is the median of, Calls
	// how many calls were timed in all.
	Rounds int   `json:"rounds"`
	Calls  int64 `json:"calls"`
	// Clock is what the figures count: "thread CPU time" (the measuring
	// thread's CPU time, Linux: time other processes held the CPU is not
	// counted) or "wall time".
	Clock string `json:"clock"`
	// Error says why the stages could not be timed ("" when they were).
	Error string `json:"error,omitempty"`
}

// Step is one stage of a validation.
type Step struct {
	Name    string  `json:"name"`
	NSPerOp float64 `json:"ns_per_op"`
}

// NewSteps records what backends.MeasureSteps found.
func NewSteps(c backends.StepCosts) *Steps {
	s := &Steps{VerifyNSPerOp: c.VerifyNSPerOp, ValidateNSPerOp: c.ValidateNSPerOp, Rounds: c.Rounds, Calls: c.Calls, Clock: c.Clock, Steps: make([]Step, 0, len(c.Steps))}
	for _, st := range c.Steps {
		s.Steps = append(s.Steps, Step{Name: st.Name, NSPerOp: st.NSPerOp})
	}
	return s
}

// integrityAttention lists the backends that accepted an attack.
func integrityAttention(s *Summary) []string {
	var out []string
	for _, b := range s.Backends {
		if b.Integrity == nil || b.Integrity.Accepted == 0 {
			continue
		}
		out = append(out, fmt.Sprintf("%s accepted %d of %d forged or tampered tokens (%s): its validator is broken",
			b.Name, b.Integrity.Accepted, b.Integrity.Attacks, strings.Join(b.Integrity.AcceptedAttacks(), "; ")))
	}
	return out
}
