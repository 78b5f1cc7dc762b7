package main

import (
	"bytes"
	"slices"
	"strings"
	"testing"
)

// Session IDs are base64url: one in 64 begins with "-". Such a TOKEN is
// the token, not an unknown flag.
func TestVerifyTokenStartingWithDash(t *testing.T) {
	tok := "-OYli" + strings.Repeat("A", 38)
	var stdout, stderr bytes.Buffer
	code := cmdToken([]string{"verify", "--backend", "session-memory", tok}, &stdout, &stderr)
	if code == exitUsage || strings.Contains(stderr.String(), "flag provided but not defined") {
		t.Fatalf("verify of a token starting with a dash: exit %d, %s", code, stderr.String())
	}
	if !strings.Contains(stdout.String()+stderr.String(), "rejected") {
		t.Errorf("want the unknown session rejected, got stdout %q stderr %q", stdout.String(), stderr.String())
	}

	fs := newTokenFlagSet("verify", &stderr, &tokenFlags{})
	for _, tt := range []struct{ in, want []string }{
		{[]string{"--backend", "x", "-abc"}, []string{"--backend", "x", "--", "-abc"}},
		{[]string{"--backend", "-abc"}, []string{"--backend", "-abc"}}, // the value of --backend
		{[]string{"-v", "-abc"}, []string{"-v", "--", "-abc"}},         // -v takes no value
		{[]string{"--backend", "x", "-v"}, []string{"--backend", "x", "-v"}},
		{[]string{"--backend", "x", "-"}, []string{"--backend", "x", "-"}},
		{[]string{"--backend", "x", "--", "-abc"}, []string{"--backend", "x", "--", "-abc"}},
		{[]string{"-h"}, []string{"-h"}},
	} {
		if got := tokenLast(fs, tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("tokenLast(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
