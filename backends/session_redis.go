package backends

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

func init() {
	Register(Entry{
		Info: Info{
			Name:                "session-redis",
			LoginCost:           100 * time.Microsecond,
			Family:              "session",
			Stateful:            true,
			StoreLookups:        1,
			NeedsRedis:          true,
			ImmediateRevocation: true,
			Description: "Opaque 256-bit session ID; the record is one Redis string (expiry and user) with a TTL, " +
				"read with one MGET per validation (with a data-loss marker) and deleted on logout. When Redis is " +
				"down or slower than redis.timeout, validation fails with an error (closed), never with an accept; " +
				"sessions lost with Redis's data are refused as a store data loss.",
		},
		New: func(env *Env) (Strategy, error) {
			rc, err := newRedisCommon(env, "session-redis")
			if err != nil {
				return nil, err
			}
			instrument(env.RedisClient)
			guard, err := rc.openGuard(env.RedisClient, rc.ttl)
			if err != nil {
				return nil, fmt.Errorf("session-redis: %w", err)
			}
			return &sessionRedis{redisCommon: rc, client: env.RedisClient, name: "session-redis", guard: guard}, nil
		},
	})
}

// redisCommon is what every Redis-backed strategy derives from Env.
type redisCommon struct {
	ns      string        // key and channel prefix of this run
	timeout time.Duration // deadline of every Redis call
	ttl     time.Duration // credential lifetime
	now     func() time.Time
}

func newRedisCommon(env *Env, name string) (redisCommon, error) {
	if env.RedisClient == nil {
		return redisCommon{}, fmt.Errorf("%s: no Redis connection: %w", name, ErrUnavailable)
	}
	rc := redisCommon{
		ns:      env.Namespace,
		timeout: env.Redis.Timeout,
		ttl:     env.Token.TTL,
		now:     env.Clock(),
	}
	if rc.timeout <= 0 {
		rc.timeout = DefaultRedisTimeout
	}
	if rc.ttl <= 0 {
		rc.ttl = DefaultToken.TTL
	}
	return rc, nil
}

// openGuard writes the run's data-loss markers (see lossGuard) for
// credentials living at most longest.
func (rc *redisCommon) openGuard(client redis.UniversalClient, longest time.Duration) (*lossGuard, error) {
	ctx, cancel := context.WithTimeout(context.Background(), max(rc.timeout, time.Second))
	defer cancel()
	return newLossGuard(ctx, client, rc.ns, rc.now, epochTTL(longest))
}

// call bounds one Redis operation by the configured time-out.
func (rc *redisCommon) call(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, rc.timeout)
}

// sessionIDLen is the length of a 256-bit ID in unpadded base64url.
var sessionIDLen = base64.RawURLEncoding.EncodedLen(32)

// newRedisSessionID returns a 256-bit ID, base64url-encoded: 208 bits
// from crypto/rand, then the issue time (6 bytes, Unix ms), which the
// data-loss check compares with the store's cutoff when the record is
// missing. The random bytes come first: the first character is the Redis
// hash tag of the record and of its data-loss marker.
func newRedisSessionID(now time.Time) (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:26]); err != nil {
		return "", fmt.Errorf("session id: %w", err)
	}
	ms := uint64(now.UnixMilli())
	for i := range 6 {
		b[31-i] = byte(ms >> (8 * i))
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// sessionIssued reads the issue time (Unix ms) out of a well-formed ID.
func sessionIssued(id string) int64 {
	var b [32]byte
	if n, err := base64.RawURLEncoding.Decode(b[:], []byte(id)); err != nil || n != 32 {
		return 0
	}
	var ms int64
	for _, c := range b[26:] {
		ms = ms<<8 | int64(c)
	}
	return ms
}

// wellFormedSessionID rejects anything that cannot be an ID this backend
// issued before it costs a round trip (or becomes an attacker-sized key).
func wellFormedSessionID(id string) bool {
	if len(id) != sessionIDLen {
		return false
	}
	for i := 0; i < len(id); i++ {
		c := id[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '_') {
			return false
		}
	}
	return true
}

// sessionRedis is one node of session-redis; session-redis-cached is the
// same node with a caching client of its own.
//
// The record is a plain string "<expiry unix ms>|<user>" read with GET
// rather than a hash read with HGETALL: one small bulk reply is the
// cheapest round trip Redis offers, it is cacheable by client-side caching
// as a single key, and carrying the expiry inside the value lets a cached
// copy be checked for lifetime without asking the server (a key that
// expires on the server is invalidated only when Redis gets round to
// expiring it).
type sessionRedis struct {
	redisCommon
	client redis.UniversalClient
	name   string
	// closeClient is set when the node owns its client.
	closeClient bool
	// local is the node's client-side cache (session-redis-cached only);
	// Redis keys in it carry localPrefix.
	local       *redis.LocalCache
	localPrefix string
	// guard holds the data-loss markers; it talks through the shared
	// client, never through a node's cache.
	guard *lossGuard
	// trips counts the Redis commands of validations, cached reads
	// included (the hook runs before the cache); cscBase is the cache's
	// statistics when the node was handed out (see StoreOps).
	trips   atomic.Int64
	cscBase redis.CSCStats
}

var (
	_ Strategy  = (*sessionRedis)(nil)
	_ Sizer     = (*sessionRedis)(nil)
	_ OpCounter = (*sessionRedis)(nil)
)

// key is the record of session id; it carries the hash tag of its
// data-loss marker.
func (s *sessionRedis) key(id string) string { return s.ns + "sess:{" + tag(id) + "}" + id }

func (s *sessionRedis) Issue(ctx context.Context, user string) (Credential, error) {
	id, err := newRedisSessionID(s.now())
	if err != nil {
		return Credential{}, err
	}
	exp := s.now().Add(s.ttl)
	val := strconv.FormatInt(exp.UnixMilli(), 10) + "|" + user
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.client.Set(ctx, s.key(id), val, s.ttl).Err(); err != nil {
		return Credential{}, fmt.Errorf("%s: store session: %w", s.name, err)
	}
	return Credential{Token: id, Subject: user, ID: id, ExpiresAt: exp}, nil
}

func (s *sessionRedis) Validate(ctx context.Context, token string) error {
	if !wellFormedSessionID(token) {
		return rejectMalformed
	}
	ctx, cancel := s.call(countTrips(ctx, &s.trips))
	defer cancel()
	if s.local == nil {
		// The record and its data-loss marker in one round trip (same
		// hash tag).
		t := tag(token)
		vals, err := s.client.MGet(ctx, s.key(token), s.guard.key(t)).Result()
		if err != nil {
			return fmt.Errorf("%s: get session: %w", s.name, err)
		}
		if val, ok := vals[0].(string); ok {
			return s.checkRecord(val)
		}
		return s.missing(ctx, token, vals[1])
	}
	// Cached: a plain GET, which go-redis serves from the node's cache.
	val, err := s.client.Get(ctx, s.key(token)).Result()
	if errors.Is(err, redis.Nil) {
		// The marker is read on misses only, through the shared client
		// (a second round trip; a cache never serves it).
		v, err := s.guard.client.Get(ctx, s.guard.key(tag(token))).Result()
		var marker any
		if err == nil {
			marker = v
		} else if !errors.Is(err, redis.Nil) {
			return fmt.Errorf("%s: read data-loss marker: %w", s.name, err)
		}
		return s.missing(ctx, token, marker)
	}
	if err != nil {
		return fmt.Errorf("%s: get session: %w", s.name, err)
	}
	return s.checkRecord(val)
}

// missing classifies a session without a record (never issued, logged
// out, expired and removed by Redis, or lost with the store's data), given
// the data-loss marker read beside it (nil when gone). Refused either way;
// the reason says whether the store lost it.
func (s *sessionRedis) missing(ctx context.Context, id string, marker any) error {
	lost, err := s.guard.lostRecord(ctx, tag(id), marker, sessionIssued(id), s.ttl)
	if err != nil {
		return fmt.Errorf("%s: %w", s.name, err)
	}
	if lost {
		return s.guard.refuse()
	}
	return rejectUnknownSession
}

func (s *sessionRedis) checkRecord(val string) error {
	i := strings.IndexByte(val, '|')
	if i <= 0 {
		return fmt.Errorf("%s: corrupt session record %q", s.name, val)
	}
	ms, err := strconv.ParseInt(val[:i], 10, 64)
	if err != nil {
		return fmt.Errorf("%s: corrupt session record %q", s.name, val)
	}
	if !s.now().Before(time.UnixMilli(ms)) {
		return rejectExpired
	}
	return nil
}

func (s *sessionRedis) Revoke(ctx context.Context, c Credential) error {
	id := c.ID
	if id == "" {
		id = c.Token
	}
	if !wellFormedSessionID(id) {
		return fmt.Errorf("%s: revoke: %w", s.name, ErrMalformed)
	}
	ctx, cancel := s.call(ctx)
	defer cancel()
	if err := s.client.Del(ctx, s.key(id)).Err(); err != nil {
		return fmt.Errorf("%s: delete session: %w", s.name, err)
	}
	if s.local != nil {
		// Other nodes learn of the DEL through Redis invalidations.
		s.local.DeleteByRedisKey(s.localPrefix + s.key(id))
	}
	return nil
}

// StoreOps counts the round trips of validations. With a client-side
// cache, a read served from the cache is a hit and no round trip: only
// validations read the cache, so its hits since the node opened are
// validation reads that never reached Redis.
func (s *sessionRedis) StoreOps() StoreOps {
	ops := StoreOps{RoundTrips: s.trips.Load()}
	if s.local != nil {
		st := s.client.(*redis.Client).CSCStats()
		ops.CacheHits = int64(st.Hits - s.cscBase.Hits)
		ops.CacheMisses = int64(st.Misses - s.cscBase.Misses)
		ops.RoundTrips = max(ops.RoundTrips-ops.CacheHits, 0)
	}
	return ops
}

func (s *sessionRedis) Close() error {
	if s.closeClient {
		return s.client.Close()
	}
	return nil
}

// StoreLoss implements LossReporter.
func (s *sessionRedis) StoreLoss() (bool, int64) { return s.guard.StoreLoss() }

// StoreSize counts the run's session keys with a full SCAN of the
// namespace and estimates bytes as the mean MEMORY USAGE of a sample of up
// to sizeSample keys times the count. SCAN is O(keys in the database), so it
// is for the end of a run, not the hot path.
func (s *sessionRedis) StoreSize(ctx context.Context) (int64, int64, error) {
	return redisKeySize(ctx, s.client, s.ns+"sess:")
}

// sizeSample is how many keys StoreSize asks MEMORY USAGE about.
const sizeSample = 32

// redisKeySize counts keys under prefix and estimates their memory.
func redisKeySize(ctx context.Context, client redis.UniversalClient, prefix string) (int64, int64, error) {
	pattern := escapeGlob(prefix) + "*"
	var (
		count  int64
		sample []string
	)
	scan := func(ctx context.Context, c redis.Cmdable) error {
		iter := c.Scan(ctx, 0, pattern, 1000).Iterator()
		var n int64
		var keys []string
		for iter.Next(ctx) {
			n++
			if len(keys) < sizeSample {
				keys = append(keys, iter.Val())
			}
		}
		count += n
		sample = append(sample, keys...)
		return iter.Err()
	}
	var err error
	if cc, ok := client.(*redis.ClusterClient); ok {
		var mu sync.Mutex // ForEachMaster runs in parallel; scan shares tallies
		err = cc.ForEachMaster(ctx, func(ctx context.Context, c *redis.Client) error {
			mu.Lock()
			defer mu.Unlock()
			return scan(ctx, c)
		})
	} else {
		err = scan(ctx, client)
	}
	if err != nil {
		return 0, -1, fmt.Errorf("scan %s*: %w", prefix, err)
	}
	if count == 0 {
		return 0, 0, nil
	}
	var total, measured int64
	for _, k := range sample {
		n, err := client.MemoryUsage(ctx, k).Result()
		if errors.Is(err, redis.Nil) {
			continue // expired between SCAN and MEMORY USAGE
		}
		if err != nil {
			return count, -1, nil // MEMORY may be disabled (managed Redis)
		}
		total += n
		measured++
	}
	if measured == 0 {
		return count, -1, nil
	}
	return count, total * count / measured, nil
}

// escapeGlob quotes the characters SCAN MATCH treats as a pattern.
func escapeGlob(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '*', '?', '[', ']', '\\':
			b.WriteByte('\\')
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
