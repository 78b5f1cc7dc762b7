package backends

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
	"go.uber.org/goleak"

	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/testutil"
)

// tokenKind groups the token backends by what an attacker can tamper with.
type tokenKind int

const (
	kindJWS    tokenKind = iota // jwt-*: a compact JWS
	kindJWE                     // jwe-dir, jwe-rsa-oaep, jwe-ecdh-es: a JWE of JSON claims
	kindNested                  // jwe-nested: a JWE of an ES256 JWS
)

// tokenBackends lists every stateless token backend and how to forge for it.
var tokenBackends = []struct {
	name   string
	kind   tokenKind
	alg    string            // the JWS algorithm (inner JWS for nested)
	keyAlg jose.KeyAlgorithm // the JWE key algorithm
}{
	{"jwt-hs256", kindJWS, "HS256", jose.DIRECT},
	{"jwt-rs256", kindJWS, "RS256", jose.DIRECT},
	{"jwt-es256", kindJWS, "ES256", jose.DIRECT},
	{"jwt-eddsa", kindJWS, "EdDSA", jose.DIRECT},
	{"jwe-dir", kindJWE, "", jose.DIRECT},
	{"jwe-rsa-oaep", kindJWE, "", jose.RSA_OAEP_256},
	{"jwe-ecdh-es", kindJWE, "", jose.ECDH_ES_A256KW},
	{"jwe-nested", kindNested, "ES256", jose.ECDH_ES_A256KW},
}

// testKeysDir holds a key set written once for the whole package; opening
// backends from it also exercises keys.Load.
var (
	testKeysDir string
	testKeys    *keys.Set
	// otherKeys is a second, unrelated key set: what an attacker holds.
	otherKeys *keys.Set
)

// t0 is the fixed time test tokens are minted at.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "authbench-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, s := range []**keys.Set{&testKeys, &otherKeys} {
		if *s, err = keys.Generate(keys.All, 2048); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if _, err := testKeys.Write(dir, false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testKeysDir = dir
	if code := m.Run(); code != 0 {
		return code
	}
	// No test may leave a goroutine behind: a subscriber, a pool reaper, a
	// request blocked on a dead store.
	// go-redis probes a dead server from a goroutine that sees its pool
	// closed only after its next 1 s sleep: give it time to end.
	if err := testutil.Wait(testutil.LeakGrace, func() error { return goleak.Find() }); err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		return 1
	}
	return 0
}

// testEnv returns an Env for backend name reading the package key set, with
// the clock at t0+at.
func testEnv(tb testing.TB, name string, at time.Duration) *Env {
	tb.Helper()
	e, ok := Lookup(name)
	if !ok {
		tb.Fatalf("backend %s not registered", name)
	}
	env := &Env{Token: DefaultToken, KeysDir: testKeysDir, Now: func() time.Time { return t0.Add(at) }}
	if e.Options != nil {
		env.Options = e.Options()
	}
	return env
}

func openTest(tb testing.TB, name string, at time.Duration) Strategy {
	tb.Helper()
	s, err := Open(name, testEnv(tb, name, at))
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// forger makes tokens for one backend the way an attacker (or a test) would:
// by hand, with whatever header and claims it likes.
type forger struct {
	name   string
	kind   tokenKind
	alg    string
	keyAlg jose.KeyAlgorithm
	keys   *keys.Set

	jwsMethod jwt.SigningMethod
	jwsKey    any
	jwsKid    string
	pubPEM    []byte // the verification key as PEM, for key confusion
	encKey    any
	jweKid    string
}

func newForger(name string, kind tokenKind, alg string, keyAlg jose.KeyAlgorithm, set *keys.Set) *forger {
	f := &forger{name: name, kind: kind, alg: alg, keyAlg: keyAlg, keys: set}
	var pub any
	switch alg {
	case "HS256", "":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodHS256, set.HMAC, &set.RSA.PublicKey
		f.jwsKid = backendKeyID(name, set.HMAC)
	case "RS256":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodRS256, set.RSA, &set.RSA.PublicKey
	case "ES256":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodES256, set.EC, &set.EC.PublicKey
	case "EdDSA":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodEdDSA, set.Ed25519, set.Ed25519.Public()
	}
	if f.jwsKid == "" {
		f.jwsKid = backendKeyID(name, pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		panic(err)
	}
	f.pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	switch keyAlg {
	case jose.DIRECT:
		f.encKey = set.Dir
	case jose.RSA_OAEP_256:
		f.encKey = &set.EncRSA.PublicKey
	case jose.ECDH_ES_A256KW:
		f.encKey = &set.EncEC.PublicKey
	}
	f.jweKid = backendKeyID(name, f.encKey)
	return f
}

func forgerFor(name string, set *keys.Set) *forger {
	for _, b := range tokenBackends {
		if b.name == name {
			return newForger(b.name, b.kind, b.alg, b.keyAlg, set)
		}
	}
	panic("no forger for " + name)
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return b
}

// claims returns a valid claims set minted at t0.
func (f *forger) claims() map[string]any {
	return map[string]any{
		"iss": DefaultToken.Issuer,
		"sub": "alice",
		"aud": []string{BackendAudience(DefaultToken.Audience, f.name)},
		"iat": t0.Unix(),
		"nbf": t0.Unix(),
		"exp": t0.Add(DefaultToken.TTL).Unix(),
		"jti": "test-jti-0123456789",
	}
}

// header returns the JWS header the backend expects.
func (f *forger) header() map[string]any {
	return map[string]any{"alg": f.alg, "typ": "JWT", "kid": f.jwsKid}
}

// jws builds a compact JWS; sign nil means the backend's own key.
func (f *forger) jws(header, claims map[string]any, sign func(input string) []byte) string {
	in := b64(mustJSON(header)) + "." + b64(mustJSON(claims))
	if sign == nil {
		sign = func(in string) []byte {
			sig, err := f.jwsMethod.Sign(in, f.jwsKey)
			if err != nil {
				panic(err)
			}
			return sig
		}
	}
	return in + "." + b64(sign(in))
}

func hmacSHA256(key []byte) func(string) []byte {
	return func(in string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte(in))
		return m.Sum(nil)
	}
}

// encrypt wraps plaintext in a JWE for the backend's key; for JWS backends
// it uses the jwe-dir key, which they must refuse as malformed anyway.
func (f *forger) encrypt(plaintext []byte, header map[string]any, zip bool) string {
	opts := &jose.EncrypterOptions{}
	if zip {
		opts.Compression = jose.DEFLATE
	}
	if f.kind == kindNested {
		opts.WithContentType("JWT")
	} else {
		opts.WithType("JWT")
	}
	for k, v := range header {
		opts.WithHeader(jose.HeaderKey(k), v)
	}
	enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: f.keyAlg, Key: f.encKey, KeyID: f.jweKid}, opts)
	if err != nil {
		panic(err)
	}
	obj, err := enc.Encrypt(plaintext)
	if err != nil {
		panic(err)
	}
	s, err := obj.CompactSerialize()
	if err != nil {
		panic(err)
	}
	return s
}

// deliver packages a JWS the way the backend receives tokens: as is for the
// JWS backends (and the plain JWE ones, which must refuse it), encrypted for
// jwe-nested, whose attacker can encrypt to the server's public key.
func (f *forger) deliver(jws string) string {
	if f.kind == kindNested {
		return f.encrypt([]byte(jws), nil, false)
	}
	return jws
}

// mint builds a token the backend would accept, except for what header
// (merged into the outermost header) and edit (applied to the claims)
// change.
func (f *forger) mint(header map[string]any, edit func(map[string]any)) string {
	c := f.claims()
	if edit != nil {
		edit(c)
	}
	switch f.kind {
	case kindJWS:
		h := f.header()
		for k, v := range header {
			h[k] = v
		}
		return f.jws(h, c, nil)
	case kindJWE:
		return f.encrypt(mustJSON(c), header, false)
	default:
		return f.encrypt([]byte(f.jws(f.header(), c, nil)), header, false)
	}
}

// parts splits a compact token.
func parts(tok string) []string { return strings.Split(tok, ".") }

// flip changes the first byte that a base64url segment decodes to.
func flip(seg string) string {
	b, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil || len(b) == 0 {
		panic("flip: bad segment")
	}
	b[0] ^= 1
	return b64(b)
}

// byKind picks the expected words for the backend's kind.
func byKind(jws, jwe, nested string) func(*forger) string {
	return func(f *forger) string {
		switch f.kind {
		case kindJWS:
			return jws
		case kindJWE:
			return jwe
		}
		return nested
	}
}

func all(words string) func(*forger) string { return byKind(words, words, words) }

const (
	wAccepted  = "accepted"
	wAlg       = "algorithm not allowed"
	wSig       = "signature invalid"
	wDecrypt   = "decryption failed"
	wMalformed = "malformed"
	wKid       = "unknown key id"
	wUntrusted = "untrusted key reference or critical header (jku, x5u, jwk, x5c, crit)"
	wTooLarge  = "too large"
	wExpired   = "expired"
	wZip       = "compressed payload refused"
	wMissing   = "required claim missing"
)

type attack struct {
	name  string
	at    time.Duration // validation time, from t0
	token func(f *forger) string
	want  func(f *forger) string
}

var leeway = DefaultToken.Leeway

var attacks = []attack{
	{
		name:  "fresh valid token",
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wAccepted),
	},
	{
		name: "alg none",
		token: func(f *forger) string {
			h := f.header()
			h["alg"] = "none"
			return f.deliver(f.jws(h, f.claims(), func(string) []byte { return nil }))
		},
		want: byKind(wAlg, wMalformed, wAlg),
	},
	{
		name: "alg NONE in capitals",
		token: func(f *forger) string {
			h := f.header()
			h["alg"] = "NONE"
			return f.deliver(f.jws(h, f.claims(), func(string) []byte { return nil }))
		},
		want: byKind(wAlg, wMalformed, wAlg),
	},
	{
		name: "key confusion: HS256 keyed with the public key PEM",
		token: func(f *forger) string {
			h := f.header()
			h["alg"] = "HS256"
			return f.deliver(f.jws(h, f.claims(), hmacSHA256(f.pubPEM)))
		},
		want: func(f *forger) string {
			switch {
			case f.kind == kindJWE:
				return wMalformed
			case f.alg == "HS256":
				return wSig // right algorithm, wrong secret
			}
			return wAlg
		},
	},
	{
		name: "signature stripped",
		token: func(f *forger) string {
			if f.kind == kindJWE {
				p := parts(f.mint(nil, nil))
				return strings.Join(append(p[:4], ""), ".") // tag stripped
			}
			p := parts(f.jws(f.header(), f.claims(), nil))
			return f.deliver(p[0] + "." + p[1] + ".")
		},
		want: byKind(wSig, wDecrypt, wSig),
	},
	{
		name: "payload changed after signing",
		token: func(f *forger) string {
			if f.kind == kindJWE {
				// The protected header is the AEAD's associated data.
				p := parts(f.mint(nil, nil))
				var h map[string]any
				raw, _ := base64.RawURLEncoding.DecodeString(p[0])
				json.Unmarshal(raw, &h)
				h["typ"] = "at+jwt"
				p[0] = b64(mustJSON(h))
				return strings.Join(p, ".")
			}
			p := parts(f.jws(f.header(), f.claims(), nil))
			c := f.claims()
			c["sub"] = "admin"
			p[1] = b64(mustJSON(c))
			return f.deliver(strings.Join(p, "."))
		},
		want: byKind(wSig, wDecrypt, wSig),
	},
	{
		name: "signed or encrypted with another key under our kid",
		token: func(f *forger) string {
			o := forgerFor(f.name, otherKeys).withKids(f)
			if f.kind == kindNested {
				// Encrypted to the server's public key, signed by the attacker.
				return f.deliver(o.jws(o.header(), o.claims(), nil))
			}
			return o.mint(nil, nil)
		},
		want: byKind(wSig, wDecrypt, wSig),
	},
	{
		name:  "expired",
		at:    DefaultToken.TTL + time.Hour,
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wExpired),
	},
	{
		name:  "expired within leeway",
		at:    DefaultToken.TTL + leeway/2,
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wAccepted),
	},
	{
		name:  "expired beyond leeway",
		at:    DefaultToken.TTL + leeway + time.Second,
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wExpired),
	},
	{
		name: "nbf in the future",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["nbf"] = t0.Add(time.Hour).Unix() })
		},
		want: all("not valid yet"),
	},
	{
		name: "nbf in the future within leeway",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["nbf"] = t0.Add(leeway / 2).Unix() })
		},
		want: all(wAccepted),
	},
	{
		name: "iat in the future",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["iat"] = t0.Add(time.Hour).Unix() })
		},
		want: all("issued in the future"),
	},
	{
		name:  "wrong iss",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["iss"] = "evil" }) },
		want:  all("wrong issuer"),
	},
	{
		name:  "wrong aud",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["aud"] = "billing" }) },
		want:  all("wrong audience"),
	},
	{
		name: "expired and wrong aud",
		at:   DefaultToken.TTL + time.Hour,
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["aud"] = "billing" })
		},
		want: all("expired, wrong audience"),
	},
	{
		name:  "no exp",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { delete(c, "exp") }) },
		want:  all(wMissing),
	},
	{
		name:  "no jti",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { delete(c, "jti") }) },
		want:  all(wMissing),
	},
	{
		name:  "exp of the wrong type",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["exp"] = "tomorrow" }) },
		want:  all(wMalformed),
	},
	// RFC 7519 §2: a NumericDate is a JSON number. golang-jwt also reads
	// a quoted number; authbench must not.
	{
		name:  "exp as a quoted number",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["exp"] = fmt.Sprint(c["exp"]) }) },
		want:  all(wMalformed),
	},
	{
		name:  "nbf as a quoted number",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["nbf"] = fmt.Sprint(c["nbf"]) }) },
		want:  all(wMalformed),
	},
	{
		name:  "iat as a quoted number",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["iat"] = fmt.Sprint(c["iat"]) }) },
		want:  all(wMalformed),
	},
	{
		name:  "exp as true",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { c["exp"] = true }) },
		want:  all(wMalformed),
	},
	{
		name:  "no iat",
		token: func(f *forger) string { return f.mint(nil, func(c map[string]any) { delete(c, "iat") }) },
		want:  all(wMissing),
	},
	{
		name: "iat with a fraction (a NumericDate may have one)",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["iat"] = float64(t0.Unix()) + 0.25 })
		},
		at:   time.Second,
		want: all(wAccepted),
	},
	// RFC 7515 §2 / RFC 8725 §3.12: one spelling per token. Go's base64
	// decoders skip CR and LF and, unless strict, ignore unused bits.
	{
		name: "unused bits set in the last segment",
		token: func(f *forger) string {
			p := parts(f.mint(nil, nil))
			p[len(p)-1] = setUnusedBit(p[len(p)-1])
			return strings.Join(p, ".")
		},
		want: all(wMalformed),
	},
	{
		name: "unused bits set in the inner signature",
		token: func(f *forger) string {
			if f.kind == kindJWE {
				// No inner signature: the first other segment with unused
				// bits (header, encrypted key or ciphertext).
				p := parts(f.mint(nil, nil))
				for _, i := range []int{3, 0, 1} {
					if len(p[i])%4 >= 2 {
						p[i] = setUnusedBit(p[i])
						break
					}
				}
				return strings.Join(p, ".")
			}
			p := parts(f.jws(f.header(), f.claims(), nil))
			p[2] = setUnusedBit(p[2])
			return f.deliver(strings.Join(p, "."))
		},
		want: all(wMalformed),
	},
	{
		name: "CR LF inside a segment",
		token: func(f *forger) string {
			p := parts(f.mint(nil, nil))
			i := len(p) - 2 // the JWS payload, the JWE ciphertext
			p[i] = p[i][:8] + "\r\n" + p[i][8:]
			return strings.Join(p, ".")
		},
		want: all(wMalformed),
	},
	{
		name: "CR LF inside the inner token",
		token: func(f *forger) string {
			if f.kind == kindJWE {
				return f.encrypt([]byte("{\r\n"+string(mustJSON(f.claims()))[1:]), nil, false) // JSON may hold whitespace
			}
			p := parts(f.jws(f.header(), f.claims(), nil))
			p[1] = p[1][:8] + "\r\n" + p[1][8:]
			return f.deliver(strings.Join(p, "."))
		},
		want: byKind(wMalformed, wAccepted, wMalformed),
	},
	{
		name:  "unknown kid",
		token: func(f *forger) string { return f.mint(map[string]any{"kid": "2019-retired"}, nil) },
		want:  all(wKid),
	},
	{
		name:  "no kid",
		token: func(f *forger) string { return f.mint(map[string]any{"kid": ""}, nil) },
		want:  all(wKid),
	},
	{
		name:  "kid path traversal",
		token: func(f *forger) string { return f.mint(map[string]any{"kid": "../../dev/null"}, nil) },
		want:  all(wKid),
	},
	{
		// The classic: a verifier that reads the key from the kid path gets
		// an empty file and checks an HMAC with an empty secret.
		name: "kid /dev/null with an empty HMAC secret",
		token: func(f *forger) string {
			h := f.header()
			h["alg"], h["kid"] = "HS256", "../../../../../../dev/null"
			return f.deliver(f.jws(h, f.claims(), hmacSHA256(nil)))
		},
		want: func(f *forger) string {
			switch {
			case f.kind == kindJWE:
				return wMalformed
			case f.alg == "HS256":
				return wKid
			}
			return wAlg
		},
	},
	{
		name: "jku header",
		token: func(f *forger) string {
			return f.mint(map[string]any{"jku": "https://attacker.example/jwks.json"}, nil)
		},
		want: all(wUntrusted),
	},
	{
		name:  "x5u header",
		token: func(f *forger) string { return f.mint(map[string]any{"x5u": "https://attacker.example/cert.pem"}, nil) },
		want:  all(wUntrusted),
	},
	{
		name:  "embedded jwk header",
		token: func(f *forger) string { return f.mint(map[string]any{"jwk": attackerJWK()}, nil) },
		want:  all(wUntrusted),
	},
	{
		name:  "crit header",
		token: func(f *forger) string { return f.mint(map[string]any{"crit": []string{"exp"}}, nil) },
		want:  all(wUntrusted),
	},
	{
		name: "jku header in the inner JWS",
		token: func(f *forger) string {
			h := f.header()
			h["jku"] = "https://attacker.example/jwks.json"
			return f.deliver(f.jws(h, f.claims(), nil))
		},
		want: byKind(wUntrusted, wMalformed, wUntrusted),
	},
	{
		name: "ECDSA signature r = s = 0",
		token: func(f *forger) string {
			h := f.header()
			h["alg"] = "ES256"
			return f.deliver(f.jws(h, f.claims(), func(string) []byte { return make([]byte, 64) }))
		},
		want: func(f *forger) string {
			switch {
			case f.kind == kindJWE:
				return wMalformed
			case f.alg == "ES256":
				return wSig
			}
			return wAlg
		},
	},
	{
		name: "JWE with a modified tag",
		token: func(f *forger) string {
			p := parts(f.encrypt(mustJSON(f.claims()), nil, false))
			p[4] = flip(p[4])
			return strings.Join(p, ".")
		},
		want: byKind(wMalformed, wDecrypt, wDecrypt),
	},
	{
		name: "JWE with a modified ciphertext",
		token: func(f *forger) string {
			p := parts(f.encrypt(mustJSON(f.claims()), nil, false))
			p[3] = flip(p[3])
			return strings.Join(p, ".")
		},
		want: byKind(wMalformed, wDecrypt, wDecrypt),
	},
	{
		name:  "JWE asking for RSA1_5",
		token: func(f *forger) string { return f.encrypt(mustJSON(f.claims()), map[string]any{"alg": "RSA1_5"}, false) },
		want:  byKind(wMalformed, wAlg, wAlg),
	},
	{
		name: "JWE asking for PBES2",
		token: func(f *forger) string {
			return f.encrypt(mustJSON(f.claims()), map[string]any{"alg": "PBES2-HS512+A256KW", "p2c": 100000000, "p2s": "c2FsdA"}, false)
		},
		want: byKind(wMalformed, wAlg, wAlg),
	},
	{
		name: "JWE asking for A128CBC-HS256",
		token: func(f *forger) string {
			return f.encrypt(mustJSON(f.claims()), map[string]any{"enc": "A128CBC-HS256"}, false)
		},
		want: byKind(wMalformed, wAlg, wAlg),
	},
	{
		name: "JWE with zip DEF",
		token: func(f *forger) string {
			pt := mustJSON(f.claims())
			if f.kind == kindNested {
				pt = []byte(f.jws(f.header(), f.claims(), nil))
			}
			return f.encrypt(pt, nil, true)
		},
		want: byKind(wMalformed, wZip, wZip),
	},
	{
		// Encryption is not authentication: whoever can encrypt to the
		// server mints tokens it accepts, unless a signature is inside.
		name:  "claims encrypted without a signature",
		token: func(f *forger) string { return f.encrypt(mustJSON(f.claims()), nil, false) },
		want:  byKind(wMalformed, wAccepted, wMalformed),
	},
	{
		name: "oversized token, 1 MB, correctly signed",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["pad"] = strings.Repeat("x", 1<<20) })
		},
		want: all(wTooLarge),
	},
	{
		name:  "a million dots",
		token: func(*forger) string { return strings.Repeat(".", 1_000_000) },
		want:  all(wTooLarge),
	},
	{
		name:  "oversized header, 16 KiB",
		token: func(f *forger) string { return f.mint(map[string]any{"x": strings.Repeat("A", 16<<10)}, nil) },
		want:  all(wTooLarge),
	},
	{
		name: "random bytes",
		token: func(*forger) string {
			b := make([]byte, 300)
			r := mrand.NewChaCha8([32]byte{1})
			r.Read(b)
			return string(b)
		},
		want: all(wMalformed),
	},
	{
		name:  "empty string",
		token: func(*forger) string { return "" },
		want:  all(wMalformed),
	},
	{
		name: "header that is not JSON",
		token: func(f *forger) string {
			p := parts(f.mint(nil, nil))
			p[0] = b64([]byte("{{"))
			return strings.Join(p, ".")
		},
		want: byKind(wMalformed, wMalformed, wMalformed),
	},
}

// setUnusedBit sets the lowest of the bits a base64url segment's last
// character carries beyond the last whole byte: the same bytes, spelled
// differently.
func setUnusedBit(seg string) string {
	if len(seg)%4 < 2 {
		panic(fmt.Sprintf("segment of %d characters has no unused bits", len(seg)))
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + alphabet[v|1:v|1+1]
}

// TestJWEDirRefusesEncryptedKey: RFC 7516 §5.2 step 10, with alg dir the
// encrypted key segment must be empty.
func TestJWEDirRefusesEncryptedKey(t *testing.T) {
	t.Parallel()
	f := forgerFor("jwe-dir", testKeys)
	s := openTest(t, "jwe-dir", 0)
	tok := f.mint(nil, nil)
	if err := s.Validate(context.Background(), tok); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	p := parts(tok)
	p[1] = b64([]byte("an encrypted key dir has no use for"))
	err := s.Validate(context.Background(), strings.Join(p, "."))
	if !errors.Is(err, ErrRejected) || Explain(err) != wMalformed {
		t.Fatalf("non-empty encrypted key: %v, want a rejection as malformed", err)
	}
}

// TestJWENestedRequiresCty: RFC 7519 §5.2, a nested JWT says so with
// cty JWT; without it jwe-nested must not read the payload as a token.
func TestJWENestedRequiresCty(t *testing.T) {
	t.Parallel()
	f := forgerFor("jwe-nested", testKeys)
	s := openTest(t, "jwe-nested", 0)
	inner := f.jws(f.header(), f.claims(), nil)
	for _, tc := range []struct {
		name string
		opts *jose.EncrypterOptions
		want string
	}{
		{"cty JWT", (&jose.EncrypterOptions{}).WithContentType("JWT"), wAccepted},
		{"no cty", (&jose.EncrypterOptions{}).WithType("JWT"), wMalformed},
		{"cty json", (&jose.EncrypterOptions{}).WithContentType("json"), wMalformed},
	} {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: f.keyAlg, Key: f.encKey, KeyID: f.jweKid}, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt([]byte(inner))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := obj.CompactSerialize()
		err = s.Validate(context.Background(), tok)
		if got := Explain(err); got != tc.want && !(tc.want == wAccepted && err == nil) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}

// TestTokensNotInterchangeable: backends that share a key must still
// refuse each other's tokens (their own kid and audience). The Redis
// hybrids are checked in TestRedisHybridTokensNotInterchangeable.
func TestTokensNotInterchangeable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, pair := range [][2]string{
		{"jwt-hs256", "jwt-denylist-memory"},
		{"jwt-denylist-memory", "jwt-hs256"},
		{"jwe-ecdh-es", "jwe-nested"},
		{"jwe-nested", "jwe-ecdh-es"},
	} {
		from, to := openTest(t, pair[0], 0), openTest(t, pair[1], 0)
		c, err := from.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := from.Validate(ctx, c.Token); err != nil {
			t.Fatalf("%s refuses its own token: %v", pair[0], err)
		}
		if err := to.Validate(ctx, c.Token); !errors.Is(err, ErrRejected) {
			t.Errorf("%s accepted a token of %s: %v", pair[1], pair[0], err)
		}
	}
	// jwt-es256 signs with the key of jwe-nested's inner token: one of its
	// tokens, encrypted to jwe-nested's public key by anyone, must not pass.
	es := openTest(t, "jwt-es256", 0)
	c, err := es.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wrapped := forgerFor("jwe-nested", testKeys).deliver(c.Token)
	if err := openTest(t, "jwe-nested", 0).Validate(ctx, wrapped); !errors.Is(err, ErrRejected) {
		t.Errorf("jwe-nested accepted a jwt-es256 token wrapped for it: %v", err)
	}
}

// withKids makes an attacker's forger reuse the victim's key IDs, so the
// only thing wrong is the key.
func (f *forger) withKids(victim *forger) *forger {
	f.jwsKid, f.jweKid = victim.jwsKid, victim.jweKid
	return f
}

var attackerKey, _ = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)

func attackerJWK() jose.JSONWebKey {
	return jose.JSONWebKey{Key: &attackerKey.PublicKey, KeyID: "attacker"}
}

// TestAttacks runs the whole catalogue against every token backend.
func TestAttacks(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			f := newForger(b.name, b.kind, b.alg, b.keyAlg, testKeys)
			for _, a := range attacks {
				t.Run(a.name, func(t *testing.T) {
					s := openTest(t, b.name, a.at)
					tok := a.token(f)
					err := s.Validate(context.Background(), tok)
					want := a.want(f)
					if want == wAccepted {
						if err != nil {
							t.Fatalf("rejected a token it must accept: %v", err)
						}
						return
					}
					if err == nil {
						t.Fatalf("accepted (want rejection: %s)", want)
					}
					if !errors.Is(err, ErrRejected) {
						t.Fatalf("error %v does not wrap ErrRejected", err)
					}
					if got := Explain(err); got != want {
						t.Fatalf("Explain = %q, want %q (error: %.300v)", got, want, err)
					}
				})
			}
		})
	}
}

// TestIssuedTokenAccepted checks the backends' own Issue against Validate,
// on the node that issued it and on another node of the same run.
func TestIssuedTokenAccepted(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t, b.name, 0)
			a, err := Open(b.name, env)
			if err != nil {
				t.Fatal(err)
			}
			other, err := Open(b.name, env) // env.Shared is set now: same keys
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			c, err := a.Issue(ctx, "bob")
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range []Strategy{a, other} {
				if err := s.Validate(ctx, c.Token); err != nil {
					t.Errorf("node %d: fresh token rejected: %v", i, err)
				}
			}
			// A stateless token cannot be revoked: Revoke succeeds and the
			// token stays valid. authbench measures exactly this.
			if err := a.Revoke(ctx, c); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if err := a.Validate(ctx, c.Token); err != nil {
				t.Errorf("after Revoke: %v", err)
			}
			if c.Subject != "bob" || c.ID == "" || !c.ExpiresAt.Equal(t0.Add(DefaultToken.TTL)) {
				t.Errorf("credential = %+v, want subject bob, a jti, expiry t0+ttl", c)
			}
		})
	}
}
