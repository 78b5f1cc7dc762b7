package backends

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/internal/keys"
)

// DefaultMaxTokenBytes is the default size limit on incoming tokens. It is
// checked before any base64 decoding or parsing, so an oversized credential
// costs one length comparison. 8 KiB matches the header size limit of common
// web servers.
const DefaultMaxTokenBytes = 8 << 10

// maxTokenBytesCeiling bounds max_bytes: above it the limit protects nothing.
const maxTokenBytesCeiling = 1 << 20

// TokenOptions are the options of every token backend
// (`options.<backend>.max_bytes`).
type TokenOptions struct {
	// MaxBytes refuses longer tokens before parsing them.
	MaxBytes int `yaml:"max_bytes"`
}

// Check validates the options; the scenario parser calls it.
func (o *TokenOptions) Check() error { return checkMaxBytes(o.MaxBytes) }

// Clone returns a copy.
func (o *TokenOptions) Clone() Options { c := *o; return &c }

// RSAOptions are the options of jwt-rs256.
type RSAOptions struct {
	// Bits is the RSA key size: 2048, 3072 or 4096. With a `keys:` folder,
	// the folder's key must have this size.
	Bits int `yaml:"bits"`
	// MaxBytes refuses longer tokens before parsing them.
	MaxBytes int `yaml:"max_bytes"`
}

// Check validates the options; the scenario parser calls it.
func (o *RSAOptions) Check() error {
	if !keys.ValidRSABits(o.Bits) {
		return fmt.Errorf("bits: %d is not one of 2048, 3072, 4096", o.Bits)
	}
	return checkMaxBytes(o.MaxBytes)
}

// Clone returns a copy.
func (o *RSAOptions) Clone() Options { c := *o; return &c }

func checkMaxBytes(n int) error {
	if n < 256 || n > maxTokenBytesCeiling {
		return fmt.Errorf("max_bytes: %d is outside 256..%d", n, maxTokenBytesCeiling)
	}
	return nil
}

func defaultTokenOptions() Options { return &TokenOptions{MaxBytes: DefaultMaxTokenBytes} }
func defaultRSAOptions() Options {
	return &RSAOptions{Bits: keys.DefaultRSABits, MaxBytes: DefaultMaxTokenBytes}
}

// maxBytesOf reads the size limit from a token backend's options;
// backends without a limit of their own get the default.
func maxBytesOf(opts Options) int {
	n := 0
	switch o := opts.(type) {
	case *TokenOptions:
		n = o.MaxBytes
	case *RSAOptions:
		n = o.MaxBytes
	}
	if n > 0 {
		return n
	}
	return DefaultMaxTokenBytes
}

// issuedClaims is the claims set authbench puts in every token it issues.
//
// Pad makes the claims set exactly token.claims_bytes long, measured as the
// JSON text of the claims (the JWS payload before base64url, the JWE
// plaintext), so that backends are compared at the same payload size. When the
// registered claims alone are longer than claims_bytes there is no padding.
type issuedClaims struct {
	jwt.RegisteredClaims
	Pad string `json:"pad,omitempty"`
}

// padOverhead is len(`,"pad":""`): what an empty pad claim adds to the JSON.
const padOverhead = 9

// checkedClaims is what validation decodes into. The padding is not a field,
// so encoding/json skips it without allocating a string for it.
type checkedClaims struct {
	jwt.RegisteredClaims
}

// Validate is called by golang-jwt's Validator after the registered-claim
// checks: revocation by jti (the hybrids) needs every token to carry one.
func (c *checkedClaims) Validate() error {
	if c.ID == "" {
		return fmt.Errorf("%w: jti", jwt.ErrTokenRequiredClaimMissing)
	}
	return nil
}

// jtiLen is the length of a jti made by newJTI.
var jtiLen = base64.RawURLEncoding.EncodedLen(16)

// newJTI returns a random 128-bit token ID, base64url without padding.
func newJTI() string {
	var b [16]byte
	rand.Read(b[:]) // never fails (crypto/rand since Go 1.24)
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// newClaims builds the claims of a fresh token for user at now.
func newClaims(tc *TokenConfig, user string, now time.Time, ttl time.Duration) (*issuedClaims, error) {
	c := &issuedClaims{RegisteredClaims: jwt.RegisteredClaims{
		Issuer:    tc.Issuer,
		Subject:   user,
		Audience:  jwt.ClaimStrings{tc.Audience},
		ExpiresAt: jwt.NewNumericDate(now.Add(ttl)),
		NotBefore: jwt.NewNumericDate(now),
		IssuedAt:  jwt.NewNumericDate(now),
		ID:        newJTI(),
	}}
	if tc.ClaimsBytes > 0 {
		b, err := json.Marshal(c)
		if err != nil {
			return nil, err
		}
		if n := tc.ClaimsBytes - len(b) - padOverhead; n >= 0 {
			c.Pad = strings.Repeat("x", n)
		}
	}
	return c, nil
}

// claimsOptions returns the golang-jwt parser options every token backend
// validates with. The JWE backends feed the same options to jwt.NewValidator,
// so a claim is judged by the same code whichever envelope carried it.
func claimsOptions(tc *TokenConfig, now func() time.Time) []jwt.ParserOption {
	return []jwt.ParserOption{
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
		jwt.WithLeeway(tc.Leeway),
		jwt.WithTimeFunc(now),
		jwt.WithIssuer(tc.Issuer),
		jwt.WithAudience(tc.Audience),
	}
}

// claimsRejection turns a golang-jwt claims error into a rejection.
func claimsRejection(err error) error {
	if errors.Is(err, jwt.ErrTokenExpired) {
		return reject(ErrExpired, err)
	}
	return reject(ErrClaims, err)
}

// reject wraps the most specific sentinel and the library's error.
func reject(reason, cause error) error {
	if cause == nil {
		return Reject(reason)
	}
	return Reject(fmt.Errorf("%w: %w", reason, cause))
}

// tokenConfig fills the zero fields of env.Token from DefaultToken, so that a
// backend opened with a bare Env (tests, the token command) behaves like one
// opened by a scenario.
func tokenConfig(env *Env) TokenConfig {
	tc := env.Token
	if tc.TTL <= 0 {
		tc.TTL = DefaultToken.TTL
	}
	if tc.Leeway < 0 {
		tc.Leeway = 0
	}
	// iss and aud are always checked: a verifier that skips them accepts
	// tokens minted for another service with a shared key.
	if tc.Issuer == "" {
		tc.Issuer = DefaultToken.Issuer
	}
	if tc.Audience == "" {
		tc.Audience = DefaultToken.Audience
	}
	return tc
}
