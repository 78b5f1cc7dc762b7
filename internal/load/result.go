package load

import (
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/internal/results"
)

// Result is what one run of the engine measured. Counts and histograms
// cover the measured period only.
type Result struct {
	// Hists holds the merged histogram of each operation that happened,
	// keyed by "validate", "validate-service", "login", "refresh", "logout".
	Hists map[string]*hdrhistogram.Histogram
	// OpErrors counts failed operations by the same keys; for "validate"
	// it equals Outcomes.Errors.
	OpErrors map[string]int64

	MeasuredStart time.Time
	Measured      time.Duration // shorter than Config.Duration when interrupted
	Interrupted   bool

	Outcomes Outcomes
	// StoreLost is true when a node saw its store lose its data during the
	// run (backends.LossReporter).
	StoreLost  bool
	Revocation Revocation
	Open       *OpenStats // nil in the closed model

	TokenBytes float64 // mean length of the credentials issued
	Timeline   []Second

	ErrorSamples []string
	// Clamped counts latencies above the histogram's range, recorded at its top.
	Clamped int64
	// Abandoned counts requests still in flight when the engine stopped
	// waiting for them (Config.Grace after the end).
	Abandoned int
	// Hiccups holds how late a 1 ms sleep woke during the measured period
	// (jHiccup's measure): stalls of the machine and of the Go runtime,
	// which every latency measured at the same time may include.
	Hiccups *hdrhistogram.Histogram
}

// Outcomes is the outcome matrix of the measured validations, as
// summary.json records it: the engine fills the contract's type itself.
type Outcomes = results.Outcomes

// Revocation is what logouts and replays showed.
type Revocation struct {
	Revoked         int64 // logouts completed in the measured period
	Replays         int64 // validations that replayed a revoked credential
	ReplaysAccepted int64
	// Exposures holds, for every revoked credential replayed in the measured
	// period, the time from its revocation to the last time it was
	// accepted (0 when it never was).
	Exposures []time.Duration
	// Exposed counts the replayed credentials accepted at least once after
	// their revocation.
	Exposed int64
}

// OpenStats are the pacing figures of an open-model run.
type OpenStats struct {
	TargetRate float64
	// AchievedRate is Started per second of the measured period.
	AchievedRate float64
	// Started counts the requests started within the measured period,
	// whenever they were due (a backlog from the warm-up included).
	Started int64
	Late    int64 // started more than LateAfter after they were due
	Missed  int64 // due in the measured period but not started within it
}

// LateAfter is how far behind its intended start a request may begin
// before it counts as late.
const LateAfter = time.Millisecond

// Second is one second of the measured period.
type Second struct {
	Validations, Errors, Revocations            int64
	ReplaysAccepted, FalseAccepts, FalseRejects int64
	P50, P99                                    int64 // validate latency, ns
}
