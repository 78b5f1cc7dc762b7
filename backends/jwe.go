package backends

import (
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/internal/keys"
)

// The encrypted-token backends. The claims travel as a JWE (compact form,
// A256GCM content encryption) that clients cannot read. Key and content
// algorithms are pinned on parse, `zip` is refused before decryption, and the
// claims are judged by the same golang-jwt validator as the signed tokens.
//
// Encryption is not authentication: with jwe-rsa-oaep and jwe-ecdh-es anyone
// who holds the public key can mint a token the server accepts. jwe-nested
// signs first (ES256) and is the one to use when the clients must not be able
// to forge; jwe-dir needs the shared secret to mint.

func init() {
	for _, b := range []struct {
		name, desc string
		keyAlg     jose.KeyAlgorithm
		nested     bool
		loginCost  time.Duration
	}{
		{"jwe-dir", "Encrypted JWT, JWE dir + A256GCM with a shared 256-bit key: one AES-GCM open per validation and no store, so a logged-out token stays valid until it expires.", jose.DIRECT, false, 10 * time.Microsecond},
		{"jwe-rsa-oaep", "Encrypted JWT, JWE RSA-OAEP-256 + A256GCM (RSA 2048): an RSA private-key operation per validation, no store, and anyone holding the public key can mint a token it accepts.", jose.RSA_OAEP_256, false, 60 * time.Microsecond},
		{"jwe-ecdh-es", "Encrypted JWT, JWE ECDH-ES+A256KW + A256GCM (P-256): an ECDH agreement per validation, no store, and anyone holding the public key can mint a token it accepts.", jose.ECDH_ES_A256KW, false, 150 * time.Microsecond},
		{"jwe-nested", "Signed then encrypted JWT: an ES256 JWS inside a JWE ECDH-ES+A256KW + A256GCM, validated by decrypting then verifying the signature, so only the issuer can mint and only the server can read; no store.", jose.ECDH_ES_A256KW, true, 200 * time.Microsecond},
	} {
		Register(Entry{
			Info:    Info{Name: b.name, Family: "jwe", NeedsKeys: true, IssuesTokens: true, LoginCost: b.loginCost, Description: b.desc},
			Options: defaultTokenOptions,
			New: func(env *Env) (Strategy, error) {
				c, err := newJWECodec(env, b.name, b.keyAlg, b.nested)
				if err != nil {
					return nil, fmt.Errorf("%s: %w", b.name, err)
				}
				return &stateless{c: c, ttl: c.tc.TTL}, nil
			},
		})
	}
}

// jweContent is the only content encryption any JWE backend accepts.
var jweContent = []jose.ContentEncryption{jose.A256GCM}

// jweCodec issues and validates JWE tokens with one pinned key algorithm.
// It is safe for concurrent use.
type jweCodec struct {
	keyAlg    jose.KeyAlgorithm
	keyAlgs   []jose.KeyAlgorithm // the allow-list handed to go-jose
	enc       jose.Encrypter
	decKey    any
	kid       string
	tc        TokenConfig
	now       func() time.Time
	maxBytes  int
	validator *jwt.Validator
	// inner signs and verifies the JWS inside a nested token; nil otherwise.
	inner  *jwtCodec
	nested bool
}

func newJWECodec(env *Env, backend string, keyAlg jose.KeyAlgorithm, nested bool) (*jweCodec, error) {
	ring, err := ringOf(env)
	if err != nil {
		return nil, err
	}
	c := &jweCodec{
		keyAlg:   keyAlg,
		keyAlgs:  []jose.KeyAlgorithm{keyAlg},
		tc:       backendToken(env, backend),
		now:      env.Clock(),
		maxBytes: maxBytesOf(env.Options),
	}
	var encKey any
	switch keyAlg {
	case jose.DIRECT:
		set, err := ring.Get(keys.Dir)
		if err != nil {
			return nil, err
		}
		encKey, c.decKey = set.Dir, set.Dir
	case jose.RSA_OAEP_256:
		set, err := ring.Get(keys.EncRSA)
		if err != nil {
			return nil, err
		}
		encKey, c.decKey = &set.EncRSA.PublicKey, set.EncRSA
	case jose.ECDH_ES_A256KW:
		set, err := ring.Get(keys.EncEC)
		if err != nil {
			return nil, err
		}
		encKey, c.decKey = &set.EncEC.PublicKey, set.EncEC
	default:
		return nil, fmt.Errorf("jwe: key algorithm %q not supported", keyAlg)
	}
	c.kid = backendKeyID(backend, encKey)
	opts := &jose.EncrypterOptions{}
	if nested {
		// RFC 7519 §5.2: cty "JWT" marks a nested token.
		opts.WithContentType("JWT")
		c.nested = true
		if c.inner, err = newJWTCodec(env, backend, "ES256"); err != nil {
			return nil, err
		}
	} else {
		opts.WithType("JWT")
	}
	c.enc, err = jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: keyAlg, Key: encKey, KeyID: c.kid}, opts)
	if err != nil {
		return nil, fmt.Errorf("jwe: %w", err)
	}
	c.validator = jwt.NewValidator(claimsOptions(&c.tc, c.now)...)
	probe, err := c.issue("size-probe", c.tc.TTL)
	if err != nil {
		return nil, err
	}
	if len(probe.Token) > c.maxBytes {
		return nil, fmt.Errorf("token.claims_bytes %d makes tokens of %d bytes, above max_bytes %d",
			c.tc.ClaimsBytes, len(probe.Token), c.maxBytes)
	}
	return c, nil
}

// issue encrypts a fresh token for user valid for ttl. For a nested token
// the padding goes into the inner JWS's claims, as for jwt-es256.
func (c *jweCodec) issue(user string, ttl time.Duration) (Credential, error) {
	var (
		plaintext []byte
		cred      Credential
	)
	if c.inner != nil {
		var err error
		if cred, err = c.inner.issue(user, ttl); err != nil {
			return Credential{}, err
		}
		plaintext = []byte(cred.Token)
	} else {
		claims, err := newClaims(&c.tc, user, c.now(), ttl)
		if err != nil {
			return Credential{}, err
		}
		if plaintext, err = json.Marshal(claims); err != nil {
			return Credential{}, err
		}
		cred = Credential{Subject: user, ID: claims.ID, ExpiresAt: claims.ExpiresAt.t}
	}
	obj, err := c.enc.Encrypt(plaintext)
	if err != nil {
		return Credential{}, fmt.Errorf("jwe: encrypt: %w", err)
	}
	if cred.Token, err = obj.CompactSerialize(); err != nil {
		return Credential{}, fmt.Errorf("jwe: %w", err)
	}
	return cred, nil
}

// verify checks token as Validate does and returns its jti, iat and expiry.
//
// Order matters: the size limit before any decoding, the encoding (only
// canonical base64url, RFC 7515 §2 / RFC 8725 §3.12: go-jose would skip CR
// and LF and ignore non-zero trailing bits), the algorithm allow-lists inside
// go-jose's parse, the header checks (untrusted key references, kid, zip,
// cty) before any key operation, the claims after decryption and, for
// nested tokens, after the inner signature.
func (c *jweCodec) verify(token string) (verified, error) {
	if len(token) > c.maxBytes {
		return verified{}, rejectTooLarge
	}
	if err := checkCompact(token, 5); err != nil {
		return verified{}, err
	}
	if c.keyAlg == jose.DIRECT {
		// RFC 7516 §5.2 step 10: with dir the encrypted key must be empty.
		if _, rest, _ := strings.Cut(token, "."); !strings.HasPrefix(rest, ".") {
			return verified{}, rejectDirKey
		}
	}
	obj, err := jose.ParseEncryptedCompact(token, c.keyAlgs, jweContent)
	if err != nil {
		return verified{}, c.parseRejection(token)
	}
	if err := c.checkHeader(&obj.Header); err != nil {
		return verified{}, err
	}
	plaintext, err := obj.Decrypt(c.decKey)
	if err != nil {
		return verified{}, rejectDecrypt
	}
	if c.inner != nil {
		return c.inner.verify(string(plaintext))
	}
	var claims checkedClaims
	if err := json.Unmarshal(plaintext, &claims); err != nil {
		return verified{}, rejectMalformed
	}
	if err := c.validator.Validate(&claims); err != nil {
		return verified{}, claimsRejection(err)
	}
	return claims.verified(), nil
}

// Refusals of the JWE rules that golang-jwt and go-jose do not apply.
var (
	rejectDirKey = Reject(ErrMalformed, errors.New("dir: encrypted key segment is not empty"))
	rejectNoCty  = Reject(ErrMalformed, errors.New("nested token without cty JWT"))
)

// checkHeader applies the header rules go-jose leaves to the caller.
func (c *jweCodec) checkHeader(h *jose.Header) error {
	if h.JSONWebKey != nil {
		return rejectUntrusted["jwk"]
	}
	if _, err := h.Certificates(x509.VerifyOptions{}); !errors.Is(err, jose.ErrMissingX5cHeader) {
		return rejectUntrusted["x5c"]
	}
	for _, k := range untrustedHeaders {
		if _, ok := h.ExtraHeaders[jose.HeaderKey(k)]; ok {
			return rejectUntrusted[k]
		}
	}
	if h.KeyID != c.kid {
		return rejectUnknownKey
	}
	// go-jose would inflate the plaintext after decryption (up to 250 kB);
	// with a public-key algorithm anyone can send such a token.
	if _, ok := h.ExtraHeaders["zip"]; ok {
		return rejectCompressed
	}
	if c.nested {
		// RFC 7519 §5.2: a nested JWT says so with cty JWT. Without it the
		// payload is not ours to interpret as a token.
		if cty, _ := h.ExtraHeaders["cty"].(string); !strings.EqualFold(cty, "JWT") {
			return rejectNoCty
		}
	}
	return nil
}

// parseRejection classifies a go-jose parse error. go-jose reports a
// disallowed alg or enc with a plain error, so on this (cold) path the
// protected header is decoded once more to tell that case from a malformed
// token.
func (c *jweCodec) parseRejection(token string) error {
	head, _, _ := strings.Cut(token, ".")
	raw, derr := base64.RawURLEncoding.DecodeString(head)
	if derr == nil {
		var h struct {
			Alg string `json:"alg"`
			Enc string `json:"enc"`
		}
		if json.Unmarshal(raw, &h) == nil && h.Alg != "" && h.Enc != "" &&
			(!slices.Contains(c.keyAlgs, jose.KeyAlgorithm(h.Alg)) || !slices.Contains(jweContent, jose.ContentEncryption(h.Enc))) {
			return rejectAlgorithm
		}
	}
	return rejectMalformed
}
