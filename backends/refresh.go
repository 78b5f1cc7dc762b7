package backends

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// RefreshOptions are the options of jwt-refresh.
type RefreshOptions struct {
	// RefreshTTL is how long a refresh-token family lives without use;
	// every rotation extends it (a sliding window).
	RefreshTTL time.Duration `yaml:"refresh_ttl"`
}

// Check refuses a refresh lifetime that is not positive.
func (o *RefreshOptions) Check() error {
	if o.RefreshTTL <= 0 {
		return fmt.Errorf("refresh_ttl must be positive, got %v", o.RefreshTTL)
	}
	return nil
}

// Clone returns a copy.
func (o *RefreshOptions) Clone() Options { c := *o; return &c }

func defaultRefreshOptions() *RefreshOptions { return &RefreshOptions{RefreshTTL: 24 * time.Hour} }

func init() {
	Register(Entry{
		Info: Info{
			Name:         "jwt-refresh",
			Family:       "hybrid",
			Stateful:     true,
			StoreLookups: 0,
			NeedsRedis:   true,
			NeedsKeys:    true,
			IssuesTokens: true,
			HasRefresh:   true,
			Description: "Short-lived HS256 access JWT (token.ttl), checked without a store, plus an opaque refresh " +
				"token in Redis rotated on every use; a reused refresh token revokes its whole family. Logout " +
				"revokes the family, but the access token stays valid until it expires.",
		},
		Options: func() Options { return defaultRefreshOptions() },
		New:     newRefresh,
	})
}

// A refresh token is "<family>.<secret>", both 128-bit base64url values.
// The family ID appears as a Redis hash tag in both keys a rotation
// touches, so the rotation script stays on one slot in a cluster.
const refreshPartLen = 22 // base64url of 16 bytes

// Family states kept in the family key.
const (
	familyActive = "active"
	familyReused = "reused"
	familyLogout = "logout"
)

// rotateScript rotates one refresh token atomically.
// KEYS[1] the presented token, KEYS[2] the family, KEYS[3] the new token.
// ARGV[1] refresh TTL in ms.
// Token values: "a:<user>" (unused) or "u" (used).
// Replies: {"ok", user}, {"reuse"}, {"revoked", state}, {"unknown"}.
var rotateScript = redis.NewScript(`
local fam = redis.call('GET', KEYS[2])
if not fam then return {'unknown'} end
if fam ~= 'active' then return {'revoked', fam} end
local tok = redis.call('GET', KEYS[1])
if not tok then return {'unknown'} end
if tok == 'u' then
  redis.call('SET', KEYS[2], 'reused', 'KEEPTTL')
  return {'reuse'}
end
redis.call('SET', KEYS[1], 'u', 'KEEPTTL')
redis.call('SET', KEYS[3], tok, 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {'ok', string.sub(tok, 3)}
`)

// refreshNode is one node of jwt-refresh.
type refreshNode struct {
	redisCommon
	codec      *jwtCodec
	client     redis.UniversalClient
	refreshTTL time.Duration
	// refreshTrips counts the Redis round trips of refreshes (see StoreOps).
	refreshTrips atomic.Int64
}

var (
	_ Strategy  = (*refreshNode)(nil)
	_ Refresher = (*refreshNode)(nil)
	_ Sizer     = (*refreshNode)(nil)
	_ OpCounter = (*refreshNode)(nil)
)

func newRefresh(env *Env) (Strategy, error) {
	rc, err := newRedisCommon(env, "jwt-refresh")
	if err != nil {
		return nil, err
	}
	opts, _ := env.Options.(*RefreshOptions)
	if opts == nil {
		opts = defaultRefreshOptions()
	}
	if err := opts.Check(); err != nil {
		return nil, fmt.Errorf("jwt-refresh: %w", err)
	}
	codec, err := newJWTCodec(env, "HS256")
	if err != nil {
		return nil, err
	}
	instrument(env.RedisClient)
	return &refreshNode{redisCommon: rc, codec: codec, client: env.RedisClient, refreshTTL: opts.RefreshTTL}, nil
}

func (r *refreshNode) familyKey(fam string) string { return r.ns + "rf:{" + fam + "}" }
func (r *refreshNode) tokenKey(fam, secret string) string {
	return r.ns + "rt:{" + fam + "}:" + secret
}

func randomPart() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("refresh token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// splitRefresh parses "<family>.<secret>".
func splitRefresh(tok string) (fam, secret string, ok bool) {
	fam, secret, ok = strings.Cut(tok, ".")
	return fam, secret, ok && len(fam) == refreshPartLen && len(secret) == refreshPartLen &&
		wellFormedB64(fam) && wellFormedB64(secret)
}

func wellFormedB64(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// Issue logs in: a new access token and a new refresh family.
func (r *refreshNode) Issue(ctx context.Context, user string) (Credential, error) {
	fam, err := randomPart()
	if err != nil {
		return Credential{}, err
	}
	secret, err := randomPart()
	if err != nil {
		return Credential{}, err
	}
	c, err := r.codec.issue(user, r.ttl)
	if err != nil {
		return Credential{}, err
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	_, err = r.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, r.familyKey(fam), familyActive, r.refreshTTL)
		p.Set(ctx, r.tokenKey(fam, secret), "a:"+user, r.refreshTTL)
		return nil
	})
	if err != nil {
		return Credential{}, fmt.Errorf("jwt-refresh: store refresh token: %w", err)
	}
	c.Refresh = fam + "." + secret
	return c, nil
}

// Validate checks the access token only: no store, which is the point.
func (r *refreshNode) Validate(_ context.Context, token string) error {
	_, _, err := verifyJWT(r.codec, token)
	return err
}

// Refresh rotates c.Refresh: the presented token is marked used and a new
// one issued in the same family. Presenting a used token marks the family
// reused, and every later refresh in it fails with ErrRefreshReuse.
func (r *refreshNode) Refresh(ctx context.Context, c Credential) (Credential, error) {
	fam, secret, ok := splitRefresh(c.Refresh)
	if !ok {
		return Credential{}, Reject(ErrMalformed)
	}
	next, err := randomPart()
	if err != nil {
		return Credential{}, err
	}
	cctx, cancel := r.call(countTrips(ctx, &r.refreshTrips))
	defer cancel()
	res, err := rotateScript.Run(cctx, r.client,
		[]string{r.tokenKey(fam, secret), r.familyKey(fam), r.tokenKey(fam, next)},
		r.refreshTTL.Milliseconds()).StringSlice()
	if err != nil {
		return Credential{}, fmt.Errorf("jwt-refresh: rotate: %w", err)
	}
	switch {
	case len(res) == 2 && res[0] == "ok":
		nc, err := r.codec.issue(res[1], r.ttl)
		if err != nil {
			return Credential{}, err
		}
		nc.Refresh = fam + "." + next
		return nc, nil
	case len(res) >= 1 && res[0] == "reuse",
		len(res) == 2 && res[0] == "revoked" && res[1] == familyReused:
		return Credential{}, Reject(ErrRefreshReuse)
	case len(res) >= 1 && res[0] == "revoked":
		return Credential{}, Reject(ErrRevoked)
	case len(res) >= 1 && res[0] == "unknown":
		// Never issued, or the family expired.
		return Credential{}, Reject(ErrUnknownSession)
	}
	return Credential{}, fmt.Errorf("jwt-refresh: rotate: unexpected reply %q", res)
}

// Revoke logs out: the family is revoked so no refresh succeeds again.
// The access token in hand stays valid until it expires.
func (r *refreshNode) Revoke(ctx context.Context, c Credential) error {
	fam, _, ok := splitRefresh(c.Refresh)
	if !ok {
		return fmt.Errorf("jwt-refresh: revoke: credential has no refresh token: %w", ErrMalformed)
	}
	ctx, cancel := r.call(ctx)
	defer cancel()
	err := r.client.SetArgs(ctx, r.familyKey(fam), familyLogout, redis.SetArgs{Mode: "XX", KeepTTL: true}).Err()
	if err != nil && err != redis.Nil {
		return fmt.Errorf("jwt-refresh: revoke family: %w", err)
	}
	return nil
}

// StoreSize counts refresh-token keys (used ones are kept until they
// expire, for reuse detection) with SCAN, bytes from a MEMORY USAGE sample.
func (r *refreshNode) StoreSize(ctx context.Context) (int64, int64, error) {
	return redisKeySize(ctx, r.client, r.ns+"rt:")
}

// StoreOps counts the round trips of refreshes; validation reaches no store.
func (r *refreshNode) StoreOps() StoreOps { return StoreOps{RefreshRoundTrips: r.refreshTrips.Load()} }

func (r *refreshNode) Close() error { return nil }
