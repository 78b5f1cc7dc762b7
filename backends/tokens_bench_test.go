package backends

import (
	"context"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// rawHS256 returns a fresh jwt-hs256 token and the bare golang-jwt call
// that validates it with the options jwt-hs256 uses, outside any backend.
func rawHS256(b *testing.B) (token string, parse func() error) {
	s := openTest(b, "jwt-hs256", 0)
	c, err := s.Issue(context.Background(), "bench-user")
	if err != nil {
		b.Fatal(err)
	}
	tc := DefaultToken
	tc.Audience = BackendAudience(tc.Audience, "jwt-hs256") // each backend its own audience
	opts := append([]jwt.ParserOption{jwt.WithValidMethods([]string{"HS256"}), jwt.WithStrictDecoding()}, claimsOptions(&tc, func() time.Time { return t0 })...)
	p := jwt.NewParser(opts...)
	secret := testKeys.HMAC
	keyfunc := func(*jwt.Token) (any, error) { return secret, nil }
	return c.Token, func() error {
		var claims jwt.RegisteredClaims
		_, err := p.ParseWithClaims(c.Token, &claims, keyfunc)
		return err
	}
}

// BenchmarkJWTHS256Validate is the reference the load engine is compared
// to: golang-jwt's ParseWithClaims with the options jwt-hs256 uses, called
// directly, outside any backend.
func BenchmarkJWTHS256Validate(b *testing.B) {
	token, parse := rawHS256(b)
	b.ReportAllocs()
	b.SetBytes(int64(len(token)))
	for b.Loop() {
		if err := parse(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkJWTHS256ValidateParallel is the same reference call from all Ps
// at once: compare it with the engine's BenchmarkEngineJWTHS256/clients=GOMAXPROCS.
func BenchmarkJWTHS256ValidateParallel(b *testing.B) {
	_, parse := rawHS256(b)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := parse(); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

// BenchmarkValidate measures each token backend's Validate on a fresh token,
// serially and from all Ps at once.
func BenchmarkValidate(b *testing.B) {
	for _, tb := range tokenBackends {
		b.Run(tb.name, func(b *testing.B) {
			s, c := benchLogin(b, tb.name)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := s.Validate(ctx, c.Token); err != nil {
					b.Fatal(err)
				}
			}
			// After the loop: b.Loop's timer reset clears earlier metrics.
			b.ReportMetric(float64(len(c.Token)), "token_bytes")
		})
		b.Run(tb.name+"/parallel", func(b *testing.B) {
			s, c := benchLogin(b, tb.name)
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				for pb.Next() {
					if err := s.Validate(ctx, c.Token); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
}

// benchLogin opens a node of name and logs one user in.
func benchLogin(b *testing.B, name string) (Strategy, Credential) {
	b.Helper()
	s := openTest(b, name, 0)
	c, err := s.Issue(context.Background(), "bench-user")
	if err != nil {
		b.Fatal(err)
	}
	return s, c
}

// BenchmarkIssue measures login cost per backend (signing or encryption).
func BenchmarkIssue(b *testing.B) {
	for _, tb := range tokenBackends {
		b.Run(tb.name, func(b *testing.B) {
			s := openTest(b, tb.name, 0)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := s.Issue(ctx, "bench-user"); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
