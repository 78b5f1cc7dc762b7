package backends

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/internal/keys"
)

func TestTokenBackendsRegistered(t *testing.T) {
	for _, b := range tokenBackends {
		e, ok := Lookup(b.name)
		if !ok {
			t.Errorf("%s not registered", b.name)
			continue
		}
		wantFamily := "jwt"
		if b.kind != kindJWS {
			wantFamily = "jwe"
		}
		i := e.Info
		if i.Family != wantFamily || i.Stateful || i.StoreLookups != 0 || i.NeedsRedis || !i.NeedsKeys || !i.IssuesTokens || i.Description == "" {
			t.Errorf("%s: Info = %+v", b.name, i)
		}
		if e.Options == nil {
			t.Errorf("%s: Options missing", b.name)
		}
	}
}

// payloadOf decodes the claims segment of a compact JWS.
func payloadOf(t *testing.T, tok string) []byte {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 3 {
		t.Fatalf("%d segments", len(p))
	}
	b, err := base64.RawURLEncoding.DecodeString(p[1])
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestClaimsBytesSetsPayloadSize(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 160, 200, 500, 4000} {
		env := testEnv(t, "jwt-hs256", 0)
		env.Token.ClaimsBytes = n
		s, err := Open("jwt-hs256", env)
		if err != nil {
			t.Fatal(err)
		}
		c, err := s.Issue(context.Background(), "user-42")
		if err != nil {
			t.Fatal(err)
		}
		got := len(payloadOf(t, c.Token))
		base := len(`{"iss":"authbench","sub":"user-42","aud":["api/jwt-hs256"],"nbf":1893552845,"jti":"0123456789012345678901","iat":1893552845.000,"exp":1893553745.000}`)
		want := max(n, base)
		if got != want {
			t.Errorf("claims_bytes %d: payload is %d bytes, want %d", n, got, want)
		}
	}
}

func TestIssuedClaims(t *testing.T) {
	t.Parallel()
	s := openTest(t, "jwt-es256", 0)
	c, err := s.Issue(context.Background(), "carol")
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(payloadOf(t, c.Token), &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"iss": "authbench", "sub": "carol", "aud": []any{"api/jwt-es256"},
		"iat": float64(t0.Unix()), "nbf": float64(t0.Unix()), "exp": float64(t0.Add(15 * time.Minute).Unix()),
	}
	for k, v := range want {
		if gb, wb := mustJSON(got[k]), mustJSON(v); string(gb) != string(wb) {
			t.Errorf("claim %s = %s, want %s", k, gb, wb)
		}
	}
	jti, _ := got["jti"].(string)
	if raw, err := base64.RawURLEncoding.DecodeString(jti); err != nil || len(raw) != 16 || jti != c.ID {
		t.Errorf("jti %q: want 128 random bits, base64url, equal to Credential.ID %q", jti, c.ID)
	}
	c2, _ := s.Issue(context.Background(), "carol")
	if c2.ID == c.ID {
		t.Error("two tokens share a jti")
	}
}

func TestJWTCodecHelpers(t *testing.T) {
	t.Parallel()
	for _, alg := range []string{"HS256", "RS256", "ES256", "EdDSA"} {
		env := testEnv(t, "jwt-hs256", 0)
		env.Keys = keys.NewRing("", keys.DefaultRSABits)
		c, err := newJWTCodec(env, "jwt-hs256", alg)
		if err != nil {
			t.Fatalf("%s: %v", alg, err)
		}
		cred, err := c.issue("dave", time.Minute)
		if err != nil {
			t.Fatal(err)
		}
		v, err := c.verify(cred.Token)
		jti, exp := v.jti, v.exp
		if err != nil || jti != cred.ID || !exp.Equal(t0.Add(time.Minute)) || !exp.Equal(cred.ExpiresAt) {
			t.Errorf("%s: verify = %q, %v, %v; want %q, %v", alg, jti, exp, err, cred.ID, cred.ExpiresAt)
		}
		p := strings.Split(cred.Token, ".")
		p[2] = flip(p[2])
		if _, err := c.verify(strings.Join(p, ".")); !errors.Is(err, ErrRejected) || !errors.Is(err, ErrSignature) || !errors.Is(err, jwt.ErrTokenSignatureInvalid) {
			t.Errorf("%s: altered signature: %v, want ErrRejected, ErrSignature and jwt.ErrTokenSignatureInvalid", alg, err)
		}
	}
	if _, err := newJWTCodec(&Env{}, "jwt-hs256", "HS256"); err == nil {
		t.Error("codec opened without a key ring")
	}
}

func TestRejectionWrapsSentinelAndLibraryError(t *testing.T) {
	t.Parallel()
	s := openTest(t, "jwt-hs256", DefaultToken.TTL+time.Hour)
	f := forgerFor("jwt-hs256", testKeys)
	err := s.Validate(context.Background(), f.mint(nil, nil))
	for _, target := range []error{ErrRejected, ErrExpired, jwt.ErrTokenExpired, jwt.ErrTokenInvalidClaims} {
		if !errors.Is(err, target) {
			t.Errorf("errors.Is(%v, %v) = false", err, target)
		}
	}
}

func TestRSABits(t *testing.T) {
	t.Parallel()
	for _, bits := range []int{1024, 2047, 8192} {
		if err := (&RSAOptions{Bits: bits, MaxBytes: DefaultMaxTokenBytes}).Check(); err == nil {
			t.Errorf("bits %d accepted", bits)
		}
	}
	if err := defaultRSAOptions().(*RSAOptions).Check(); err != nil {
		t.Errorf("defaults: %v", err)
	}
	// The key folder holds a 2048-bit key: asking for 3072 must fail, not
	// silently measure the wrong size.
	env := testEnv(t, "jwt-rs256", 0)
	env.Options.(*RSAOptions).Bits = 3072
	if _, err := Open("jwt-rs256", env); err == nil || !strings.Contains(err.Error(), "3072") {
		t.Errorf("bits 3072 with a 2048-bit key folder: err = %v", err)
	}
}

func TestRSABitsGenerated(t *testing.T) {
	if testing.Short() {
		t.Skip("generates an RSA 3072 key")
	}
	t.Parallel()
	e, _ := Lookup("jwt-rs256")
	env := &Env{Token: DefaultToken, Options: e.Options()}
	env.Options.(*RSAOptions).Bits = 3072
	s, err := Open("jwt-rs256", env)
	if err != nil {
		t.Fatal(err)
	}
	set, _ := env.Keys.Get(keys.RSA)
	if got := set.RSA.N.BitLen(); got != 3072 {
		t.Errorf("generated key has %d bits", got)
	}
	c, _ := s.Issue(context.Background(), "u")
	if err := s.Validate(context.Background(), c.Token); err != nil {
		t.Error(err)
	}
}

func TestMaxBytes(t *testing.T) {
	t.Parallel()
	for _, n := range []int{0, 255, 2 << 20} {
		if err := (&TokenOptions{MaxBytes: n}).Check(); err == nil {
			t.Errorf("max_bytes %d accepted", n)
		}
	}
	for _, b := range tokenBackends {
		// Tokens bigger than the limit: the backend refuses to open rather
		// than reject every one of its own tokens during the run.
		env := testEnv(t, b.name, 0)
		env.Token.ClaimsBytes = 7000
		if _, err := Open(b.name, env); err == nil || !strings.Contains(err.Error(), "max_bytes") {
			t.Errorf("%s: claims_bytes 7000 under an 8 KiB limit: err = %v", b.name, err)
		}
		// A raised limit lets them through, and is enforced exactly.
		env = testEnv(t, b.name, 0)
		env.Token.ClaimsBytes = 7000
		switch o := env.Options.(type) {
		case *TokenOptions:
			o.MaxBytes = 16 << 10
		case *RSAOptions:
			o.MaxBytes = 16 << 10
		}
		s, err := Open(b.name, env)
		if err != nil {
			t.Fatalf("%s: %v", b.name, err)
		}
		c, _ := s.Issue(context.Background(), "u")
		if err := s.Validate(context.Background(), c.Token); err != nil {
			t.Errorf("%s: %d-byte token under a 16 KiB limit: %v", b.name, len(c.Token), err)
		}
		if err := s.Validate(context.Background(), c.Token+strings.Repeat("A", 16<<10-len(c.Token)+1)); !errors.Is(err, ErrTooLarge) {
			t.Errorf("%s: one byte over the limit: %v", b.name, err)
		}
	}
}
