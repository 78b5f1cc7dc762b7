package backends

import (
	"context"
	"errors"
	"fmt"
	"testing"

	"github.com/go-jose/go-jose/v4"
	"github.com/golang-jwt/jwt/v5"
)

func TestExplain(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		err  error
		want string
	}{
		{nil, "accepted"},
		{Reject(ErrRevoked), "revoked"},
		{Reject(ErrUnknownSession), "unknown session"},
		{Reject(ErrRefreshReuse), "refresh token reused"},
		{Reject(ErrExpired), "expired"},
		{Reject(ErrMalformed), "malformed"},
		{Reject(ErrTooLarge), "too large"},
		{Reject(fmt.Errorf("%w: %w", ErrCompressed, errors.New("zip"))), "compressed payload refused"},
		// Library errors alone are explained too.
		{jwt.ErrTokenExpired, "expired"},
		{fmt.Errorf("%w: %w", jwt.ErrTokenInvalidClaims, jwt.ErrTokenNotValidYet), "not valid yet"},
		{jwt.ErrTokenInvalidAudience, "wrong audience"},
		{jwt.ErrTokenInvalidIssuer, "wrong issuer"},
		{jwt.ErrTokenSignatureInvalid, "signature invalid"},
		{jwt.ErrTokenMalformed, "malformed"},
		{jose.ErrCryptoFailure, "decryption failed"},
		{errors.Join(jwt.ErrTokenExpired, jwt.ErrTokenInvalidIssuer), "expired, wrong issuer"},
		{Reject(errors.New("something else")), "rejected"},
		{fmt.Errorf("redis: %w", context.DeadlineExceeded), "error: timed out"},
		{errors.New("connection refused"), "error: connection refused"},
	} {
		if got := Explain(tc.err); got != tc.want {
			t.Errorf("Explain(%v) = %q, want %q", tc.err, got, tc.want)
		}
	}
}
