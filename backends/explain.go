package backends

import (
	"context"
	"errors"
	"strings"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

// Explain says in plain words why Validate refused a credential: "expired",
// "wrong audience", "algorithm not allowed", "signature invalid", "revoked",
// "unknown session" … It reads the sentinels of this package and the
// libraries' own errors with errors.Is, so it also explains errors that
// come straight from golang-jwt or go-jose. nil gives "accepted". An error
// that is not a rejection (a store failure) gives "error: " and its text.
//
// When several claims are wrong at once they are all named, comma-separated
// ("expired, wrong issuer"); otherwise the first matching reason wins, most
// specific first.
func Explain(err error) string {
	if err == nil {
		return "accepted"
	}
	for _, r := range explainFirst {
		if errors.Is(err, r.err) {
			return r.words
		}
	}
	var words []string
	for _, r := range explainClaims {
		for _, e := range r.errs {
			if errors.Is(err, e) {
				words = append(words, r.words)
				break
			}
		}
	}
	if len(words) > 0 {
		return strings.Join(words, ", ")
	}
	for _, r := range explainLast {
		if errors.Is(err, r.err) {
			return r.words
		}
	}
	if IsRejection(err) {
		return "rejected"
	}
	return "error: " + err.Error()
}

type explanation struct {
	err   error
	words string
}

// explainFirst: reasons that end the check before claims are looked at, in
// the order the token backends test them.
var explainFirst = []explanation{
	{ErrTooLarge, "too large"},
	{ErrUntrustedHeader, "untrusted key reference or critical header (jku, x5u, jwk, x5c, crit)"},
	{ErrAlgorithm, "algorithm not allowed"},
	{ErrUnknownKey, "unknown key id"},
	{ErrCompressed, "compressed payload refused"},
	{ErrDecrypt, "decryption failed"},
	{jose.ErrCryptoFailure, "decryption failed"},
	{ErrSignature, "signature invalid"},
	{jwt.ErrTokenSignatureInvalid, "signature invalid"},
	{ErrRefreshReuse, "refresh token reused"},
	{ErrRevoked, "revoked"},
	{ErrUnknownSession, "unknown session"},
}

// explainClaims: claim checks; golang-jwt reports all failing ones together.
var explainClaims = []struct {
	errs  []error
	words string
}{
	{[]error{ErrExpired, jwt.ErrTokenExpired}, "expired"},
	{[]error{jwt.ErrTokenNotValidYet}, "not valid yet"},
	{[]error{jwt.ErrTokenUsedBeforeIssued}, "issued in the future"},
	{[]error{jwt.ErrTokenInvalidIssuer}, "wrong issuer"},
	{[]error{jwt.ErrTokenInvalidAudience}, "wrong audience"},
	{[]error{jwt.ErrTokenInvalidSubject}, "wrong subject"},
	{[]error{jwt.ErrTokenRequiredClaimMissing}, "required claim missing"},
}

// explainLast: general reasons, checked when nothing more specific matched.
var explainLast = []explanation{
	{ErrMalformed, "malformed"},
	{jwt.ErrTokenMalformed, "malformed"},
	{ErrClaims, "invalid claims"},
	{jwt.ErrTokenInvalidClaims, "invalid claims"},
	{ErrNotSupported, "operation not supported"},
	{ErrUnavailable, "backend unavailable"},
	{context.DeadlineExceeded, "error: timed out"},
}
