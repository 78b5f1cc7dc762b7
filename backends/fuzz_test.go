package backends

import (
	"context"
	"errors"
	"testing"
)

// fuzzValidate feeds arbitrary strings to the backends' Validate. Beyond not
// panicking, every refusal must be a rejection: a malformed token is never
// an infrastructure error.
func fuzzValidate(f *testing.F, kind tokenKind) {
	var nodes []Strategy
	for _, b := range tokenBackends {
		if (kind == kindJWS) != (b.kind == kindJWS) {
			continue
		}
		nodes = append(nodes, openTest(f, b.name, 0))
		fg := forgerFor(b.name, testKeys)
		for _, a := range attacks {
			if tok := a.token(fg); len(tok) <= DefaultMaxTokenBytes {
				f.Add(tok)
			}
		}
	}
	f.Fuzz(func(t *testing.T, tok string) {
		for _, s := range nodes {
			err := s.Validate(context.Background(), tok)
			if err != nil && !errors.Is(err, ErrRejected) {
				t.Fatalf("non-rejection error for %q: %v", tok, err)
			}
			if err == nil {
				// Only genuine tokens pass; Explain never panics on either.
				_ = Explain(err)
			} else if Explain(err) == "" {
				t.Fatalf("empty explanation for %v", err)
			}
		}
	})
}

func FuzzValidateJWT(f *testing.F) { fuzzValidate(f, kindJWS) }

func FuzzValidateJWE(f *testing.F) { fuzzValidate(f, kindJWE) }
