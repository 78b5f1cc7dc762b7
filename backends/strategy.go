// Package backends holds the authentication strategies that authbench
// compares, one file per family, and the registry that names them.
//
// Every strategy implements Strategy. The load engine knows nothing else
// about a backend: it issues a credential for a user (login), validates one
// (the hot path), revokes one (logout) and, when the strategy implements
// Refresher, refreshes one. A strategy never reports whether its answers are
// correct; the engine keeps the ground truth.
//
// One Strategy value is one validator node. The engine opens one per
// simulated node (cluster.nodes), all sharing the same Env: keys and Redis
// are shared between nodes, in-memory state is not.
//
// Validate must be safe for concurrent use by many goroutines.
package backends

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// Sentinel errors. A Validate error that wraps ErrRejected is a rejection
// (the credential was refused); any other error is an infrastructure error
// (store down, time-out) and is counted apart from rejections.
var (
	// ErrRejected marks every refusal of a credential.
	ErrRejected = errors.New("rejected")
	// ErrRevoked: the credential was valid but has been revoked (logout).
	ErrRevoked = errors.New("revoked")
	// ErrUnknownSession: no session with this ID exists (never issued, revoked or
	// issued on another node).
	ErrUnknownSession = errors.New("unknown session")
	// ErrExpired: the credential's lifetime is over.
	ErrExpired = errors.New("expired")
	// ErrMalformed: the credential could not be parsed.
	ErrMalformed = errors.New("malformed credential")
	// ErrTooLarge: the credential is longer than the backend accepts.
	ErrTooLarge = errors.New("credential too large")
	// ErrRefreshReuse: a refresh token was presented a second time; the whole
	// token family has been revoked.
	ErrRefreshReuse = errors.New("refresh token reused")
	// ErrNotSupported: the backend does not implement the operation.
	ErrNotSupported = errors.New("operation not supported by this backend")
	// ErrUnavailable: a backend cannot run here (no Redis, for instance).
	ErrUnavailable = errors.New("backend unavailable")

	// Reasons a token backend refuses a credential. Each rejection wraps one
	// of them and, where golang-jwt has one, the library's sentinel, so
	// errors.Is works with both (see Explain).

	// ErrAlgorithm: the token names an algorithm the backend does not accept
	// (alg none, HS256 sent to an RS256 verifier, a JWE key algorithm other
	// than the pinned one).
	ErrAlgorithm = errors.New("algorithm not allowed")
	// ErrSignature: the signature does not verify with the backend's key.
	ErrSignature = errors.New("signature invalid")
	// ErrDecrypt: a JWE did not decrypt (wrong key, tampered tag, ciphertext
	// or protected header).
	ErrDecrypt = errors.New("decryption failed")
	// ErrUnknownKey: the `kid` header names no key of the backend's key set.
	ErrUnknownKey = errors.New("unknown key id")
	// ErrUntrustedHeader: the token carries a header asking the verifier to
	// fetch or trust a key it names (jku, x5u, jwk, x5c) or a critical
	// extension (crit). authbench refuses such tokens instead of ignoring
	// the header, as a verifier with a fixed key set should.
	ErrUntrustedHeader = errors.New("untrusted key reference or critical header")
	// ErrCompressed: a JWE with a `zip` header. Decompressing attacker input
	// is a denial-of-service risk and no authbench issuer compresses.
	ErrCompressed = errors.New("compressed payload refused")
	// ErrClaims: the signature is good but a claim is not (wrong issuer or
	// audience, not valid yet, missing jti …). Expiry has its own sentinel,
	// ErrExpired.
	ErrClaims = errors.New("invalid claims")
)

// Reject returns a refusal for reason: errors.Is(err, ErrRejected),
// errors.Is(err, reason) and errors.Is(err, c) for each of causes (a
// library's sentinel, such as jwt.ErrTokenExpired) all hold.
//
// Build each refusal once, in a package variable, and return that value: a
// refusal carries why, never anything of the credential at hand, so a
// validation that refuses allocates no more than one that accepts
// (TestRefusalAllocations holds every backend to it).
func Reject(reason error, causes ...error) error {
	msg := reason.Error()
	for _, c := range causes {
		msg += ": " + c.Error()
	}
	return &rejection{msg: msg, errs: append([]error{ErrRejected, reason}, causes...)}
}

type rejection struct {
	msg  string
	errs []error
}

func (r *rejection) Error() string { return r.msg }

// Unwrap returns the slice built with the rejection: errors.Is, which the
// engine calls on every answer, then allocates nothing.
func (r *rejection) Unwrap() []error { return r.errs }

// Refusals that need nothing but their reason.
var (
	rejectMalformed      = Reject(ErrMalformed)
	rejectTooLarge       = Reject(ErrTooLarge)
	rejectExpired        = Reject(ErrExpired)
	rejectRevoked        = Reject(ErrRevoked)
	rejectUnknownSession = Reject(ErrUnknownSession)
	rejectRefreshReuse   = Reject(ErrRefreshReuse)
)

// IsRejection reports whether err is a refusal of the credential rather
// than an infrastructure failure.
func IsRejection(err error) bool { return errors.Is(err, ErrRejected) }

// Credential is what a login hands to a client.
type Credential struct {
	// Token is what the client sends on every request: a JWT, a JWE or an
	// opaque session ID.
	Token string
	// Refresh is the refresh token, for strategies that have one.
	Refresh string
	// Subject is the user the credential belongs to.
	Subject string
	// ID identifies the credential for revocation: the jti or the session ID.
	ID string
	// ExpiresAt is when Token stops being valid (zero: never).
	ExpiresAt time.Time
}

// Info describes a strategy for `authbench list`, the report and summary.json.
// The capability fields are what callers decide on; Family only groups
// backends for people to read.
//
// summary.json records it under the JSON names below (results.BackendInfo);
// a field that is not part of that contract is tagged `json:"-"`.
type Info struct {
	Name   string `json:"name"`
	Family string `json:"family"` // calibration, jwt, jwe, session, hybrid
	// Stateful is true when the server keeps a record per credential.
	Stateful bool `json:"stateful"`
	// StoreLookups is the number of store round trips one validation costs.
	StoreLookups float64 `json:"store_lookups_per_validate"`
	// NeedsRedis is true when the strategy cannot run without Redis.
	NeedsRedis bool `json:"-"`
	// NeedsKeys is true when the strategy signs or encrypts with the run's
	// key set (Env.Keys): a token issued with one key set is refused with
	// another, so `authbench token` needs --keys for it.
	NeedsKeys bool `json:"-"`
	// IssuesTokens is true when the credential is a self-contained token
	// (JWT or JWE) rather than an opaque session ID.
	IssuesTokens bool `json:"-"`
	// HasRefresh is true when the strategy implements Refresher.
	HasRefresh bool `json:"-"`
	// ImmediateRevocation is true when the design promises that a logout
	// is refused by every later validation (no propagation delay, no
	// waiting for expiry). A false accept on such a backend is a failure
	// of the backend or its store, not a measurement of its design.
	ImmediateRevocation bool `json:"immediate_revocation,omitempty"`
	// NodeLocal is true when the state lives in each node's memory: the
	// credential and its revocation hold only on the node that handled
	// them, so several nodes need sticky routing.
	NodeLocal bool `json:"node_local,omitempty"`
	// LoginCost is the rough time one login (issuing a credential) takes
	// on one core of a quiet machine. It only feeds plan estimates (every
	// run logs all its users in before its clock starts); it is never
	// reported as a measurement.
	LoginCost time.Duration `json:"-"`
	// Description is one or two sentences for `authbench list` and the
	// report: what the strategy does and how it behaves when things fail.
	Description string `json:"description"`
}

// Options are a backend's settings, `options.<backend>` in a scenario: a
// pointer to a flat struct whose yaml tags name the fields. The scenario
// parser decodes into it strictly, calls Check, and gives every run its own
// Clone, so that no two runs share a value.
type Options interface {
	// Check refuses values the backend cannot run with.
	Check() error
	// Clone returns an independent copy.
	Clone() Options
}

// checkedOptions returns env.Options as O, or def() when the scenario gave
// none, once Check accepts it; name prefixes Check's error.
func checkedOptions[O interface {
	comparable
	Options
}](env *Env, name string, def func() O) (O, error) {
	opts, _ := env.Options.(O)
	var none O
	if opts == none {
		opts = def()
	}
	if err := opts.Check(); err != nil {
		return none, fmt.Errorf("%s: %w", name, err)
	}
	return opts, nil
}

// Strategy is one validator node of an authentication design.
type Strategy interface {
	// Issue logs user in and returns a fresh credential.
	Issue(ctx context.Context, user string) (Credential, error)
	// Validate checks a credential presented with a request. nil means
	// accepted; an error wrapping ErrRejected means refused; any other
	// error is an infrastructure failure.
	Validate(ctx context.Context, token string) error
	// Revoke logs the credential out. When Revoke returns nil the
	// revocation is complete as far as the caller can know.
	Revoke(ctx context.Context, c Credential) error
	// Close releases what the node holds (goroutines, subscriptions).
	Close() error
}

// Refresher is implemented by strategies with refresh tokens.
type Refresher interface {
	// Refresh exchanges c.Refresh for a new credential (rotation).
	Refresh(ctx context.Context, c Credential) (Credential, error)
}

// Sizer is implemented by stateful strategies that can say how many entries
// their store holds and, where it can be read, how many bytes it takes
// (-1 when unknown).
type Sizer interface {
	StoreSize(ctx context.Context) (entries int64, bytes int64, err error)
}
