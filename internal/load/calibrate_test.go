package load

import (
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

// BenchmarkSleepCalibration is the harness's absolute calibration: the
// sleep backend's delay must come out of the engine as the p50 service
// time, within 10%, also with more clients than processors. It measures
// the machine as much as the harness (on a busy machine sleeps overrun),
// so it is a benchmark, run by `make calibrate` on a quiet machine, and
// not a unit test; TestSleepBackendP50 checks what holds anywhere.
//
//	go test -run '^$' -bench SleepCalibration -benchtime 1x ./internal/load
func BenchmarkSleepCalibration(b *testing.B) {
	for _, tc := range sleepCalibrationCases() {
		b.Run(tc.name(), func(b *testing.B) {
			s := open(b, "sleep", &backends.SleepOptions{Delay: tc.delay})
			for range b.N {
				res := run(b, Config{Model: Closed, Clients: tc.clients, Duration: 1 * time.Second, Warmup: 100 * time.Millisecond}, s)
				p50 := res.Hists["validate"].ValueAtQuantile(50)
				off := float64(p50)/float64(tc.delay) - 1
				b.ReportMetric(0, "ns/op") // one timed run per iteration: not a cost per op
				b.ReportMetric(ms(p50), "p50-ms")
				b.ReportMetric(100*off, "p50-off-%")
				// Faster than the sleep is a bug anywhere; slower is the
				// machine, unless it is quiet, so -short (make test's
				// single pass over every benchmark) checks only the first.
				if off < -0.01 || (off > 0.10 && !testing.Short()) {
					b.Errorf("p50 = %.3f ms, want %s within 10%% (a busy machine overruns sleeps: calibrate on a quiet one)", ms(p50), tc.delay)
				}
			}
		})
	}
}
