package backends

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// CachedSessionOptions are the options of session-redis-cached
// (options.session-redis-cached in a scenario).
type CachedSessionOptions struct {
	// MaxEntries bounds each node's local cache.
	MaxEntries int `yaml:"max_entries"`
	// DrainInterval is how often go-redis sweeps idle pooled connections for
	// invalidation messages: the bound on how long a logout can go unseen by
	// a node whose connections are idle.
	DrainInterval time.Duration `yaml:"drain_interval"`
	// MaxStaleness caps how long a cached entry is served without asking
	// Redis again, whatever the invalidations say (0: no cap).
	MaxStaleness time.Duration `yaml:"max_staleness"`
}

// Check refuses values go-redis would silently change.
func (o *CachedSessionOptions) Check() error {
	switch {
	case o.MaxEntries < 1:
		return fmt.Errorf("max_entries must be at least 1, got %d", o.MaxEntries)
	case o.DrainInterval < time.Millisecond:
		return fmt.Errorf("drain_interval must be at least 1ms, got %v", o.DrainInterval)
	case o.MaxStaleness < 0:
		return fmt.Errorf("max_staleness must not be negative, got %v", o.MaxStaleness)
	}
	return nil
}

// Clone returns a copy.
func (o *CachedSessionOptions) Clone() Options { c := *o; return &c }

func defaultCachedSessionOptions() *CachedSessionOptions {
	return &CachedSessionOptions{MaxEntries: 100_000, DrainInterval: 5 * time.Millisecond}
}

func init() {
	Register(Entry{
		Info: Info{
			Name:         "session-redis-cached",
			LoginCost:    100 * time.Microsecond,
			Family:       "hybrid",
			Stateful:     true,
			StoreLookups: 1, // on a cache miss; hits cost no round trip
			NeedsRedis:   true,
			Description: "session-redis read through go-redis client-side caching (RESP3 CLIENT TRACKING; " +
				"experimental in go-redis): each node has its own client and cache, repeated validations are " +
				"served locally and a logout reaches other nodes as a server invalidation, so its exposure is " +
				"the invalidation delay. Needs a standalone Redis on DB 0; Redis down means errors on misses.",
		},
		Options: func() Options { return defaultCachedSessionOptions() },
		New:     newCachedSessionRedis,
	})
}

// newCachedSessionRedis opens one node with a client of its own, so each
// node has its own cache and a logout on one node must travel as an
// invalidation to the others, as it would between servers.
func newCachedSessionRedis(env *Env) (Strategy, error) {
	const name = "session-redis-cached"
	rc, err := newRedisCommon(env, name)
	if err != nil {
		return nil, err
	}
	opts, err := checkedOptions(env, name, defaultCachedSessionOptions)
	if err != nil {
		return nil, err
	}
	base, ok := env.RedisClient.(*redis.Client)
	if !ok {
		return nil, fmt.Errorf("%s: client-side caching needs a single Redis server, not %T: %w", name, env.RedisClient, ErrUnavailable)
	}
	o := *base.Options()
	if o.DB != 0 {
		// go-redis restricts its cache to DB 0 and would quietly run uncached.
		return nil, fmt.Errorf("%s: client-side caching works on DB 0 only (URL selects DB %d): %w", name, o.DB, ErrUnavailable)
	}
	o.Protocol = 3
	// The base client's push processor must not be shared: invalidations
	// for this node's cache have to arrive on this node's connections.
	o.PushNotificationProcessor = nil
	cfg := redis.ClientSideCacheConfig{
		MaxEntries:    opts.MaxEntries,
		DrainInterval: opts.DrainInterval,
		MaxStaleness:  opts.MaxStaleness,
	}
	// The node holds its cache so that a logout on this node can evict the
	// entry at once; without it the node's own next validation would be
	// served the stale entry until the invalidation is drained from an
	// idle connection.
	cache := redis.NewLocalCache(cfg)
	o.ClientSideCacheConfig = &cfg
	o.ClientSideCache = cache
	guard, err := rc.openGuard(env.RedisClient, rc.ttl)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	client := redis.NewClient(&o)
	instrument(client)
	s := &sessionRedis{
		guard:       guard,
		redisCommon: rc, client: client, name: name, closeClient: true,
		local: cache, localPrefix: cscPrefix(o.DB, o.Username),
	}
	if err := s.probeCache(context.Background()); err != nil {
		client.Close()
		return nil, err
	}
	s.cscBase = client.CSCStats()
	return s, nil
}

// probeCache reads one key twice and checks that the second read was a
// cache hit: go-redis disables caching with only a log line in several
// cases (credential providers, RESP2 servers), and a backend that claims to
// cache must not quietly measure plain GETs.
func (s *sessionRedis) probeCache(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, max(s.timeout, time.Second))
	defer cancel()
	client := s.client.(*redis.Client)
	key := s.ns + "csc-probe"
	if err := client.Set(ctx, key, "1", time.Minute).Err(); err != nil {
		return fmt.Errorf("%s: probe: %w", s.name, err)
	}
	before := client.CSCStats().Hits
	for range 2 {
		if err := client.Get(ctx, key).Err(); err != nil && !errors.Is(err, redis.Nil) {
			return fmt.Errorf("%s: probe: %w", s.name, err)
		}
	}
	if client.CSCStats().Hits == before {
		return fmt.Errorf("%s: go-redis client-side caching is not active on this connection (RESP3 and CLIENT TRACKING required): %w", s.name, ErrUnavailable)
	}
	// Local eviction must hit the entry, or Revoke would leave it behind.
	if s.local.DeleteByRedisKey(s.localPrefix+key) == 0 {
		return fmt.Errorf("%s: cannot evict local cache entries (go-redis cache key format changed)", s.name)
	}
	return nil
}

// cscPrefix is how go-redis namespaces Redis keys in its cache, by
// database and user name (cscNamespacePrefix in go-redis). probeCache
// checks that it still matches.
func cscPrefix(db int, user string) string {
	return strconv.Itoa(db) + "\x00" + strconv.Itoa(len(user)) + ":" + user + "\x00"
}
