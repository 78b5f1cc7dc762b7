package backends_test

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/redistest"
)

// BenchmarkValidateConcurrent measures Validate of every registered backend with
// concurrent callers, on credentials issued beforehand. Redis backends use
// REDIS_URL when set (scripts/redis-vs-benchmark.sh points it at the server
// redis-benchmark measures), else a private server.
//
// AUTHBENCH_BENCH_CLIENTS sets the number of concurrent callers (default
// 16), which is also the Redis pool size.
func BenchmarkValidateConcurrent(b *testing.B) {
	clients := 16
	if v, err := strconv.Atoi(os.Getenv("AUTHBENCH_BENCH_CLIENTS")); err == nil && v > 0 {
		clients = v
	}
	// A generous time-out: this measures speed, and on a shared machine a
	// scheduling stall must not turn into a failed benchmark. Time-outs have
	// their own tests.
	cfg := backends.RedisConfig{PoolSize: clients, Timeout: 2 * time.Second}
	var conn *redisproc.Conn
	outer := b // the server outlives every sub-benchmark
	for _, name := range backends.Names() {
		e, _ := backends.Lookup(name)
		if e.Info.Family == "calibration" {
			continue
		}
		b.Run(name, func(b *testing.B) {
			env := &backends.Env{Token: backends.DefaultToken, Redis: cfg, Namespace: "authbench:bench:" + name + ":"}
			if e.Options != nil {
				env.Options = e.Options()
			}
			if e.Info.NeedsRedis {
				if conn == nil {
					conn = benchRedis(outer, cfg)
				}
				env.RedisClient = conn.Client
			}
			s, err := backends.Open(name, env)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			const users = 1000
			tokens := make([]string, users)
			for i := range tokens {
				c, err := s.Issue(context.Background(), fmt.Sprintf("user%d", i))
				if err != nil {
					b.Fatal(err)
				}
				tokens[i] = c.Token
			}
			procs := runtime.GOMAXPROCS(0)
			b.SetParallelism(max(1, (clients+procs-1)/procs))
			b.ReportAllocs()
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				ctx := context.Background()
				i := 0
				for pb.Next() {
					if err := s.Validate(ctx, tokens[i%users]); err != nil {
						b.Error(err)
						return
					}
					i++
				}
			})
		})
	}
	if conn != nil && conn.Server == nil {
		conn.Close()
	}
}

func benchRedis(b *testing.B, cfg backends.RedisConfig) *redisproc.Conn {
	if os.Getenv("REDIS_URL") != "" {
		c, err := redisproc.Connect(context.Background(), cfg)
		if err != nil {
			b.Fatal(err)
		}
		return c
	}
	// A private server for the whole benchmark, stopped by its cleanup.
	return redistest.Start(b, cfg)
}
