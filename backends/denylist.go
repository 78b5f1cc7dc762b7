package backends

import (
	"context"
	"errors"
	"fmt"
	"hash/maphash"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/redis/go-redis/v9"
)

// Denylists: a plain HS256 JWT plus a check of its jti against a list of
// revoked tokens. Entries expire when the token would have expired, so a
// list holds at most the tokens revoked within one token lifetime.

func init() {
	Register(Entry{
		Info: Info{
			Name:                "jwt-denylist-memory",
			LoginCost:           5 * time.Microsecond,
			Family:              "hybrid",
			Stateful:            true,
			StoreLookups:        1, // local map
			NeedsKeys:           true,
			IssuesTokens:        true,
			ImmediateRevocation: true,
			NodeLocal:           true,
			Description: "HS256 JWT whose jti is checked against an in-memory denylist on each node; " +
				"a logout reaches only the node that handled it, so other nodes keep accepting the token.",
		},
		New: func(env *Env) (Strategy, error) {
			codec, err := newJWTCodec(env, "jwt-denylist-memory", "HS256")
			if err != nil {
				return nil, err
			}
			return &denylistMemory{jwtIssuer: jwtIssuer{codec}, list: newLocalDenylist(env.Clock()), now: env.Clock()}, nil
		},
	})
	Register(Entry{
		Info: Info{
			Name:                "jwt-denylist-redis",
			LoginCost:           5 * time.Microsecond,
			Family:              "hybrid",
			Stateful:            true,
			StoreLookups:        1,
			NeedsRedis:          true,
			NeedsKeys:           true,
			IssuesTokens:        true,
			ImmediateRevocation: true,
			Description: "HS256 JWT whose jti is checked against a Redis denylist (entries expire with the token) " +
				"with one MGET that also reads a data-loss marker. Redis down or slower than redis.timeout: validation " +
				"fails with an error (closed); Redis lost its data: tokens issued before the loss are refused (closed).",
		},
		New: newDenylistRedis,
	})
	Register(Entry{
		Info: Info{
			Name:         "jwt-denylist-pubsub",
			LoginCost:    5 * time.Microsecond,
			Family:       "hybrid",
			Stateful:     true,
			StoreLookups: 0,
			NeedsRedis:   true,
			NeedsKeys:    true,
			IssuesTokens: true,
			Description: "HS256 JWT checked against a local denylist on each node, kept current by Redis pub/sub " +
				"(logout = write to a sorted set + PUBLISH); validation touches no network, exposure is the propagation " +
				"delay. Once it sees its subscription drop (at once when the connection closes, within two heartbeats " +
				"when it goes silent) the node fails closed (validations are errors) until it has resubscribed and " +
				"reloaded the list from Redis; before it sees the drop it still accepts.",
		},
		Options: func() Options { return defaultPubSubOptions() },
		New:     newDenylistPubSub,
	})
}

// jwtIssuer issues the hybrids' access tokens: HS256 JWTs that live for
// the scenario's token lifetime.
type jwtIssuer struct{ codec *jwtCodec }

func (i jwtIssuer) Issue(_ context.Context, user string) (Credential, error) {
	return i.codec.issue(user, i.codec.tc.TTL)
}

func (i jwtIssuer) jwt() *jwtCodec { return i.codec }

// redisHybrid is what the Redis-backed hybrids share: the run's Redis
// settings, the HS256 issuer and the store's data-loss markers.
type redisHybrid struct {
	redisCommon
	jwtIssuer
	client redis.UniversalClient
	guard  *lossGuard
}

// openRedisHybrid opens backend name's share of a hybrid node; its
// data-loss markers outlive every access token and whatever else the
// backend keeps for as long as longest.
func openRedisHybrid(env *Env, name string, longest time.Duration) (redisHybrid, error) {
	rc, err := newRedisCommon(env, name)
	if err != nil {
		return redisHybrid{}, err
	}
	codec, err := newJWTCodec(env, name, "HS256")
	if err != nil {
		return redisHybrid{}, err
	}
	instrument(env.RedisClient)
	guard, err := rc.openGuard(env.RedisClient, max(longest, rc.ttl+codec.tc.Leeway))
	if err != nil {
		return redisHybrid{}, fmt.Errorf("%s: %w", name, err)
	}
	return redisHybrid{redisCommon: rc, jwtIssuer: jwtIssuer{codec}, client: env.RedisClient, guard: guard}, nil
}

// StoreLoss implements LossReporter.
func (h *redisHybrid) StoreLoss() (bool, int64) { return h.guard.StoreLoss() }

func (h *redisHybrid) Close() error { return nil }

// denyUntil is when a revoked credential stops mattering to a denylist:
// when the validator would refuse it anyway, that is at its expiry plus the
// leeway the validator grants. An entry dropped at the bare expiry would
// let the revoked token back in for the length of the leeway. One more
// second of margin, because the validator's cutoff falls exactly on that
// instant while store expiries are rounded (go-redis sends PX in whole
// milliseconds, truncated): without it a replay in the last millisecond
// finds no entry and is accepted.
func (c *jwtCodec) denyUntil(cred Credential, now time.Time) time.Time {
	exp := cred.ExpiresAt
	if exp.IsZero() {
		exp = now.Add(c.tc.TTL)
	}
	return exp.Add(max(c.tc.Leeway, 0) + denyMargin)
}

// denyMargin keeps denylist entries a little past the validator's cutoff.
const denyMargin = time.Second

// localDenylist is a sharded map jti → expiry (unix ns). Reads take one
// shard's read lock; expired entries are swept from a shard every
// sweepEvery insertions into it, so the list stays bounded without a
// goroutine of its own.
type localDenylist struct {
	seed   maphash.Seed
	now    func() time.Time
	shards [denyShards]denyShard
}

const (
	denyShards = 64
	sweepEvery = 256
)

type denyShard struct {
	mu      sync.RWMutex
	m       map[string]int64
	inserts int
	lookups lookupCounter // validations that read this shard (see StoreOps)
	_       [32]byte      // keeps neighbouring shards' locks off one cache line
}

func newLocalDenylist(now func() time.Time) *localDenylist {
	d := &localDenylist{seed: maphash.MakeSeed(), now: now}
	for i := range d.shards {
		d.shards[i].m = make(map[string]int64)
	}
	return d
}

func (d *localDenylist) shard(jti string) *denyShard {
	return &d.shards[maphash.String(d.seed, jti)%denyShards]
}

// add records jti until exp.
func (d *localDenylist) add(jti string, exp time.Time) {
	s := d.shard(jti)
	now := d.now().UnixNano()
	s.mu.Lock()
	if old, ok := s.m[jti]; !ok || old < exp.UnixNano() {
		s.m[jti] = exp.UnixNano()
	}
	s.inserts++
	if s.inserts%sweepEvery == 0 {
		for k, e := range s.m {
			if e <= now {
				delete(s.m, k)
			}
		}
	}
	s.mu.Unlock()
}

// verify checks token with codec and refuses it when its jti is on the list.
func (d *localDenylist) verify(codec *jwtCodec, token string) (verified, error) {
	v, err := codec.verify(token)
	if err == nil && d.denied(v.jti) {
		err = rejectRevoked
	}
	return v, err
}

// denied reports whether jti is on the list and not yet expired.
func (d *localDenylist) denied(jti string) bool {
	s := d.shard(jti)
	s.lookups.inc()
	s.mu.RLock()
	e, ok := s.m[jti]
	s.mu.RUnlock()
	return ok && e > d.now().UnixNano()
}

// replace swaps the whole list for entries (a reload).
func (d *localDenylist) replace(entries map[string]int64) {
	fresh := make([]map[string]int64, denyShards)
	for i := range fresh {
		fresh[i] = make(map[string]int64)
	}
	for k, e := range entries {
		fresh[maphash.String(d.seed, k)%denyShards][k] = e
	}
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.Lock()
		s.m = fresh[i]
		s.mu.Unlock()
	}
}

// lookups counts the calls of denied so far.
func (d *localDenylist) lookups() int64 {
	var n int64
	for i := range d.shards {
		n += d.shards[i].lookups.load()
	}
	return n
}

// live counts unexpired entries.
func (d *localDenylist) live() int64 {
	now := d.now().UnixNano()
	var n int64
	for i := range d.shards {
		s := &d.shards[i]
		s.mu.RLock()
		for _, e := range s.m {
			if e > now {
				n++
			}
		}
		s.mu.RUnlock()
	}
	return n
}

// denylistMemory is one node of jwt-denylist-memory.
type denylistMemory struct {
	jwtIssuer
	list *localDenylist
	now  func() time.Time
}

var (
	_ Strategy  = (*denylistMemory)(nil)
	_ Sizer     = (*denylistMemory)(nil)
	_ OpCounter = (*denylistMemory)(nil)
)

func (d *denylistMemory) Validate(_ context.Context, token string) error {
	_, err := d.list.verify(d.codec, token)
	return err
}

func (d *denylistMemory) Revoke(_ context.Context, c Credential) error {
	if c.ID == "" {
		return fmt.Errorf("jwt-denylist-memory: revoke: credential has no jti: %w", ErrMalformed)
	}
	d.list.add(c.ID, d.codec.denyUntil(c, d.now()))
	return nil
}

// StoreSize counts live entries; their bytes are part of the Go heap.
// StoreSize counts the live entries; their bytes are measured on a probe
// map of the same shape (see heapBytes).
func (d *denylistMemory) StoreSize(context.Context) (int64, int64, error) {
	n := d.list.live()
	return n, heapBytes(n, jtiLen, func(i int) int64 { return int64(i) }), nil
}

// StoreOps counts the denylist look-ups of validations.
func (d *denylistMemory) StoreOps() StoreOps { return StoreOps{LocalLookups: d.list.lookups()} }

func (d *denylistMemory) Close() error { return nil }

// denylistRedis is one node of jwt-denylist-redis.
type denylistRedis struct {
	redisHybrid
	trips atomic.Int64 // round trips of validations (see StoreOps)
}

var (
	_ Strategy  = (*denylistRedis)(nil)
	_ Sizer     = (*denylistRedis)(nil)
	_ OpCounter = (*denylistRedis)(nil)
)

func newDenylistRedis(env *Env) (Strategy, error) {
	h, err := openRedisHybrid(env, "jwt-denylist-redis", 0)
	if err != nil {
		return nil, err
	}
	return &denylistRedis{redisHybrid: h}, nil
}

// key is the denylist entry of jti; it carries the hash tag of its
// data-loss marker.
func (d *denylistRedis) key(jti string) string { return d.ns + "deny:{" + tag(jti) + "}" + jti }

func (d *denylistRedis) Validate(ctx context.Context, token string) error {
	// The signature is checked first: a forged token costs no round trip.
	v, err := d.codec.verify(token)
	if err != nil {
		return err
	}
	ctx, cancel := d.call(countTrips(ctx, &d.trips))
	defer cancel()
	// The entry and its data-loss marker in one round trip (same hash tag).
	t := tag(v.jti)
	vals, err := d.client.MGet(ctx, d.key(v.jti), d.guard.key(t)).Result()
	if err != nil {
		return fmt.Errorf("jwt-denylist-redis: mget: %w", err)
	}
	if vals[0] != nil {
		return rejectRevoked
	}
	cutoff, err := d.guard.cutoff(ctx, t, vals[1])
	if err != nil {
		return fmt.Errorf("jwt-denylist-redis: %w", err)
	}
	if v.iat.UnixMilli() < cutoff {
		return d.guard.refuse()
	}
	return nil
}

func (d *denylistRedis) Revoke(ctx context.Context, c Credential) error {
	if c.ID == "" {
		return fmt.Errorf("jwt-denylist-redis: revoke: credential has no jti: %w", ErrMalformed)
	}
	remaining := d.codec.denyUntil(c, d.now()).Sub(d.now())
	if remaining <= 0 {
		return nil // expired tokens are refused anyway
	}
	ctx, cancel := d.call(ctx)
	defer cancel()
	if err := d.client.Set(ctx, d.key(c.ID), "1", remaining).Err(); err != nil {
		return fmt.Errorf("jwt-denylist-redis: deny: %w", err)
	}
	return nil
}

// StoreSize counts the denylist keys with SCAN and estimates bytes from a
// MEMORY USAGE sample (see redisKeySize).
func (d *denylistRedis) StoreSize(ctx context.Context) (int64, int64, error) {
	return redisKeySize(ctx, d.client, d.ns+"deny:")
}

// StoreOps counts the Redis round trips of validations.
func (d *denylistRedis) StoreOps() StoreOps { return StoreOps{RoundTrips: d.trips.Load()} }

// PubSubOptions are the options of jwt-denylist-pubsub.
type PubSubOptions struct {
	// Heartbeat is how long the subscriber waits for a message before it
	// pings; an unanswered ping by the next heartbeat counts as a lost
	// subscription. It bounds how long a silently dead connection goes
	// unnoticed (two heartbeats).
	Heartbeat time.Duration `yaml:"heartbeat"`
}

// Check refuses a heartbeat that would spin or never fire.
func (o *PubSubOptions) Check() error {
	if o.Heartbeat < 10*time.Millisecond || o.Heartbeat > time.Minute {
		return fmt.Errorf("heartbeat must be between 10ms and 1m, got %v", o.Heartbeat)
	}
	return nil
}

// Clone returns a copy.
func (o *PubSubOptions) Clone() Options { c := *o; return &c }

func defaultPubSubOptions() *PubSubOptions { return &PubSubOptions{Heartbeat: time.Second} }

// denylistPubSub is one node of jwt-denylist-pubsub. Its subscriber
// goroutine owns the subscription; Validate reads only the local list and
// the synced flag.
type denylistPubSub struct {
	redisHybrid
	list      *localDenylist
	heartbeat time.Duration

	// synced is true while the local list is known to hold every revocation:
	// subscribed, and reloaded since the subscription began.
	synced atomic.Bool
	// resyncs counts completed reloads after the first (for tests and logs).
	resyncs atomic.Int64
	// cutoff is the value of the sorted set's data-loss marker (guard) at
	// the last reload or logout (Unix ms): tokens issued before it are
	// refused, their revocations may be lost with the set.
	cutoff atomic.Int64

	mu      sync.Mutex
	ps      *redis.PubSub // current subscription, closed by Close
	closing bool
	stop    chan struct{}
	done    chan struct{}

	// How revocations published by any node reached this one, apart:
	// written by the subscriber, read by Propagation.
	pmu              sync.Mutex
	delivery, applyH *hdrhistogram.Histogram
}

// Propagation is how revocations reached a node that learns them by
// message: Delivery from the publishing node's send to this node's
// subscriber holding the message (Redis, the network and the subscriber's
// scheduling), Apply from then to the local denylist refusing the token.
// Latencies in ns, 1 ns to 1 h. The exposure window the engine measures
// adds how busy the validating clients were; these two say where the time
// went.
type Propagation struct {
	Delivery, Apply *hdrhistogram.Histogram
}

// PropagationReporter is implemented by strategies that learn revocations
// by message (jwt-denylist-pubsub). The histograms returned are copies.
type PropagationReporter interface {
	Propagation() Propagation
}

var _ PropagationReporter = (*denylistPubSub)(nil)

var (
	_ Strategy  = (*denylistPubSub)(nil)
	_ Sizer     = (*denylistPubSub)(nil)
	_ OpCounter = (*denylistPubSub)(nil)
)

// errOutOfSync is what a validation gets while the node cannot vouch for
// its denylist.
var errOutOfSync = errors.New("jwt-denylist-pubsub: denylist out of sync with Redis (subscription lost, reloading)")

func newDenylistPubSub(env *Env) (Strategy, error) {
	opts, err := checkedOptions(env, "jwt-denylist-pubsub", defaultPubSubOptions)
	if err != nil {
		return nil, err
	}
	h, err := openRedisHybrid(env, "jwt-denylist-pubsub", 0)
	if err != nil {
		return nil, err
	}
	d := &denylistPubSub{
		redisHybrid: h,
		list:        newLocalDenylist(env.Clock()), heartbeat: opts.Heartbeat,
		stop: make(chan struct{}), done: make(chan struct{}),
		delivery: newDelayHist(), applyH: newDelayHist(),
	}
	// The first subscription and load happen before the node is handed
	// out, so it never starts out of sync.
	ps, err := d.subscribe()
	if err != nil {
		return nil, fmt.Errorf("jwt-denylist-pubsub: %w", err)
	}
	go d.run(ps)
	return d, nil
}

func (d *denylistPubSub) channel() string { return d.ns + "deny-events" }
func (d *denylistPubSub) setKey() string  { return d.ns + "deny-set:{" + pubsubTag + "}" }

// pubsubTag is the hash tag shared by the sorted set and its data-loss
// marker, so that one transaction reads both.
const pubsubTag = "_"

// subscribe subscribes, waits for the server's confirmation and then
// reloads the list. In that order nothing is missed: a revocation
// published before the confirmation is already in the sorted set (the
// sorted-set write and the PUBLISH are one transaction), and one published
// after it arrives as a message.
func (d *denylistPubSub) subscribe() (*redis.PubSub, error) {
	ctx, cancel := context.WithTimeout(context.Background(), max(d.timeout, time.Second))
	defer cancel()
	ps := d.client.Subscribe(ctx, d.channel())
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		ps.Close()
		return nil, errors.New("closed")
	}
	d.ps = ps
	d.mu.Unlock()
	if _, err := ps.ReceiveTimeout(ctx, max(d.timeout, time.Second)); err != nil {
		ps.Close()
		return nil, fmt.Errorf("subscribe %s: %w", d.channel(), err)
	}
	if err := d.reload(ctx); err != nil {
		ps.Close()
		return nil, err
	}
	d.synced.Store(true)
	return ps, nil
}

// reload replaces the local list with the unexpired members of the set,
// read in one transaction with the set's data-loss marker. A reload after
// Redis lost its data would otherwise bring back a list without the lost
// revocations (fail open): the marker tells, and the node then refuses
// every token issued before the loss.
func (d *denylistPubSub) reload(ctx context.Context) error {
	now := strconv.FormatInt(d.now().UnixMilli(), 10)
	var (
		zr  *redis.ZSliceCmd
		get *redis.StringCmd
	)
	_, err := d.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		zr = p.ZRangeByScoreWithScores(ctx, d.setKey(), &redis.ZRangeBy{Min: "(" + now, Max: "+inf"})
		get = p.Get(ctx, d.guard.key(pubsubTag))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("reload denylist: %w", err)
	}
	if err := d.noteMarker(ctx, get); err != nil {
		return fmt.Errorf("reload denylist: %w", err)
	}
	zs := zr.Val()
	entries := make(map[string]int64, len(zs))
	for _, z := range zs {
		if jti, ok := z.Member.(string); ok {
			entries[jti] = time.UnixMilli(int64(z.Score)).UnixNano()
		}
	}
	d.list.replace(entries)
	return nil
}

// noteMarker reads the data-loss marker fetched by get, declares a loss
// when it is gone, and raises the node's cutoff to the marker's.
func (d *denylistPubSub) noteMarker(ctx context.Context, get *redis.StringCmd) error {
	var v any
	if s, err := get.Result(); err == nil {
		v = s
	} else if !errors.Is(err, redis.Nil) {
		return err
	}
	cutoff, err := d.guard.cutoff(ctx, pubsubTag, v)
	if err != nil {
		return err
	}
	for {
		old := d.cutoff.Load()
		if cutoff <= old || d.cutoff.CompareAndSwap(old, cutoff) {
			return nil
		}
	}
}

// run listens until Close. On any sign of a lost subscription it marks
// the node out of sync, drops the subscription and starts over with a
// fresh one (subscribe + reload), backing off while Redis is away.
func (d *denylistPubSub) run(ps *redis.PubSub) {
	defer close(d.done)
	backoff := 10 * time.Millisecond
	for {
		if ps != nil {
			d.listen(ps)
			d.synced.Store(false)
			ps.Close()
			ps = nil
		}
		select {
		case <-d.stop:
			return
		default:
		}
		var err error
		ps, err = d.subscribe()
		if err == nil {
			d.resyncs.Add(1)
			backoff = 10 * time.Millisecond
			continue
		}
		select {
		case <-d.stop:
			return
		case <-time.After(backoff):
		}
		backoff = min(backoff*2, time.Second)
	}
}

// listen applies messages until the subscription fails.
func (d *denylistPubSub) listen(ps *redis.PubSub) {
	ctx := context.Background()
	pinged := false
	for {
		msg, err := ps.ReceiveTimeout(ctx, d.heartbeat)
		if err != nil {
			var ne interface{ Timeout() bool }
			if errors.As(err, &ne) && ne.Timeout() && !pinged {
				pctx, cancel := context.WithTimeout(ctx, d.timeout)
				err = ps.Ping(pctx)
				cancel()
				if err == nil {
					pinged = true
					continue
				}
			}
			return // closed, connection lost, or the ping went unanswered
		}
		pinged = false
		switch m := msg.(type) {
		case *redis.Message:
			d.apply(m.Payload, time.Now())
		case *redis.Subscription:
			// go-redis resubscribed on its own after a reconnect: messages
			// may have been lost in between, so start over with a reload.
			if m.Kind == "subscribe" {
				return
			}
		}
	}
}

// apply adds one "jti|expiry-ms|published-unix-ns" message, received at
// received, to the local list, and records its delivery and apply delays
// (all nodes run in one process: the publisher's clock is this one).
func (d *denylistPubSub) apply(payload string, received time.Time) {
	jti, rest, ok := strings.Cut(payload, "|")
	if !ok {
		return
	}
	ms, pub, _ := strings.Cut(rest, "|")
	exp, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return
	}
	d.list.add(jti, time.UnixMilli(exp))
	applied := time.Now()
	sent, err := strconv.ParseInt(pub, 10, 64)
	if err != nil {
		return // no publish time: nothing to measure
	}
	d.pmu.Lock()
	recordDelay(d.delivery, received.UnixNano()-sent)
	recordDelay(d.applyH, int64(applied.Sub(received)))
	d.pmu.Unlock()
}

// Propagation returns copies of the delay histograms so far.
func (d *denylistPubSub) Propagation() Propagation {
	d.pmu.Lock()
	defer d.pmu.Unlock()
	return Propagation{Delivery: hdrhistogram.Import(d.delivery.Export()), Apply: hdrhistogram.Import(d.applyH.Export())}
}

func newDelayHist() *hdrhistogram.Histogram { return hdrhistogram.New(1, int64(time.Hour), 3) }

func recordDelay(h *hdrhistogram.Histogram, ns int64) {
	_ = h.RecordValue(max(1, min(ns, int64(time.Hour))))
}

func (d *denylistPubSub) Validate(_ context.Context, token string) error {
	v, err := d.list.verify(d.codec, token)
	if err != nil {
		return err
	}
	if v.iat.UnixMilli() < d.cutoff.Load() {
		return d.guard.refuse()
	}
	if !d.synced.Load() {
		// Fail closed: a token revoked while the node was deaf must not
		// pass as valid. Counted as an error, not as a rejection.
		return errOutOfSync
	}
	return nil
}

// Revoke writes the jti to the sorted set (scored by expiry, for reloads),
// trims expired members, and publishes it, in one transaction that also
// reads the set's data-loss marker; the local list is updated at once so
// the revoking node never lags itself.
func (d *denylistPubSub) Revoke(ctx context.Context, c Credential) error {
	if c.ID == "" || strings.ContainsRune(c.ID, '|') {
		return fmt.Errorf("jwt-denylist-pubsub: revoke: bad jti %q: %w", c.ID, ErrMalformed)
	}
	now := d.now()
	exp := d.codec.denyUntil(c, now)
	if !exp.After(now) {
		return nil
	}
	ctx, cancel := d.call(ctx)
	defer cancel()
	ms := exp.UnixMilli()
	var get *redis.StringCmd
	_, err := d.client.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.ZAdd(ctx, d.setKey(), redis.Z{Score: float64(ms), Member: c.ID})
		p.ZRemRangeByScore(ctx, d.setKey(), "-inf", strconv.FormatInt(now.UnixMilli(), 10))
		p.PExpire(ctx, d.setKey(), d.ttl+time.Minute)
		p.Publish(ctx, d.channel(), c.ID+"|"+strconv.FormatInt(ms, 10)+"|"+strconv.FormatInt(time.Now().UnixNano(), 10))
		get = p.Get(ctx, d.guard.key(pubsubTag))
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return fmt.Errorf("jwt-denylist-pubsub: publish revocation: %w", err)
	}
	d.list.add(c.ID, exp)
	if err := d.noteMarker(ctx, get); err != nil {
		return fmt.Errorf("jwt-denylist-pubsub: %w", err)
	}
	return nil
}

// StoreSize reports the shared sorted set: unexpired members (ZCOUNT) and
// its MEMORY USAGE. Each node's local copy is part of the Go heap.
func (d *denylistPubSub) StoreSize(ctx context.Context) (int64, int64, error) {
	now := strconv.FormatInt(d.now().UnixMilli(), 10)
	n, err := d.client.ZCount(ctx, d.setKey(), "("+now, "+inf").Result()
	if err != nil {
		return 0, -1, fmt.Errorf("jwt-denylist-pubsub: zcount: %w", err)
	}
	b, err := d.client.MemoryUsage(ctx, d.setKey()).Result()
	if err != nil {
		return n, -1, nil // no set yet, or MEMORY disabled
	}
	return n, b, nil
}

// StoreOps counts the local denylist look-ups of validations; Redis is
// reached only by logouts and reloads, never while validating.
func (d *denylistPubSub) StoreOps() StoreOps { return StoreOps{LocalLookups: d.list.lookups()} }

// Close stops the subscriber and waits for it.
func (d *denylistPubSub) Close() error {
	d.mu.Lock()
	if d.closing {
		d.mu.Unlock()
		<-d.done
		return nil
	}
	d.closing = true
	close(d.stop)
	if d.ps != nil {
		d.ps.Close() // unblocks ReceiveTimeout
	}
	d.mu.Unlock()
	<-d.done
	return nil
}
