package backends

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	"github.com/go-jose/go-jose/v4"
)

func jweHeader(t *testing.T, tok string) map[string]any {
	t.Helper()
	p := strings.Split(tok, ".")
	if len(p) != 5 {
		t.Fatalf("%d segments, want 5", len(p))
	}
	raw, err := base64.RawURLEncoding.DecodeString(p[0])
	if err != nil {
		t.Fatal(err)
	}
	var h map[string]any
	if err := json.Unmarshal(raw, &h); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestJWEHeaders(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, alg, typ, cty string
	}{
		{"jwe-dir", "dir", "JWT", ""},
		{"jwe-rsa-oaep", "RSA-OAEP-256", "JWT", ""},
		{"jwe-ecdh-es", "ECDH-ES+A256KW", "JWT", ""},
		{"jwe-nested", "ECDH-ES+A256KW", "", "JWT"},
	} {
		s := openTest(t, tc.name, 0)
		c, err := s.Issue(context.Background(), "erin")
		if err != nil {
			t.Fatal(err)
		}
		h := jweHeader(t, c.Token)
		typ, _ := h["typ"].(string)
		cty, _ := h["cty"].(string)
		if h["alg"] != tc.alg || h["enc"] != "A256GCM" || typ != tc.typ || cty != tc.cty || h["kid"] == "" || h["zip"] != nil {
			t.Errorf("%s: header %v", tc.name, h)
		}
	}
}

// TestNestedIsSignedThenEncrypted decrypts a jwe-nested token with the
// server key and checks that inside is an ES256 JWS signed with the signing key.
func TestNestedIsSignedThenEncrypted(t *testing.T) {
	t.Parallel()
	s := openTest(t, "jwe-nested", 0)
	c, err := s.Issue(context.Background(), "frank")
	if err != nil {
		t.Fatal(err)
	}
	obj, err := jose.ParseEncryptedCompact(c.Token, []jose.KeyAlgorithm{jose.ECDH_ES_A256KW}, []jose.ContentEncryption{jose.A256GCM})
	if err != nil {
		t.Fatal(err)
	}
	inner, err := obj.Decrypt(testKeys.EncEC)
	if err != nil {
		t.Fatal(err)
	}
	jws, err := jose.ParseSignedCompact(string(inner), []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatalf("inner is not an ES256 JWS: %v", err)
	}
	payload, err := jws.Verify(&testKeys.EC.PublicKey)
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]any
	if err := json.Unmarshal(payload, &claims); err != nil || claims["sub"] != "frank" || claims["jti"] != c.ID {
		t.Errorf("inner claims %v (%v)", claims, err)
	}
}

// TestClientsCannotReadJWE: the claims of a JWE are not in the token.
func TestClientsCannotReadJWE(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBackends {
		if b.kind == kindJWS {
			continue
		}
		s := openTest(t, b.name, 0)
		c, _ := s.Issue(context.Background(), "secret-user-name")
		for _, seg := range strings.Split(c.Token, ".") {
			raw, _ := base64.RawURLEncoding.DecodeString(seg)
			if strings.Contains(string(raw), "secret-user-name") {
				t.Errorf("%s: subject readable in the token", b.name)
			}
		}
	}
}
