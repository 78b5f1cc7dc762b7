package backends

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/internal/keys"
)

// The signed-JWT backends: one pinned algorithm each, a fixed key set, no
// server state. Revoke cannot work for them, and that is what authbench
// measures: a logged-out token keeps being accepted until it expires.

func init() {
	for _, b := range []struct {
		name, alg, desc string
		options         func() Options
		loginCost       time.Duration
	}{
		{"jwt-hs256", "HS256", "Signed JWT with HS256 (shared 256-bit HMAC secret): validation is one HMAC over the token and no store, so a logged-out token stays valid until it expires.", defaultTokenOptions, 5 * time.Microsecond},
		{"jwt-rs256", "RS256", "Signed JWT with RS256 (RSA 2048 by default, option bits: 3072 or 4096): public-key verification and no store, so a logged-out token stays valid until it expires.", defaultRSAOptions, 1500 * time.Microsecond},
		{"jwt-es256", "ES256", "Signed JWT with ES256 (ECDSA P-256): public-key verification and no store, so a logged-out token stays valid until it expires.", defaultTokenOptions, 40 * time.Microsecond},
		{"jwt-eddsa", "EdDSA", "Signed JWT with EdDSA (Ed25519): public-key verification and no store, so a logged-out token stays valid until it expires.", defaultTokenOptions, 40 * time.Microsecond},
	} {
		alg, name := b.alg, b.name
		Register(Entry{
			Info:    Info{Name: b.name, Family: "jwt", NeedsKeys: true, IssuesTokens: true, LoginCost: b.loginCost, Description: b.desc},
			Options: b.options,
			New: func(env *Env) (Strategy, error) {
				c, err := newJWTCodec(env, name, alg)
				if err != nil {
					return nil, err
				}
				return &stateless{c: c, ttl: c.tc.TTL}, nil
			},
		})
	}
}

// ringOf returns the key ring Open put in env.Keys.
func ringOf(env *Env) (*keys.Ring, error) {
	if env.Keys == nil {
		return nil, errors.New("token backend: no key ring (open it with backends.Open, or set Env.Keys)")
	}
	return env.Keys, nil
}

// jwtCodec issues and verifies signed JWTs with one pinned algorithm.
//
// Everything a verification needs is built once, when the node opens: the
// parser with its options, the key function, the key ID. A codec is safe for
// concurrent use.
type jwtCodec struct {
	backend   string // the backend's name, part of its kid and audience
	alg       string
	method    jwt.SigningMethod
	signKey   any
	verifyKey any
	kid       string
	tc        TokenConfig
	now       func() time.Time
	maxBytes  int
	parser    *jwt.Parser
	keyfunc   jwt.Keyfunc
}

// newJWTCodec opens a codec for backend with alg ("HS256", "RS256", "ES256"
// or "EdDSA"), the keys of env.Keys, the token settings of env.Token and the
// size limit of env.Options.
func newJWTCodec(env *Env, backend, alg string) (*jwtCodec, error) {
	ring, err := ringOf(env)
	if err != nil {
		return nil, err
	}
	c := &jwtCodec{
		backend:  backend,
		alg:      alg,
		tc:       backendToken(env, backend),
		now:      env.Clock(),
		maxBytes: maxBytesOf(env.Options),
	}
	var set *keys.Set
	switch alg {
	case "HS256":
		if set, err = ring.Get(keys.HMAC); err == nil {
			c.method, c.signKey, c.verifyKey = jwt.SigningMethodHS256, set.HMAC, set.HMAC
		}
	case "RS256":
		if set, err = ring.Get(keys.RSA); err == nil {
			c.method, c.signKey, c.verifyKey = jwt.SigningMethodRS256, set.RSA, &set.RSA.PublicKey
			if o, ok := env.Options.(*RSAOptions); ok && set.RSA.N.BitLen() != o.Bits {
				err = fmt.Errorf("the RSA key of %s has %d bits but bits is %d: set options.<backend>.bits to match the key",
					ring.Dir(), set.RSA.N.BitLen(), o.Bits)
			}
		}
	case "ES256":
		if set, err = ring.Get(keys.EC); err == nil {
			c.method, c.signKey, c.verifyKey = jwt.SigningMethodES256, set.EC, &set.EC.PublicKey
		}
	case "EdDSA":
		if set, err = ring.Get(keys.Ed25519); err == nil {
			c.method, c.signKey, c.verifyKey = jwt.SigningMethodEdDSA, set.Ed25519, set.Ed25519.Public().(ed25519.PublicKey)
		}
	default:
		return nil, fmt.Errorf("jwt: algorithm %q is not one of HS256, RS256, ES256, EdDSA", alg)
	}
	if err != nil {
		return nil, err
	}
	c.kid = backendKeyID(backend, c.verifyKey)
	opts := append([]jwt.ParserOption{jwt.WithValidMethods([]string{alg}), jwt.WithStrictDecoding()}, claimsOptions(&c.tc, c.now)...)
	c.parser = jwt.NewParser(opts...)
	c.keyfunc = c.key
	if err := c.checkSize(); err != nil {
		return nil, err
	}
	return c, nil
}

// checkSize refuses a configuration whose own tokens would exceed the size
// limit: every validation would fail and the run would measure nothing.
func (c *jwtCodec) checkSize() error {
	cred, err := c.issue("size-probe", c.tc.TTL)
	if err != nil {
		return err
	}
	if len(cred.Token) > c.maxBytes {
		return fmt.Errorf("token.claims_bytes %d makes %s tokens of %d bytes, above max_bytes %d",
			c.tc.ClaimsBytes, c.alg, len(cred.Token), c.maxBytes)
	}
	return nil
}

// key is the jwt.Keyfunc: it runs after the algorithm check and before the
// signature check. The kid only ever indexes the in-memory key set; key
// references the verifier would have to fetch or trust are refused.
func (c *jwtCodec) key(t *jwt.Token) (any, error) {
	for _, h := range untrustedHeaders {
		if _, ok := t.Header[h]; ok {
			return nil, rejectUntrusted[h]
		}
	}
	if kid, _ := t.Header["kid"].(string); kid != c.kid {
		return nil, rejectUnknownKey
	}
	return c.verifyKey, nil
}

// issue signs a fresh token for user valid for ttl. Credential.ID is the jti.
func (c *jwtCodec) issue(user string, ttl time.Duration) (Credential, error) {
	claims, err := newClaims(&c.tc, user, c.now(), ttl)
	if err != nil {
		return Credential{}, err
	}
	t := jwt.NewWithClaims(c.method, claims)
	t.Header["kid"] = c.kid
	s, err := t.SignedString(c.signKey)
	if err != nil {
		return Credential{}, fmt.Errorf("jwt: sign: %w", err)
	}
	return Credential{Token: s, Subject: user, ID: claims.ID, ExpiresAt: claims.ExpiresAt.t}, nil
}

// verify checks token as Validate does and returns its jti, iat and
// expiry. A refusal is one of the package's prebuilt rejections, with the
// most specific sentinel (and golang-jwt's, where it has one).
func (c *jwtCodec) verify(token string) (verified, error) {
	if len(token) > c.maxBytes {
		return verified{}, rejectTooLarge
	}
	if err := checkCompact(token, 3); err != nil {
		return verified{}, err
	}
	var claims checkedClaims
	t, err := c.parser.ParseWithClaims(token, &claims, c.keyfunc)
	if err != nil {
		return verified{}, c.rejection(t, err)
	}
	return claims.verified(), nil
}

// rejection maps a golang-jwt error to the most specific sentinel.
func (c *jwtCodec) rejection(t *jwt.Token, err error) error {
	switch {
	case errors.Is(err, ErrRejected):
		// From c.key, wrapped by golang-jwt: hand back c.key's own value.
		if errors.Is(err, rejectUnknownKey) {
			return rejectUnknownKey
		}
		for _, r := range rejectUntrusted {
			if errors.Is(err, r) {
				return r
			}
		}
	case errors.Is(err, jwt.ErrTokenMalformed):
		return rejectMalformed
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		// golang-jwt reports a method outside WithValidMethods as an invalid
		// signature; say what it is.
		if t != nil && t.Method != nil && t.Method.Alg() != c.alg {
			return rejectAlgorithm
		}
		return rejectSignature
	case errors.Is(err, jwt.ErrTokenInvalidClaims):
		return claimsRejection(err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		// alg missing or naming no method golang-jwt knows.
		return rejectAlgorithm
	}
	return rejectMalformed
}

// tokenCodec issues and verifies self-contained tokens: signed JWTs
// (jwtCodec) or JWEs (jweCodec).
type tokenCodec interface {
	issue(user string, ttl time.Duration) (Credential, error)
	verify(token string) (verified, error)
}

// stateless is one validator node of a token backend that keeps no
// server state (jwt-*, jwe-*).
type stateless struct {
	c   tokenCodec
	ttl time.Duration
}

var _ Strategy = (*stateless)(nil)

func (s *stateless) Issue(_ context.Context, user string) (Credential, error) {
	return s.c.issue(user, s.ttl)
}

func (s *stateless) Validate(_ context.Context, token string) error {
	_, err := s.c.verify(token)
	return err
}

// Revoke cannot revoke a stateless token: it stays valid until it expires.
func (s *stateless) Revoke(context.Context, Credential) error { return nil }

func (s *stateless) Close() error { return nil }
