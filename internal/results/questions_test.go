package results

import (
	"strings"
	"testing"

	"github.com/authbench/authbench/backends"
)

// TestNewIntegrity: each answer lands in its class, and only an attack
// accepted against the design needs attention.
func TestNewIntegrity(t *testing.T) {
	in := NewIntegrity([]backends.AttackResult{
		{Attack: "fresh", Want: "accepted", Got: "accepted"},
		{Attack: "fresh elsewhere", Want: "accepted", Got: "expired"},
		{Attack: "alg none", Want: "algorithm not allowed", Got: "algorithm not allowed"},
		{Attack: "kid", Want: "unknown key id", Got: "malformed"},
		{Attack: "unsigned", Want: "accepted", Weakness: "anyone can encrypt", Got: "accepted"},
		{Attack: "store", Want: "signature invalid", Got: "error: redis: down"},
		{Attack: "none capitals", Want: "algorithm not allowed", Got: "accepted"},
	})
	want := Integrity{Attacks: 5, Rejected: 2, Accepted: 1, AcceptedByDesign: 1, OtherReason: 1, Errors: 1, Controls: 2, ControlsAccepted: 1}
	got := *in
	got.Reasons, got.Results = nil, nil
	if got.Attacks != want.Attacks || got.Rejected != want.Rejected || got.Accepted != want.Accepted || got.AcceptedByDesign != want.AcceptedByDesign ||
		got.OtherReason != want.OtherReason || got.Errors != want.Errors || got.Controls != want.Controls || got.ControlsAccepted != want.ControlsAccepted {
		t.Errorf("got %+v, want %+v", got, want)
	}
	if in.Reasons["expired"] != 1 || in.Reasons["algorithm not allowed"] != 1 || in.Reasons["malformed"] != 1 || len(in.Reasons) != 3 {
		t.Errorf("reasons %v", in.Reasons)
	}
	if a := in.AcceptedAttacks(); len(a) != 1 || a[0] != "none capitals" {
		t.Errorf("accepted %q", a)
	}

	s := &Summary{Backends: []BackendInfo{{Info: backends.Info{Name: "jwt-hs256"}, Integrity: in}}}
	att := Attention(s)
	if len(att) != 1 || !strings.Contains(att[0], "jwt-hs256 accepted 1 of 5") || !strings.Contains(att[0], "none capitals") {
		t.Errorf("attention %q", att)
	}
	in.Accepted = 0
	if att := Attention(s); len(att) != 0 {
		t.Errorf("no accepted attack, attention %q", att)
	}
}
