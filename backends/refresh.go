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
	// ReuseGrace is how long a just-rotated refresh token may be presented
	// again and get the same successor instead of counting as reuse: a
	// rotation whose reply was lost (time-out, dropped connection) is
	// retried by the client, and that retry is not theft. 0 turns the grace
	// off; reuse after it is detected as before.
	ReuseGrace time.Duration `yaml:"reuse_grace"`
}

// Check refuses a refresh lifetime that is not positive.
func (o *RefreshOptions) Check() error {
	if o.RefreshTTL <= 0 {
		return fmt.Errorf("refresh_ttl must be positive, got %v", o.RefreshTTL)
	}
	if o.ReuseGrace < 0 || o.ReuseGrace > time.Minute {
		return fmt.Errorf("reuse_grace must be between 0s and 1m, got %v", o.ReuseGrace)
	}
	return nil
}

// Clone returns a copy.
func (o *RefreshOptions) Clone() Options { c := *o; return &c }

func defaultRefreshOptions() *RefreshOptions {
	return &RefreshOptions{RefreshTTL: 24 * time.Hour, ReuseGrace: DefaultReuseGrace}
}

// DefaultReuseGrace is long enough for a client to retry a refresh that
// timed out (redis.timeout is 200ms by default) and short enough that a
// stolen token replayed later is still caught as reuse.
const DefaultReuseGrace = 5 * time.Second

func init() {
	Register(Entry{
		Info: Info{
			Name:         "jwt-refresh",
			LoginCost:    100 * time.Microsecond,
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
// The family ID is 10 random bytes followed by the family's creation time
// (6 bytes, Unix ms), which the data-loss check compares with the store's
// cutoff; its first character is the Redis hash tag of every key the
// rotation touches (token, family, data-loss marker), so the rotation
// script stays on one slot in a cluster.
const refreshPartLen = 22 // base64url of 16 bytes

// Family states kept in the family key.
const (
	familyActive = "active"
	familyReused = "reused"
	familyLogout = "logout"
)

// rotateScript rotates one refresh token atomically.
// KEYS[1] the presented token, KEYS[2] the family, KEYS[3] the new token,
// KEYS[4] the data-loss marker.
// ARGV[1] refresh TTL in ms, ARGV[2] the new token's secret, ARGV[3] now
// (ms), ARGV[4] reuse grace (ms).
// Token values: "a:<user>" (unused) or "u:<successor>:<rotated at ms>:<user>"
// (used).
// Replies: {"ok", user, successor}, {"reuse"}, {"revoked", state},
// {"unknown"}, {"lost", "marker"} (the marker is gone: the store lost its
// data just now) or {"missing", marker} (no such family: the node compares
// the family's creation time with the marker's cutoff).
//
// A used token presented again is a retry, not reuse, when it carries the
// same new secret (the same call retried by the Redis client after a lost
// reply) or when it comes within the grace: the reply is then the successor
// it already got, so a retried rotation never forks the family.
// "now" is each caller's clock, read before its call: a concurrent caller
// can come with a now earlier than the rotation it lost to, so with the
// grace off (0) no time difference, negative ones included, makes a retry.
var rotateScript = redis.NewScript(`
local ep = redis.call('GET', KEYS[4])
if not ep then return {'lost', 'marker'} end
local fam = redis.call('GET', KEYS[2])
if not fam then return {'missing', ep} end
if fam ~= 'active' then return {'revoked', fam} end
local tok = redis.call('GET', KEYS[1])
if not tok then return {'unknown'} end
if string.sub(tok, 1, 2) == 'u:' then
  local succ, at, user = string.match(tok, '^u:([^:]*):(%d+):(.*)$')
  local grace = tonumber(ARGV[4])
  if succ and (succ == ARGV[2] or (grace > 0 and tonumber(ARGV[3]) - tonumber(at) < grace)) then
    return {'ok', user, succ}
  end
  redis.call('SET', KEYS[2], 'reused', 'KEEPTTL')
  return {'reuse'}
end
local user = string.sub(tok, 3)
redis.call('SET', KEYS[1], 'u:' .. ARGV[2] .. ':' .. ARGV[3] .. ':' .. user, 'KEEPTTL')
redis.call('SET', KEYS[3], tok, 'PX', ARGV[1])
redis.call('PEXPIRE', KEYS[2], ARGV[1])
return {'ok', user, ARGV[2]}
`)

// refreshNode is one node of jwt-refresh.
type refreshNode struct {
	redisHybrid
	refreshTTL time.Duration
	reuseGrace time.Duration
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
	opts, err := checkedOptions(env, "jwt-refresh", defaultRefreshOptions)
	if err != nil {
		return nil, err
	}
	h, err := openRedisHybrid(env, "jwt-refresh", opts.RefreshTTL)
	if err != nil {
		return nil, err
	}
	return &refreshNode{redisHybrid: h, refreshTTL: opts.RefreshTTL, reuseGrace: opts.ReuseGrace}, nil
}

func (r *refreshNode) familyKey(fam string) string { return r.ns + "rf:{" + tag(fam) + "}" + fam }
func (r *refreshNode) tokenKey(fam, secret string) string {
	return r.ns + "rt:{" + tag(fam) + "}" + fam + ":" + secret
}

func randomPart() (string, error) {
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("refresh token: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newFamily returns a family ID: 10 random bytes, then the creation time.
func newFamily(now time.Time) string {
	var b [16]byte
	rand.Read(b[:10]) // never fails (crypto/rand since Go 1.24)
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		b[15-i] = byte(ms >> (8 * i))
	}
	return base64.RawURLEncoding.EncodeToString(b[:])
}

// familyCreated reads the creation time (Unix ms) out of a family ID.
func familyCreated(fam string) int64 {
	b, err := base64.RawURLEncoding.DecodeString(fam)
	if err != nil || len(b) != 16 {
		return 0
	}
	var ms int64
	for _, c := range b[10:] {
		ms = ms<<8 | int64(c)
	}
	return ms
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
	fam := newFamily(r.now())
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
	_, err := r.codec.verify(token)
	return err
}

// Refresh rotates c.Refresh: the presented token is marked used and a new
// one issued in the same family. Presenting a used token marks the family
// reused, and every later refresh in it fails with ErrRefreshReuse.
func (r *refreshNode) Refresh(ctx context.Context, c Credential) (Credential, error) {
	fam, secret, ok := splitRefresh(c.Refresh)
	if !ok {
		return Credential{}, rejectMalformed
	}
	next, err := randomPart()
	if err != nil {
		return Credential{}, err
	}
	cctx, cancel := r.call(countTrips(ctx, &r.refreshTrips))
	defer cancel()
	t := tag(fam)
	res, err := rotateScript.Run(cctx, r.client,
		[]string{r.tokenKey(fam, secret), r.familyKey(fam), r.tokenKey(fam, next), r.guard.key(t)},
		r.refreshTTL.Milliseconds(), next, r.now().UnixMilli(), r.reuseGrace.Milliseconds(),
	).StringSlice()
	if err != nil {
		return Credential{}, fmt.Errorf("jwt-refresh: rotate: %w", err)
	}
	switch {
	case len(res) == 3 && res[0] == "ok":
		nc, err := r.codec.issue(res[1], r.ttl)
		if err != nil {
			return Credential{}, err
		}
		// res[2] is next, or on a retried rotation the successor the
		// first attempt created.
		nc.Refresh = fam + "." + res[2]
		return nc, nil
	case len(res) == 2 && res[0] == "lost":
		// The marker is gone: the store lost its data just now.
		if _, _, err := r.guard.declare(cctx, t); err != nil {
			return Credential{}, fmt.Errorf("jwt-refresh: %w", err)
		}
		return Credential{}, r.guard.refuse()
	case len(res) == 2 && res[0] == "missing":
		lost, err := r.guard.lostRecord(cctx, t, res[1], familyCreated(fam), r.refreshTTL)
		if err != nil {
			return Credential{}, fmt.Errorf("jwt-refresh: %w", err)
		}
		if lost {
			return Credential{}, r.guard.refuse()
		}
		// Never issued, or the family expired.
		return Credential{}, rejectUnknownSession
	case len(res) >= 1 && res[0] == "reuse",
		len(res) == 2 && res[0] == "revoked" && res[1] == familyReused:
		return Credential{}, rejectRefreshReuse
	case len(res) >= 1 && res[0] == "revoked":
		return Credential{}, rejectRevoked
	case len(res) >= 1 && res[0] == "unknown":
		// Never issued, or the family expired.
		return Credential{}, rejectUnknownSession
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
