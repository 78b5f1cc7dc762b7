package backends

import (
	"context"
	"net"
	"sync"
	"sync/atomic"

	"github.com/redis/go-redis/v9"
)

// Store operations are counted, not declared: Info.StoreLookups is what a
// backend's design says one validation costs; StoreOps is what the run
// actually did. The report keeps the two apart, and the claims rest on the
// counted figures.
//
// Two kinds of store access are counted separately because they cost
// different things: a round trip to a shared store (Redis) crosses the
// network and makes the store a dependency of every request; a local
// look-up in an in-process map costs a hash and a read lock.

// StoreOps is what a node's store did, counted since the node opened.
type StoreOps struct {
	// RoundTrips counts round trips to a networked store made while
	// validating (a pipeline is one round trip). Served from a client-side
	// cache, a read is not a round trip.
	RoundTrips int64
	// LocalLookups counts look-ups in an in-process store while validating.
	LocalLookups int64
	// CacheHits and CacheMisses count reads of a client-side cache while
	// validating (session-redis-cached); a miss costs a round trip.
	CacheHits, CacheMisses int64
	// RefreshRoundTrips counts round trips made by refreshes.
	RefreshRoundTrips int64
}

// Sub returns o − p, the operations between two readings.
func (o StoreOps) Sub(p StoreOps) StoreOps {
	return StoreOps{
		RoundTrips:        o.RoundTrips - p.RoundTrips,
		LocalLookups:      o.LocalLookups - p.LocalLookups,
		CacheHits:         o.CacheHits - p.CacheHits,
		CacheMisses:       o.CacheMisses - p.CacheMisses,
		RefreshRoundTrips: o.RefreshRoundTrips - p.RefreshRoundTrips,
	}
}

// Add returns o + p.
func (o StoreOps) Add(p StoreOps) StoreOps {
	return StoreOps{
		RoundTrips:        o.RoundTrips + p.RoundTrips,
		LocalLookups:      o.LocalLookups + p.LocalLookups,
		CacheHits:         o.CacheHits + p.CacheHits,
		CacheMisses:       o.CacheMisses + p.CacheMisses,
		RefreshRoundTrips: o.RefreshRoundTrips + p.RefreshRoundTrips,
	}
}

// OpCounter is implemented by every strategy that reaches a store. The
// counters only grow and are read without stopping the load: read them
// before and after a period and subtract. A strategy that does not
// implement it holds no store at all (plain JWT, JWE, calibration).
type OpCounter interface {
	StoreOps() StoreOps
}

// tripKey marks a context whose Redis commands are to be counted, and
// carries the counter they are counted in.
type tripKey struct{}

// countTrips returns ctx marked so that every Redis command or pipeline
// sent with it adds one to n. Validate and Refresh mark their context;
// logins, logouts and reloads are not counted.
func countTrips(ctx context.Context, n *atomic.Int64) context.Context {
	return context.WithValue(ctx, tripKey{}, n)
}

// tripHook is the go-redis hook that does the counting. It runs before
// go-redis looks in a client-side cache, so it counts cached reads too:
// the caching backend subtracts its cache hits (see sessionRedis.StoreOps).
type tripHook struct{}

func (tripHook) DialHook(next redis.DialHook) redis.DialHook {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		return next(ctx, network, addr)
	}
}

func (tripHook) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		if n, ok := ctx.Value(tripKey{}).(*atomic.Int64); ok {
			n.Add(1)
		}
		return next(ctx, cmd)
	}
}

func (tripHook) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		if n, ok := ctx.Value(tripKey{}).(*atomic.Int64); ok && len(cmds) > 0 {
			n.Add(1)
		}
		return next(ctx, cmds)
	}
}

// hooked remembers the clients that already carry tripHook: a client is
// shared by every node and every run of a scenario, and a second hook
// would count each command twice.
var hooked sync.Map // redis.UniversalClient → struct{}

// instrument adds tripHook to client once.
func instrument(client redis.UniversalClient) {
	if client == nil {
		return
	}
	if _, dup := hooked.LoadOrStore(client, struct{}{}); !dup {
		client.AddHook(tripHook{})
	}
}

// lookupCounter counts local look-ups. It sits in a store shard next to
// the shard's lock: a look-up already writes that cache line (RLock), so
// the count adds no sharing between goroutines that the lock did not.
type lookupCounter struct{ n atomic.Int64 }

func (c *lookupCounter) inc()        { c.n.Add(1) }
func (c *lookupCounter) load() int64 { return c.n.Load() }
