package backends

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"
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
//
// IssuedAt shadows the embedded iat: it is written with millisecond
// precision (RFC 7519 §2 allows a non-integer NumericDate), because the
// stores' data-loss cutoff (see lossGuard) compares it with the moment a
// loss was detected, and whole seconds would refuse up to a second of
// logins made after the loss. ExpiresAt shadows exp for the same reason:
// golang-jwt writes whole seconds, truncated, so a token.ttl of 200ms gave
// tokens that were expired when issued four times in five, and any
// lifetime that is not whole seconds was cut short by up to a second.
type issuedClaims struct {
	jwt.RegisteredClaims
	IssuedAt  msDate `json:"iat"`
	ExpiresAt msDate `json:"exp"`
	Pad       string `json:"pad,omitempty"`
}

// msDate is a NumericDate written with three decimals.
type msDate struct{ t time.Time }

func (d msDate) MarshalJSON() ([]byte, error) {
	ms := d.t.UnixMilli()
	return fmt.Appendf(nil, "%d.%03d", ms/1000, ms%1000), nil
}

// padOverhead is len(`,"pad":""`): what an empty pad claim adds to the JSON.
const padOverhead = 9

// checkedClaims is what validation decodes into. The padding is not a field,
// so encoding/json skips it without allocating a string for it.
//
// The registered claims are spelled out rather than embedded from
// jwt.RegisteredClaims because the dates must be checked for their JSON
// type: golang-jwt (and encoding/json into a json.Number) accepts a quoted
// number ("exp":"1795981488"), and RFC 7519 §2 and RFC 8725 §3.11 want a
// JSON number and nothing else.
type checkedClaims struct {
	Issuer    string           `json:"iss"`
	Subject   string           `json:"sub"`
	Audience  jwt.ClaimStrings `json:"aud"`
	ExpiresAt *strictDate      `json:"exp"`
	NotBefore *strictDate      `json:"nbf"`
	IssuedAt  *strictDate      `json:"iat"`
	ID        string           `json:"jti"`
}

var _ jwt.Claims = (*checkedClaims)(nil)

func (c *checkedClaims) GetExpirationTime() (*jwt.NumericDate, error) {
	return c.ExpiresAt.numeric(), nil
}
func (c *checkedClaims) GetNotBefore() (*jwt.NumericDate, error) { return c.NotBefore.numeric(), nil }
func (c *checkedClaims) GetIssuedAt() (*jwt.NumericDate, error)  { return c.IssuedAt.numeric(), nil }
func (c *checkedClaims) GetIssuer() (string, error)              { return c.Issuer, nil }
func (c *checkedClaims) GetSubject() (string, error)             { return c.Subject, nil }
func (c *checkedClaims) GetAudience() (jwt.ClaimStrings, error)  { return c.Audience, nil }

// Validate is called by golang-jwt's Validator after the registered-claim
// checks: revocation by jti (the hybrids) needs every token to carry one,
// and the data-loss cutoff needs iat.
func (c *checkedClaims) Validate() error {
	if c.ID == "" {
		return errMissingJTI
	}
	if c.IssuedAt == nil {
		return errMissingIAT
	}
	return nil
}

var (
	errMissingJTI = fmt.Errorf("%w: jti", jwt.ErrTokenRequiredClaimMissing)
	errMissingIAT = fmt.Errorf("%w: iat", jwt.ErrTokenRequiredClaimMissing)
)

// verified is what a successful verification tells the caller.
func (c *checkedClaims) verified() verified {
	return verified{jti: c.ID, iat: c.IssuedAt.Time, exp: c.ExpiresAt.Time}
}

// verified is a token that passed every check of its codec.
type verified struct {
	jti      string
	iat, exp time.Time
}

// strictDate is a NumericDate that must be a JSON number.
type strictDate struct{ jwt.NumericDate }

// errNotNumber is the decoding error of a date that is not a JSON number.
var errNotNumber = errors.New("date claim is not a JSON number")

func (d *strictDate) UnmarshalJSON(b []byte) error {
	// encoding/json hands over the raw value: a number starts with a digit
	// or a minus sign; a string, bool, object or array does not.
	if len(b) == 0 || !(b[0] == '-' || '0' <= b[0] && b[0] <= '9') {
		return errNotNumber
	}
	f, err := strconv.ParseFloat(string(b), 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) || math.Abs(f) > maxNumericDate {
		return errNotNumber
	}
	sec, frac := math.Modf(f)
	// Microseconds absorb the float's rounding of a millisecond fraction.
	d.Time = time.Unix(int64(sec), int64(math.Round(frac*1e6))*1e3)
	return nil
}

// maxNumericDate bounds dates to what time.Time holds without overflow.
const maxNumericDate = 1 << 40

func (d *strictDate) numeric() *jwt.NumericDate {
	if d == nil {
		return nil
	}
	return &d.NumericDate
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
		NotBefore: jwt.NewNumericDate(now),
		ID:        newJTI(),
	}, IssuedAt: msDate{now}, ExpiresAt: msDate{time.UnixMilli(now.Add(ttl).UnixMilli())}}
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

// The token backends' refusals, built once (see Reject). They keep the
// sentinel of golang-jwt where it has one, so that its errors.Is checks and
// Explain work on them as on the library's own errors.
var (
	rejectAlgorithm  = Reject(ErrAlgorithm)
	rejectSignature  = Reject(ErrSignature, jwt.ErrTokenSignatureInvalid)
	rejectUnknownKey = Reject(ErrUnknownKey)
	rejectDecrypt    = Reject(ErrDecrypt)
	rejectCompressed = Reject(ErrCompressed)
	// rejectUntrusted has one refusal per header of untrustedHeaders.
	rejectUntrusted = func() map[string]error {
		m := make(map[string]error, len(untrustedHeaders))
		for _, h := range untrustedHeaders {
			m[h] = Reject(ErrUntrustedHeader, fmt.Errorf("%q header", h))
		}
		return m
	}()
)

// untrustedHeaders are refused in every JOSE header: jku, x5u (URLs to fetch
// a key from), jwk, x5c (a key carried by the token itself) and crit
// (extensions the verifier must understand; authbench understands none).
var untrustedHeaders = []string{"jku", "x5u", "jwk", "x5c", "crit"}

// claimChecks are golang-jwt's claim errors, in the order a refusal names
// them. golang-jwt reports every failed check of a token at once.
var claimChecks = []error{
	jwt.ErrTokenExpired,
	jwt.ErrTokenNotValidYet,
	jwt.ErrTokenUsedBeforeIssued,
	jwt.ErrTokenInvalidIssuer,
	jwt.ErrTokenInvalidAudience,
	jwt.ErrTokenInvalidSubject,
	jwt.ErrTokenRequiredClaimMissing,
}

// claimRejections[m] refuses a token whose failed checks are the bits of m
// (bit i: claimChecks[i]); ErrExpired when the token is expired, ErrClaims
// otherwise. All combinations are built at start-up, so that a refusal
// still names every failed check without building anything.
var claimRejections = func() []error {
	r := make([]error, 1<<len(claimChecks))
	for m := range r {
		reason, causes := ErrClaims, []error{jwt.ErrTokenInvalidClaims}
		if m&1 != 0 {
			reason = ErrExpired
		}
		for i, c := range claimChecks {
			if m&(1<<i) != 0 {
				causes = append(causes, c)
			}
		}
		r[m] = Reject(reason, causes...)
	}
	return r
}()

// claimsRejection turns a golang-jwt claims error into a rejection.
func claimsRejection(err error) error {
	m := 0
	for i, c := range claimChecks {
		if errors.Is(err, c) {
			m |= 1 << i
		}
	}
	return claimRejections[m]
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

// backendToken is tokenConfig with the backend's own audience: every
// backend issues and accepts "<token.audience>/<backend>", so that a token
// minted for one backend is refused by another that shares its key
// (jwt-hs256, the denylists and jwt-refresh share the HMAC secret,
// jwt-es256 and jwe-nested the P-256 signing key). RFC 8725 §3.9 and §3.10:
// one key or audience per kind of token.
func backendToken(env *Env, backend string) TokenConfig {
	tc := tokenConfig(env)
	tc.Audience = BackendAudience(tc.Audience, backend)
	return tc
}

// BackendAudience is the `aud` that backend issues and requires when the
// scenario's token.audience is aud.
func BackendAudience(aud, backend string) string { return aud + "/" + backend }

// backendKeyID is the `kid` backend puts in its tokens and requires: the
// key's own ID (keys.KeyID) prefixed with the backend's name, so that two
// backends sharing a key still tell their tokens apart.
func backendKeyID(backend string, key any) string { return backend + ":" + keys.KeyID(key) }

// Refusals of checkCompact.
var (
	rejectNotBase64url = Reject(ErrMalformed, errors.New("character outside base64url"))
	rejectSegments     = Reject(ErrMalformed, errors.New("wrong number of segments"))
	rejectPartialByte  = Reject(ErrMalformed, errors.New("base64url length is not whole bytes"))
	rejectUnusedBits   = Reject(ErrMalformed, errors.New("non-canonical base64url (unused bits set)"))
)

// checkCompact refuses a compact serialisation that is not made of exactly
// segs canonical base64url segments. Go's base64 decoders skip CR and LF
// anywhere and, unless told to be strict, ignore non-zero bits after the
// last whole byte, so one token would have many spellings (RFC 8725 §3.12
// asks for one). A segment of n characters holds 6n bits: when n mod 4 is 2
// or 3, the last character carries 4 or 2 unused bits that must be zero;
// n mod 4 == 1 never encodes whole bytes.
func checkCompact(token string, segs int) error {
	n, start := 1, 0
	for i := 0; i <= len(token); i++ {
		if i == len(token) || token[i] == '.' {
			if err := canonicalSegment(token[start:i]); err != nil {
				return err
			}
			if i < len(token) {
				n++
			}
			start = i + 1
			continue
		}
		if b64Value(token[i]) < 0 {
			return rejectNotBase64url
		}
	}
	if n != segs {
		return rejectSegments
	}
	return nil
}

func canonicalSegment(seg string) error {
	if len(seg) == 0 {
		return nil
	}
	var unused uint
	switch len(seg) % 4 {
	case 1:
		return rejectPartialByte
	case 2:
		unused = 4
	case 3:
		unused = 2
	default:
		return nil
	}
	if v := b64Value(seg[len(seg)-1]); v&(1<<unused-1) != 0 {
		return rejectUnusedBits
	}
	return nil
}

// b64Value is the 6-bit value of a base64url character, -1 for any other.
func b64Value(c byte) int {
	switch {
	case 'A' <= c && c <= 'Z':
		return int(c - 'A')
	case 'a' <= c && c <= 'z':
		return int(c-'a') + 26
	case '0' <= c && c <= '9':
		return int(c-'0') + 52
	case c == '-':
		return 62
	case c == '_':
		return 63
	}
	return -1
}
