package redisproc

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
)

// BenchmarkProxyOverhead measures what the proxy itself adds to a Redis
// round trip: PINGs alternate between a direct connection and one through
// a proxy injecting nothing, so both see the same machine, and the
// difference of their medians is reported as added-p50-µs (goal ≤ 20 µs).
// The "delay-line" variant forces the path used when a latency is set
// (reader, timerfd wait, writer) with a zero delay.
//
//	go test -run '^$' -bench ProxyOverhead -benchtime 20000x ./internal/redisproc
func BenchmarkProxyOverhead(b *testing.B) {
	for _, tc := range []struct {
		name      string
		delayLine bool
	}{{"copy", false}, {"delay-line", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := Start(context.Background())
			if err != nil {
				b.Skip(err)
			}
			defer s.Stop()
			p, err := StartProxy(s.Addr(), 0, 0)
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			if tc.delayLine {
				// A spread of 0 with a one-way delay of 1 ns takes the
				// delay-line path; the chunk is due before the writer looks.
				p.oneWay = 1
			}
			cfg := backends.RedisConfig{Timeout: time.Second, PoolSize: 1}
			direct, _ := NewClient(s.URL(), cfg)
			defer direct.Close()
			proxied, _ := NewClient("redis://:"+s.Password()+"@"+p.Addr(), cfg)
			defer proxied.Close()
			ctx := context.Background()
			for _, c := range []redis.UniversalClient{direct, proxied} {
				if err := c.Ping(ctx).Err(); err != nil {
					b.Fatal(err)
				}
			}
			d := make([]time.Duration, 0, b.N)
			v := make([]time.Duration, 0, b.N)
			b.ResetTimer()
			for range b.N {
				t0 := time.Now()
				direct.Ping(ctx)
				t1 := time.Now()
				proxied.Ping(ctx)
				t2 := time.Now()
				d = append(d, t1.Sub(t0))
				v = append(v, t2.Sub(t1))
			}
			b.StopTimer()
			slices.Sort(d)
			slices.Sort(v)
			dp, vp := d[len(d)/2], v[len(v)/2]
			b.ReportMetric(float64(dp)/1e3, "direct-p50-µs")
			b.ReportMetric(float64(vp)/1e3, "proxy-p50-µs")
			b.ReportMetric(float64(vp-dp)/1e3, "added-p50-µs")
			b.ReportMetric(float64(v[len(v)*99/100]-d[len(d)*99/100])/1e3, "added-p99-µs")
		})
	}
}
