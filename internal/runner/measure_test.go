package runner

import (
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

func TestParseRedisCPU(t *testing.T) {
	info := "# CPU\r\nused_cpu_sys:1.250000\r\nused_cpu_user:2.500000\r\nused_cpu_sys_children:9.0\r\n"
	got, ok := parseRedisCPU(info)
	if !ok || got != 3.75 {
		t.Errorf("got %v, %v; want 3.75 s (user + sys, children left out)", got, ok)
	}
	if _, ok := parseRedisCPU("# CPU\r\nused_cpu_sys:1\r\n"); ok {
		t.Error("INFO without used_cpu_user read as complete")
	}
}

func TestTokenShape(t *testing.T) {
	for _, tc := range []struct {
		name, token string
		segments    int
		readable    []string
	}{
		// {"alg":"HS256"}.{"sub":"user-1","exp":1}.sig
		{"jws", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEiLCJleHAiOjF9.c2ln", 3, []string{"sub", "exp"}},
		// a JWE: header {"alg":"dir","enc":"A256GCM"}, the rest opaque bytes
		{"jwe", "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..aXYxMjM0NTY3ODkw.Y2lwaGVydGV4dA.dGFn", 5, nil},
		{"session id", "q1w2e3r4t5y6u7i8o9p0", 1, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts := tokenShape(tc.token)
			if ts.Segments != tc.segments {
				t.Errorf("segments %d, want %d", ts.Segments, tc.segments)
			}
			if !slices.Equal(ts.ReadableClaims, append([]string{}, tc.readable...)) {
				t.Errorf("readable claims %v, want %v", ts.ReadableClaims, tc.readable)
			}
		})
	}
}

// TestSizePools: a pool of 0 becomes one connection per client of the
// largest point plus a margin, the same for every run; a pool the user set
// is kept.
func TestSizePools(t *testing.T) {
	a := &scenarios.Scenario{}
	a.Load.Clients = 1
	b := &scenarios.Scenario{}
	b.Load.Clients = 500
	c := &scenarios.Scenario{}
	c.Load.Clients = 900
	c.Redis.PoolSize = 20
	sizePools([]scenarios.Run{{Scenario: a}, {Scenario: b}, {Scenario: c}})
	if a.Redis.PoolSize != 500+poolMargin || b.Redis.PoolSize != 500+poolMargin {
		t.Errorf("pool sizes %d and %d, want %d for both", a.Redis.PoolSize, b.Redis.PoolSize, 500+poolMargin)
	}
	if c.Redis.PoolSize != 20 {
		t.Errorf("pool size set by the scenario changed to %d", c.Redis.PoolSize)
	}
}

func TestMeasured(t *testing.T) {
	t0 := time.Unix(0, 0)
	a := reading{at: t0, counted: true, ops: backends.StoreOps{RoundTrips: 10, CacheHits: 5},
		user: 1, sys: 1, cpuOK: true, redisCPU: 2, redisOK: true,
		pool: &redis.PoolStats{WaitCount: 1, Timeouts: 0, WaitDurationNs: 100}}
	b := reading{at: t0.Add(2 * time.Second), counted: true, ops: backends.StoreOps{RoundTrips: 110, CacheHits: 305, CacheMisses: 100},
		user: 1.5, sys: 1.5, cpuOK: true, redisCPU: 2.1, redisOK: true,
		pool: &redis.PoolStats{WaitCount: 4, Timeouts: 2, WaitDurationNs: 600}}
	var run results.Run
	measured(&run, a, b, 400, 24)
	so := run.StoreOps
	if so == nil || !so.HasStore || so.RoundTripsPerValidate != 0.25 || so.CacheHitRatio != 0.75 || so.Validations != 400 {
		t.Errorf("store ops %+v, want 100 round trips / 400 = 0.25 and 300 hits of 400 reads", so)
	}
	c := run.CPU
	if c == nil || c.ProcessUSPerValidate != 2500 || !c.StoreMeasured || c.StoreUSPerValidate < 249.9 || c.StoreUSPerValidate > 250.1 || c.WallS != 2 {
		t.Errorf("cpu %+v, want 1 s / 400 = 2500 µs process and 0.1 s / 400 = 250 µs store", c)
	}
	if p := run.RedisPool; p == nil || p.Waits != 3 || p.Timeouts != 2 || p.WaitNS != 500 || p.Size != 24 {
		t.Errorf("pool %+v, want 3 waits, 2 time-outs, 500 ns, size 24", p)
	}
	var none results.Run
	measured(&none, reading{cpuOK: true}, reading{cpuOK: true}, 400, 0)
	if so := none.StoreOps; so == nil || so.HasStore || so.RoundTrips != 0 || none.RedisPool != nil {
		t.Errorf("a backend without a store: %+v %+v, want counted zeros marked as no store and no pool", none.StoreOps, none.RedisPool)
	}
}
