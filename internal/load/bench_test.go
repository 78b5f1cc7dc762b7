package load

import (
	"context"
	"runtime"
	"testing"

	"github.com/authbench/authbench/backends"
)

// BenchmarkEngineNoop measures the harness's own cost per request: one
// closed-model client driving the noop backend, so ns/op is everything the
// engine does around a validation (user choice, ground truth, two HDR
// records, the timeline). It must not allocate.
func BenchmarkEngineNoop(b *testing.B) {
	benchEngine(b, "noop", 1)
}

// BenchmarkEngineJWTHS256 drives jwt-hs256 through the engine; compare
// clients=1 with BenchmarkJWTHS256Validate and clients=GOMAXPROCS with
// BenchmarkJWTHS256ValidateParallel (the raw library call, in package
// backends): the engine should reach at least 0.9× their rate.
func BenchmarkEngineJWTHS256(b *testing.B) {
	b.Run("clients=1", func(b *testing.B) { benchEngine(b, "jwt-hs256", 1) })
	b.Run("clients=GOMAXPROCS", func(b *testing.B) { benchEngine(b, "jwt-hs256", 0) })
}

func benchEngine(b *testing.B, backend string, clients int) {
	s := open(b, backend, nil)
	if clients == 0 {
		clients = runtime.GOMAXPROCS(0)
	}
	e, err := New(Config{Model: Closed, Clients: clients, Users: 1000, Seed: 1, MaxValidations: int64(b.N)}, []backends.Strategy{s})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	res, err := e.Run(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	b.StopTimer()
	n := res.Hists["validate"].TotalCount()
	// Run also logs the users in; report the measured period's rate too.
	b.ReportMetric(float64(n)/res.Measured.Seconds(), "validations/s")
}
