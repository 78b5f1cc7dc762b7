package scenarios

import (
	"testing"
	"time"
)

// TestRequireParsed: a limit written as 0 applies (no false accepts
// allowed); one left out does not.
func TestRequireParsed(t *testing.T) {
	s, err := ParseBytes("t.yaml", []byte("name: t\nbackends: [test-a]\nrequire:\n  backends: [test-a]\n  validate_p99: 2ms\n  false_accepts: 0\n  exposure_p99: 0s\n"))
	if err != nil {
		t.Fatal(err)
	}
	r := s.Require
	if r.ValidateP99 != 2*time.Millisecond || r.FalseAccepts == nil || *r.FalseAccepts != 0 || r.ExposureP99 == nil || *r.ExposureP99 != 0 {
		t.Errorf("require %+v: want validate_p99 2ms, false_accepts 0 and exposure_p99 0s set", r)
	}
	if r.ErrorShare != nil || r.StoreRoundTrips != nil || !r.Any() {
		t.Errorf("require %+v: limits left out must stay unset", r)
	}
	if s.MaxErrorShare != DefaultMaxErrorShare {
		t.Errorf("max_error_share %v, want the default %v", s.MaxErrorShare, DefaultMaxErrorShare)
	}
	d, err := ParseBytes("t.yaml", []byte("name: t\nbackends: [test-a]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d.Require.Any() {
		t.Errorf("a scenario without require: has requirements %+v", d.Require)
	}
}
