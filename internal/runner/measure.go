package runner

import (
	"bufio"
	"context"
	"encoding/base64"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// The load of a run is measured by reading counters when it starts (after
// the login phase: load.Config.LoadStarts) and when the engine returns:
// the backend's store operations, this process's CPU time, the
// redis-server's CPU time and the Redis connection pool. Every figure is a
// difference of two readings of counters that only grow, divided by the
// validations made in between.

// reading is one reading of every counter.
type reading struct {
	at        time.Time
	ops       backends.StoreOps
	counted   bool // some node counts its store operations
	user, sys float64
	cpuOK     bool
	redisCPU  float64
	redisOK   bool
	pool      *redis.PoolStats
}

// read takes a reading. redisCli is nil when the backend uses no Redis.
func read(nodes []backends.Strategy, redisCli redis.UniversalClient, timeout time.Duration) reading {
	r := reading{at: time.Now()}
	for _, n := range nodes {
		if c, ok := n.(backends.OpCounter); ok {
			r.ops = r.ops.Add(c.StoreOps())
			r.counted = true
		}
	}
	r.user, r.sys, r.cpuOK = processCPU()
	if redisCli != nil {
		r.redisCPU, r.redisOK = redisServerCPU(redisCli, timeout)
		r.pool = redisCli.PoolStats()
	}
	return r
}

// redisServerCPU reads used_cpu_user + used_cpu_sys from INFO cpu of a
// single server; a cluster or an unreadable INFO gives ok = false.
func redisServerCPU(cli redis.UniversalClient, timeout time.Duration) (float64, bool) {
	c, ok := cli.(*redis.Client)
	if !ok {
		return 0, false
	}
	ctx, cancel := context.WithTimeout(context.Background(), max(timeout, time.Second))
	defer cancel()
	info, err := c.Info(ctx, "cpu").Result()
	if err != nil {
		return 0, false
	}
	return parseRedisCPU(info)
}

// parseRedisCPU sums used_cpu_user and used_cpu_sys of an INFO reply.
func parseRedisCPU(info string) (float64, bool) {
	var sum float64
	found := 0
	sc := bufio.NewScanner(strings.NewReader(info))
	for sc.Scan() {
		k, v, ok := strings.Cut(strings.TrimSpace(sc.Text()), ":")
		if !ok || (k != "used_cpu_user" && k != "used_cpu_sys") {
			continue
		}
		f, err := strconv.ParseFloat(v, 64)
		if err != nil {
			return 0, false
		}
		sum += f
		found++
	}
	return sum, found == 2
}

// measured fills run's StoreOps, CPU and RedisPool from two readings, the
// validations made between them and the pool size.
func measured(run *results.Run, a, b reading, validations int64, poolSize int) {
	if validations <= 0 {
		return
	}
	per := func(n int64) float64 { return float64(n) / float64(validations) }
	{
		d := b.ops.Sub(a.ops)
		so := &results.StoreOps{
			Validations: validations, HasStore: a.counted, RoundTrips: d.RoundTrips, LocalLookups: d.LocalLookups,
			RoundTripsPerValidate: per(d.RoundTrips), LocalLookupsPerValidate: per(d.LocalLookups),
			CacheHits: d.CacheHits, CacheMisses: d.CacheMisses, RefreshRoundTrips: d.RefreshRoundTrips,
		}
		if reads := d.CacheHits + d.CacheMisses; reads > 0 {
			so.CacheHitRatio = float64(d.CacheHits) / float64(reads)
		}
		run.StoreOps = so
	}
	if a.cpuOK && b.cpuOK {
		c := &results.CPU{
			Validations: validations, WallS: b.at.Sub(a.at).Seconds(),
			ProcessUserS: b.user - a.user, ProcessSystemS: b.sys - a.sys,
		}
		c.ProcessUSPerValidate = (c.ProcessUserS + c.ProcessSystemS) * 1e6 / float64(validations)
		if a.redisOK && b.redisOK {
			c.StoreMeasured = true
			c.StoreS = b.redisCPU - a.redisCPU
			c.StoreUSPerValidate = c.StoreS * 1e6 / float64(validations)
		}
		run.CPU = c
	}
	if a.pool != nil && b.pool != nil {
		run.RedisPool = &results.Pool{
			Size:     poolSize,
			Waits:    int64(b.pool.WaitCount) - int64(a.pool.WaitCount),
			WaitNS:   b.pool.WaitDurationNs - a.pool.WaitDurationNs,
			Timeouts: int64(b.pool.Timeouts) - int64(a.pool.Timeouts),
		}
	}
}

// poolMargin is the connections a run needs beyond one per client: the
// revoker, refreshes, and the store-size scan at the end.
const poolMargin = 8

// sizePools gives every run whose redis.pool_size is 0 a pool with one
// connection per client of the largest point of the plan, plus a margin.
// go-redis's own default (10 per CPU) is smaller than a few hundred
// clients, and requests waiting for a connection then time out as if the
// store had failed. One size for the whole plan keeps one client (and one
// private redis-server) for every run.
func sizePools(plan []scenarios.Run) {
	most := 0
	for _, pr := range plan {
		if pr.Scenario.Redis.PoolSize == 0 {
			most = max(most, pr.Scenario.Load.Clients)
		}
	}
	size := min(most+poolMargin, scenarios.MaxPoolSize)
	for _, pr := range plan {
		if pr.Scenario.Redis.PoolSize == 0 {
			pr.Scenario.Redis.PoolSize = size
		}
	}
}

// claimNames are the registered claims looked for in a token's segments.
var claimNames = []string{"sub", "iss", "aud", "exp", "iat", "jti"}

// tokenShape says what a credential shows without a key: how many
// segments it has, and which claim names can be read by base64url-decoding
// its segments.
func tokenShape(token string) *results.TokenShape {
	segs := strings.Split(token, ".")
	ts := &results.TokenShape{Segments: len(segs), ReadableClaims: []string{}}
	for _, seg := range segs {
		b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(seg, "="))
		if err != nil {
			continue
		}
		for _, c := range claimNames {
			if strings.Contains(string(b), `"`+c+`"`) && !contains(ts.ReadableClaims, c) {
				ts.ReadableClaims = append(ts.ReadableClaims, c)
			}
		}
	}
	return ts
}

func contains(xs []string, x string) bool {
	for _, y := range xs {
		if y == x {
			return true
		}
	}
	return false
}

// requireRecord turns the scenario's require: block into its summary.json
// form (nil when it sets nothing).
func requireRecord(r scenarios.Require) *results.Require {
	if !r.Any() {
		return nil
	}
	out := &results.Require{
		Backends: r.Backends, ValidateP99NS: int64(r.ValidateP99), Throughput: r.Throughput,
		FalseAccepts: r.FalseAccepts, ErrorShare: r.ErrorShare, StoreRoundTrips: r.StoreRoundTrips,
		TokenBytes: r.TokenBytes, CPUMicros: r.CPUMicros,
	}
	if r.ExposureP99 != nil {
		ms := float64(*r.ExposureP99) / 1e6
		out.ExposureP99MS = &ms
	}
	return out
}
