package backends

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	mrand "math/rand/v2"
	"strings"
	"sync/atomic"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/internal/keys"
)

// The attack catalogue: forged and tampered tokens every token backend must
// refuse, and a few well-formed ones it must accept (the controls, which
// show that a refusal is not just a validator that refuses everything).
// The tests check every answer word for word (TestAttacks); `authbench run`
// replays the same catalogue against each token backend of a run, outside
// the measured period, and records what was refused and why.

// tokenKind groups the token backends by what an attacker can tamper with.
type tokenKind int

const (
	kindJWS    tokenKind = iota // jwt-* and the HS256 hybrids: a compact JWS
	kindJWE                     // jwe-dir, jwe-rsa-oaep, jwe-ecdh-es: a JWE of JSON claims
	kindNested                  // jwe-nested: a JWE of an ES256 JWS
)

// tokenFormat says how to forge for one backend.
type tokenFormat struct {
	kind   tokenKind
	alg    string            // the JWS algorithm (inner JWS for nested)
	keyAlg jose.KeyAlgorithm // the JWE key algorithm
	parts  keys.Part         // the keys the backend signs or encrypts with
}

// tokenFormats lists every backend the catalogue applies to: the ones
// whose credential is a JWT or a JWE.
var tokenFormats = map[string]tokenFormat{
	"jwt-hs256":           {kindJWS, "HS256", jose.DIRECT, keys.HMAC},
	"jwt-rs256":           {kindJWS, "RS256", jose.DIRECT, keys.RSA},
	"jwt-es256":           {kindJWS, "ES256", jose.DIRECT, keys.EC},
	"jwt-eddsa":           {kindJWS, "EdDSA", jose.DIRECT, keys.Ed25519},
	"jwe-dir":             {kindJWE, "", jose.DIRECT, keys.Dir},
	"jwe-rsa-oaep":        {kindJWE, "", jose.RSA_OAEP_256, keys.EncRSA},
	"jwe-ecdh-es":         {kindJWE, "", jose.ECDH_ES_A256KW, keys.EncEC},
	"jwe-nested":          {kindNested, "ES256", jose.ECDH_ES_A256KW, keys.EC | keys.EncEC},
	"jwt-denylist-memory": {kindJWS, "HS256", jose.DIRECT, keys.HMAC},
	"jwt-denylist-redis":  {kindJWS, "HS256", jose.DIRECT, keys.HMAC},
	"jwt-denylist-pubsub": {kindJWS, "HS256", jose.DIRECT, keys.HMAC},
	"jwt-refresh":         {kindJWS, "HS256", jose.DIRECT, keys.HMAC},
}

// Attackable reports whether the attack catalogue applies to backend name
// (its credential is a JWT or a JWE).
func Attackable(name string) bool {
	_, ok := tokenFormats[name]
	return ok
}

// forger makes tokens for one backend the way an attacker (or an issuer
// with the backend's own key, for the claim checks) would: by hand, with
// whatever header and claims it likes.
type forger struct {
	name   string
	kind   tokenKind
	alg    string
	keyAlg jose.KeyAlgorithm

	tc       TokenConfig // the backend's token settings (its own audience)
	t0       time.Time   // when tokens are minted; whole seconds
	maxBytes int         // the backend's size limit

	jwsMethod jwt.SigningMethod
	jwsKey    any
	jwsKid    string
	pubPEM    []byte // a public key as PEM, for key confusion
	encKey    any
	jweKid    string

	// other forges for the same backend with the attacker's keys under the
	// backend's key IDs; attackerJWK is a key the attacker embeds.
	other       *forger
	attackerJWK jose.JSONWebKey
}

// attackerParts are the keys an attacker needs besides the victim's kind:
// an HMAC secret and a Dir key for the tokens of the wrong kind, an EC key
// to embed or to spell out as PEM.
const attackerParts = keys.HMAC | keys.EC | keys.Dir

// newForger returns a forger for backend name whose tokens the backend
// (keys victim, settings tc) would accept unless an attack changes them;
// attacker holds keys of its own (at least ft.parts | attackerParts).
func newForger(name string, ft tokenFormat, victim, attacker *keys.Set, tc TokenConfig, maxBytes int, t0 time.Time) (*forger, error) {
	f, err := forgerWith(name, ft, victim, attacker, tc, maxBytes, t0)
	if err != nil {
		return nil, err
	}
	if f.other, err = forgerWith(name, ft, attacker, attacker, tc, maxBytes, t0); err != nil {
		return nil, err
	}
	f.other.jwsKid, f.other.jweKid = f.jwsKid, f.jweKid
	return f, nil
}

func forgerWith(name string, ft tokenFormat, set, attacker *keys.Set, tc TokenConfig, maxBytes int, t0 time.Time) (*forger, error) {
	if !set.Has(ft.parts) || !attacker.Has(ft.parts|attackerParts) {
		return nil, fmt.Errorf("attacks: %s: key set lacks keys", name)
	}
	f := &forger{name: name, kind: ft.kind, alg: ft.alg, keyAlg: ft.keyAlg, tc: tc, maxBytes: maxBytes, t0: t0}
	f.attackerJWK = jose.JSONWebKey{Key: &attacker.EC.PublicKey, KeyID: "attacker"}
	var pub any
	switch ft.alg {
	case "HS256":
		// No public key: a key-confusion HMAC is keyed with some PEM.
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodHS256, set.HMAC, &attacker.EC.PublicKey
		f.jwsKid = backendKeyID(name, set.HMAC)
	case "RS256":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodRS256, set.RSA, &set.RSA.PublicKey
	case "ES256":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodES256, set.EC, &set.EC.PublicKey
	case "EdDSA":
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodEdDSA, set.Ed25519, set.Ed25519.Public()
	case "":
		// A JWE backend: the JWS it is sent is refused as malformed
		// whatever signs it.
		f.jwsMethod, f.jwsKey, pub = jwt.SigningMethodHS256, attacker.HMAC, &attacker.EC.PublicKey
		f.jwsKid = backendKeyID(name, attacker.HMAC)
	default:
		return nil, fmt.Errorf("attacks: %s: algorithm %q", name, ft.alg)
	}
	if f.jwsKid == "" {
		f.jwsKid = backendKeyID(name, pub)
	}
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, fmt.Errorf("attacks: %s: %w", name, err)
	}
	f.pubPEM = pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})
	switch {
	case ft.kind == kindJWS:
		f.encKey = attacker.Dir // a JWS backend refuses any JWE as malformed
	case ft.keyAlg == jose.DIRECT:
		f.encKey = set.Dir
	case ft.keyAlg == jose.RSA_OAEP_256:
		f.encKey = &set.EncRSA.PublicKey
	case ft.keyAlg == jose.ECDH_ES_A256KW:
		f.encKey = &set.EncEC.PublicKey
	}
	f.jweKid = backendKeyID(name, f.encKey)
	return f, nil
}

// forgeFailure carries an error out of the token builders, which stay
// expression-shaped; forge turns it back into an error.
type forgeFailure struct{ err error }

func must[T any](v T, err error) T {
	if err != nil {
		panic(forgeFailure{err})
	}
	return v
}

// forge builds attack a's token, turning a failure of the builders into an
// error.
func (f *forger) forge(a *attack) (tok string, err error) {
	defer func() {
		if r := recover(); r != nil {
			ff, ok := r.(forgeFailure)
			if !ok {
				panic(r)
			}
			err = fmt.Errorf("attacks: %s: %q: %w", f.name, a.name, ff.err)
		}
	}()
	return a.token(f), nil
}

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

func mustJSON(v any) []byte { return must(json.Marshal(v)) }

// life is the lifetime forged tokens get: the backend's TTL in whole
// seconds (exp is a whole second), at least one.
func (f *forger) life() time.Duration {
	return max(time.Second, f.tc.TTL.Round(time.Second))
}

// claims returns a valid claims set minted at t0.
func (f *forger) claims() map[string]any {
	return map[string]any{
		"iss": f.tc.Issuer,
		"sub": "alice",
		"aud": []string{f.tc.Audience},
		"iat": f.t0.Unix(),
		"nbf": f.t0.Unix(),
		"exp": f.t0.Add(f.life()).Unix(),
		"jti": "forged-jti-0123456789",
	}
}

// header returns the JWS header the backend expects.
func (f *forger) header() map[string]any {
	return map[string]any{"alg": f.alg, "typ": "JWT", "kid": f.jwsKid}
}

// jws builds a compact JWS; sign nil means the forger's own key.
func (f *forger) jws(header, claims map[string]any, sign func(input string) []byte) string {
	in := b64(mustJSON(header)) + "." + b64(mustJSON(claims))
	if sign == nil {
		sign = func(in string) []byte { return must(f.jwsMethod.Sign(in, f.jwsKey)) }
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

// encrypt wraps plaintext in a JWE for the forger's encryption key; for
// JWS backends it uses a Dir key, which they must refuse as malformed anyway.
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
	enc := must(jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: f.keyAlg, Key: f.encKey, KeyID: f.jweKid}, opts))
	return must(must(enc.Encrypt(plaintext)).CompactSerialize())
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
	b := must(base64.RawURLEncoding.DecodeString(seg))
	if len(b) == 0 {
		panic(forgeFailure{errors.New("flip: empty segment")})
	}
	b[0] ^= 1
	return b64(b)
}

// setUnusedBit sets the lowest of the bits a base64url segment's last
// character carries beyond the last whole byte: the same bytes, spelled
// differently.
func setUnusedBit(seg string) string {
	if len(seg)%4 < 2 {
		panic(forgeFailure{fmt.Errorf("segment of %d characters has no unused bits", len(seg))})
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
	v := strings.IndexByte(alphabet, seg[len(seg)-1])
	return seg[:len(seg)-1] + alphabet[v|1:v|1+1]
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

// The words Explain gives, as the catalogue expects them.
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

// attack is one entry of the catalogue.
type attack struct {
	name string
	// at is when the token is validated, after it was minted (nil: at once).
	at    func(f *forger) time.Duration
	token func(f *forger) string
	// want is Explain's answer the backend must give: "accepted" for a
	// control (or a weakness), otherwise the reason of the refusal.
	want func(f *forger) string
	// weakness, when it returns a non-empty string, says why the backend's
	// design accepts this forgery (want is then "accepted").
	weakness func(f *forger) string
}

// afterExpiry validates d after the token's expiry.
func afterExpiry(d func(f *forger) time.Duration) func(f *forger) time.Duration {
	return func(f *forger) time.Duration { return f.life() + d(f) }
}

// withinLeeway is accepted when the backend grants any leeway, expired otherwise.
func withinLeeway(f *forger) string {
	if f.tc.Leeway > 0 {
		return wAccepted
	}
	return wExpired
}

// oversize is n, or one more than the backend's size limit when that is larger.
func (f *forger) oversize(n int) int { return max(n, f.maxBytes+1) }

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
				must(0, json.Unmarshal(must(base64.RawURLEncoding.DecodeString(p[0])), &h))
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
			o := f.other
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
		at:    afterExpiry(func(f *forger) time.Duration { return f.tc.Leeway + time.Hour }),
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wExpired),
	},
	{
		name:  "expired within leeway",
		at:    afterExpiry(func(f *forger) time.Duration { return f.tc.Leeway / 2 }),
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  withinLeeway,
	},
	{
		name:  "expired beyond leeway",
		at:    afterExpiry(func(f *forger) time.Duration { return f.tc.Leeway + time.Second }),
		token: func(f *forger) string { return f.mint(nil, nil) },
		want:  all(wExpired),
	},
	{
		name: "nbf in the future",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["nbf"] = f.t0.Add(f.tc.Leeway + time.Hour).Unix() })
		},
		want: all("not valid yet"),
	},
	{
		name: "nbf in the future within leeway",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["nbf"] = f.t0.Add(f.tc.Leeway / 2).Unix() })
		},
		want: all(wAccepted),
	},
	{
		name: "iat in the future",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["iat"] = f.t0.Add(f.tc.Leeway + time.Hour).Unix() })
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
		at:   afterExpiry(func(f *forger) time.Duration { return f.tc.Leeway + time.Hour }),
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
			return f.mint(nil, func(c map[string]any) { c["iat"] = float64(f.t0.Unix()) + 0.25 })
		},
		at:   func(*forger) time.Duration { return 500 * time.Millisecond },
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
		token: func(f *forger) string { return f.mint(map[string]any{"jwk": f.attackerJWK}, nil) },
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
		weakness: func(f *forger) string {
			if f.kind == kindJWE && f.keyAlg != jose.DIRECT {
				return "encryption is not authentication: anyone holding the public key mints a token this backend accepts"
			}
			return "" // jwe-dir: only the holder of the shared secret can encrypt
		},
	},
	{
		name: "oversized token, 1 MB, correctly signed",
		token: func(f *forger) string {
			return f.mint(nil, func(c map[string]any) { c["pad"] = strings.Repeat("x", f.oversize(1<<20)) })
		},
		want: all(wTooLarge),
	},
	{
		name:  "a million dots",
		token: func(f *forger) string { return strings.Repeat(".", f.oversize(1_000_000)) },
		want:  all(wTooLarge),
	},
	{
		name: "oversized header, 16 KiB",
		token: func(f *forger) string {
			return f.mint(map[string]any{"x": strings.Repeat("A", f.oversize(16<<10))}, nil)
		},
		want: all(wTooLarge),
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

// AttackResult is one entry of the catalogue tried against a backend.
type AttackResult struct {
	// Attack names the entry.
	Attack string
	// Want is what the backend must answer: "accepted" for a control (a
	// well-formed token) or a weakness, otherwise the reason of the
	// refusal, in Explain's words.
	Want string
	// Weakness, when not empty, says why the backend's design accepts this
	// forgery: a property of the design, reported, not a failure.
	Weakness string
	// Got is Explain of what Validate answered ("accepted", the reason of
	// a refusal, or "error: …" for an infrastructure failure), or
	// "not forged: …" when the token could not be built.
	Got string
}

// Control reports whether the entry is a token the backend must accept.
func (r AttackResult) Control() bool { return r.Want == wAccepted && r.Weakness == "" }

// AttackRun says what to attack.
type AttackRun struct {
	// Backend is the backend's name (Attackable must hold).
	Backend string
	// Env is the environment the backend's nodes run with: its token
	// settings, options, keys and store. RunAttacks opens a node of its own
	// on a copy whose clock it sets for every attack; Namespace should be
	// one no run uses.
	Env *Env
	// Attacker is the attacker's key ring, unrelated to the backend's.
	Attacker *keys.Ring
	// Start is when the forged tokens are minted (zero: now); it is
	// truncated to whole seconds, the precision of exp.
	Start time.Time
	// Open opens the node; nil means Open(Backend, env).
	Open func(env *Env) (Strategy, error)
	// Timeout bounds each validation (zero: 5 s).
	Timeout time.Duration
}

// RunAttacks validates every token of the catalogue against one node of
// the backend and returns the answers in the catalogue's order. An error
// means the node could not be opened or the keys could not be had; a token
// that cannot be built is reported in its result.
func RunAttacks(ctx context.Context, a AttackRun) ([]AttackResult, error) {
	ft, ok := tokenFormats[a.Backend]
	if !ok {
		return nil, fmt.Errorf("attacks: %s issues no JWT or JWE", a.Backend)
	}
	if a.Env == nil || a.Attacker == nil {
		return nil, errors.New("attacks: no environment or no attacker keys")
	}
	t0 := a.Start
	if t0.IsZero() {
		t0 = time.Now()
	}
	t0 = t0.Truncate(time.Second)
	// The node reads the clock through offset, set before each validation:
	// one node answers for every instant the catalogue needs.
	var offset atomic.Int64
	env := *a.Env
	env.Now = func() time.Time { return t0.Add(time.Duration(offset.Load())) }
	open := a.Open
	if open == nil {
		open = func(env *Env) (Strategy, error) { return Open(a.Backend, env) }
	}
	node, err := open(&env)
	if err != nil {
		return nil, err
	}
	defer node.Close()
	if env.Keys == nil {
		return nil, fmt.Errorf("attacks: %s: the node was opened without a key ring", a.Backend)
	}
	victim, err := env.Keys.Get(ft.parts)
	if err != nil {
		return nil, err
	}
	attacker, err := a.Attacker.Get(ft.parts | attackerParts)
	if err != nil {
		return nil, err
	}
	f, err := newForger(a.Backend, ft, victim, attacker, backendToken(&env, a.Backend), maxBytesOf(env.Options), t0)
	if err != nil {
		return nil, err
	}
	timeout := a.Timeout
	if timeout <= 0 {
		timeout = 5 * time.Second
	}
	out := make([]AttackResult, 0, len(attacks))
	for i := range attacks {
		at := &attacks[i]
		r := AttackResult{Attack: at.name, Want: at.want(f)}
		if at.weakness != nil {
			r.Weakness = at.weakness(f)
		}
		tok, err := f.forge(at)
		if err != nil {
			r.Got = "not forged: " + err.Error()
			out = append(out, r)
			continue
		}
		var d time.Duration
		if at.at != nil {
			d = at.at(f)
		}
		offset.Store(int64(d))
		vctx, cancel := context.WithTimeout(ctx, timeout)
		r.Got = Explain(node.Validate(vctx, tok))
		cancel()
		out = append(out, r)
		if ctx.Err() != nil {
			return out, ctx.Err()
		}
	}
	return out, nil
}
