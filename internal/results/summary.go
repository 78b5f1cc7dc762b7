// Package results is the contract between measuring and reporting: the
// types of summary.json (documented field by field in results/README.md),
// and the files of a run folder — summary.json, bench.txt and the HDR
// histogram logs in hdr/ — written atomically and read back.
//
// The runner writes these files; the report, compare and merge only read
// them. Nothing here draws or judges, so measuring does not depend on the
// plotting libraries.
package results

import (
	"time"

	"github.com/authbench/authbench/backends"
)

// Summary is summary.json: a whole invocation of `authbench run`.
type Summary struct {
	Scenario    string    `json:"scenario"`
	Description string    `json:"description,omitempty"`
	File        string    `json:"file,omitempty"`
	StartedAt   time.Time `json:"started_at"`
	FinishedAt  time.Time `json:"finished_at"`
	Machine     Machine   `json:"machine"`
	Version     string    `json:"version"`
	// State says whether every planned run was done: StateComplete,
	// StateIncomplete (a run failed; Reason says which and why) or
	// StateInterrupted (a signal cut the run short).
	State State `json:"state"`
	// Reason says, when State is not complete, what stopped the plan and where.
	Reason string `json:"state_reason,omitempty"`
	// Interrupted is true when a signal cut the run short (State is
	// StateInterrupted); kept beside State for the readers that use it.
	Interrupted bool `json:"interrupted"`
	// Degraded is true when a store failed during a run (errors counted).
	Degraded bool     `json:"degraded"`
	Warnings []string `json:"warnings"`
	// Sweep lists the swept dotted paths, in the order of the file.
	Sweep    []string      `json:"sweep"`
	Backends []BackendInfo `json:"backends"`
	// MaxErrorShare is the scenario's max_error_share: the share of an
	// operation's requests that may fail before a run needs attention
	// (nil in summaries from before it existed: 0.1 %).
	MaxErrorShare *float64 `json:"max_error_share,omitempty"`
	// Require is the scenario's require: block (nil without one).
	Require *Require `json:"require,omitempty"`
	// Config is the scenario as run (after defaults and --set), for the record.
	Config map[string]any `json:"config,omitempty"`
	// Shard is set on the folder of one shard of a run spread over several
	// machines (authbench run --shard); Config is then the whole scenario.
	Shard *Shard `json:"shard,omitempty"`
	// MergedFrom lists the shard folders, with their machines, that
	// authbench merge made this folder from.
	MergedFrom []ShardOrigin `json:"merged_from,omitempty"`
	Runs       []Run         `json:"runs"`
}

// State is how far the plan of a run folder got.
type State string

// The states of a run folder.
const (
	StateComplete    State = "complete"    // every planned run was measured
	StateIncomplete  State = "incomplete"  // a run failed; the runs before it are kept
	StateInterrupted State = "interrupted" // a signal stopped the plan
)

// Require is what a strategy must achieve to fit (the scenario's
// require: block). A nil or zero limit does not apply.
type Require struct {
	Backends        []string `json:"backends,omitempty"`
	ValidateP99NS   int64    `json:"validate_p99_ns,omitempty"`
	Throughput      float64  `json:"throughput,omitempty"`
	ExposureP99MS   *float64 `json:"exposure_p99_ms,omitempty"`
	FalseAccepts    *int64   `json:"false_accepts,omitempty"`
	ErrorShare      *float64 `json:"error_share,omitempty"`
	StoreRoundTrips *float64 `json:"store_round_trips,omitempty"`
	TokenBytes      int      `json:"token_bytes,omitempty"`
	CPUMicros       float64  `json:"cpu_us,omitempty"`
}

// Machine describes where the run happened.
type Machine struct {
	CPUs       int    `json:"cpus"`
	GOMAXPROCS int    `json:"gomaxprocs"`
	Go         string `json:"go"`
	OS         string `json:"os"`
	Arch       string `json:"arch"`
	Hostname   string `json:"hostname,omitempty"`
	// The load average (1, 5 and 15 minutes, /proc/loadavg) when the plan
	// started and when it finished; absent where the system has none. Above
	// the number of CPUs, other processes competed for them.
	LoadAvgStart []float64 `json:"load_avg_start,omitempty"`
	LoadAvgEnd   []float64 `json:"load_avg_end,omitempty"`
}

// BackendInfo describes one backend of the run: what the backend
// registry says of it (its JSON keys: name, family, stateful,
// store_lookups_per_validate, description, immediate_revocation,
// node_local), and whether it was skipped.
type BackendInfo struct {
	backends.Info
	// Skipped says why the backend did not run ("" when it ran).
	Skipped string `json:"skipped,omitempty"`
	// Integrity is what the attack catalogue showed against a token
	// backend, and Steps what each stage of its validation costs (nil for
	// the other backends, and in summaries from before they existed).
	Integrity *Integrity `json:"integrity,omitempty"`
	Steps     *Steps     `json:"validation_steps,omitempty"`
}

// Run is one measured run: a backend at a parameter point, one repeat.
type Run struct {
	ID      string            `json:"id"` // names the run's files in hdr/
	Backend string            `json:"backend"`
	Model   string            `json:"model"`
	Params  map[string]string `json:"params"`
	// Point is the swept part of Params as "path=value" pairs in sweep order
	// ("" without a sweep); runs with the same Point are comparable. At an
	// extra point, the paths it sets beyond the swept ones follow.
	Point string `json:"point"`
	// Extra lists, for a run at one of the scenario's extra points (a point
	// outside the sweep's grid, run by some backends), the paths that point
	// sets, in file order; absent for the runs of the grid.
	Extra     []string `json:"extra,omitempty"`
	Repeat    int      `json:"repeat"`
	DurationS float64  `json:"duration_s"`
	// Ops holds validate, login, refresh and logout.
	Ops map[string]Op `json:"ops"`
	// ServiceNS is the validate latency from the actual start of each
	// request (open model: the uncorrected figure, kept beside the corrected one).
	ServiceNS  Latency    `json:"service_ns"`
	Outcomes   Outcomes   `json:"outcomes"`
	Revocation Revocation `json:"revocation"`
	// Open holds the pacing figures of an open-model run.
	Open *Open `json:"open,omitempty"`
	// HiccupsNS is how late a goroutine sleeping 1 ms at a time woke during
	// the measured period (jHiccup's meter): the machine's and the Go
	// runtime's own stalls. A latency tail within them says nothing of
	// the backend.
	HiccupsNS Latency `json:"hiccups_ns"`
	// ClientsPerCPU is (load.clients + cluster.nodes) / machine.gomaxprocs:
	// above 1, in a closed model, latency tails include waits for a processor.
	ClientsPerCPU           float64  `json:"clients_per_cpu"`
	StoreLookupsPerValidate float64  `json:"store_lookups_per_validate"`
	TokenBytes              float64  `json:"token_bytes"`
	Store                   Store    `json:"store"`
	Timeline                []Second `json:"timeline"`
	Interrupted             bool     `json:"interrupted"`
	// HTTP holds the wire figures of a run over http or https (http.go).
	HTTP *HTTP `json:"http,omitempty"`
	// StoreLost is true when the backend's store lost its data during the
	// run (flush, restart without persistence): the backend then refused
	// every credential issued before the loss; a warning says so.
	StoreLost bool `json:"store_lost"`
	// ErrorSamples holds a few distinct error messages seen during the run.
	ErrorSamples []string `json:"error_samples,omitempty"`

	// StoreOps is what the run counted of the backend's store operations
	// (StoreLookupsPerValidate is what the design declares); nil in a
	// summary written before they were counted.
	StoreOps *StoreOps `json:"store_ops,omitempty"`
	// CPU is the CPU time the load cost.
	CPU *CPU `json:"cpu,omitempty"`
	// RedisPool is the Redis client's connection pool over the load; nil
	// without Redis. Waiting for a connection is not a store error.
	RedisPool *Pool `json:"redis_pool,omitempty"`
	// Token is what one credential issued by the backend shows to anyone
	// who holds it; nil when it was not inspected.
	Token *TokenShape `json:"token,omitempty"`
}

// StoreOps counts store operations over the load of a run: the warm-up
// and the measured period, not the login phase before them.
type StoreOps struct {
	// Validations is how many validations the counts cover.
	Validations int64 `json:"validations"`
	// HasStore is false for a backend that holds no store at all (plain
	// JWT, JWE): nothing it does can be counted, and its counts are 0.
	HasStore bool `json:"has_store"`
	// RoundTrips to a networked store while validating (a cached read is
	// not one); LocalLookups in an in-process store.
	RoundTrips   int64 `json:"round_trips"`
	LocalLookups int64 `json:"local_lookups"`
	// RoundTripsPerValidate and LocalLookupsPerValidate divide them by Validations.
	RoundTripsPerValidate   float64 `json:"round_trips_per_validate"`
	LocalLookupsPerValidate float64 `json:"local_lookups_per_validate"`
	// CacheHits and CacheMisses of a client-side cache, and the hit ratio
	// hits/(hits+misses) (0 without reads).
	CacheHits     int64   `json:"cache_hits,omitempty"`
	CacheMisses   int64   `json:"cache_misses,omitempty"`
	CacheHitRatio float64 `json:"cache_hit_ratio,omitempty"`
	// RefreshRoundTrips is the round trips made by refreshes.
	RefreshRoundTrips int64 `json:"refresh_round_trips,omitempty"`
}

// CPU is CPU time over the load of a run (warm-up and measured period;
// re-logins after logouts included).
type CPU struct {
	// Validations is how many validations the times cover, WallS how long.
	Validations int64   `json:"validations"`
	WallS       float64 `json:"wall_s"`
	// ProcessUserS and ProcessSystemS are authbench's own CPU time
	// (getrusage): the validators and the load generator together.
	ProcessUserS   float64 `json:"process_user_s"`
	ProcessSystemS float64 `json:"process_system_s"`
	// ProcessUSPerValidate is (user + system) / Validations, in µs.
	ProcessUSPerValidate float64 `json:"process_us_per_validate"`
	// StoreS is the redis-server's CPU time (INFO cpu, user + system) and
	// StoreUSPerValidate it per validation; StoreMeasured is false when
	// the backend uses no Redis or INFO could not be read.
	StoreMeasured      bool    `json:"store_measured"`
	StoreS             float64 `json:"store_s,omitempty"`
	StoreUSPerValidate float64 `json:"store_us_per_validate,omitempty"`
}

// Pool is the Redis client's connection pool over the load of a run.
type Pool struct {
	Size int `json:"size"`
	// Waits counts requests that waited for a free connection, WaitNS
	// their total wait, Timeouts those that gave up.
	Waits    int64 `json:"waits"`
	WaitNS   int64 `json:"wait_ns"`
	Timeouts int64 `json:"timeouts"`
}

// TokenShape is what a credential shows without any key.
type TokenShape struct {
	// Segments is the number of dot-separated parts (JWS 3, JWE 5, an
	// opaque session ID 1).
	Segments int `json:"segments"`
	// ReadableClaims lists the claim names (sub, iss, aud, exp …) found in
	// the base64url-decoded segments: empty for a token whose claims
	// cannot be read without the key.
	ReadableClaims []string `json:"readable_claims"`
}

// Op is the figures of one operation kind.
type Op struct {
	Count          int64   `json:"count"`
	ThroughputPerS float64 `json:"throughput_per_s"`
	LatencyNS      Latency `json:"latency_ns"`
	Errors         int64   `json:"errors"`
}

// Latency is a latency distribution in nanoseconds.
type Latency struct {
	P50  int64   `json:"p50"`
	P90  int64   `json:"p90"`
	P99  int64   `json:"p99"`
	P999 int64   `json:"p999"`
	Max  int64   `json:"max"`
	Mean float64 `json:"mean"`
}

// Outcomes is the outcome matrix of the validations of a run.
type Outcomes struct {
	Accepted int64 `json:"accepted"`
	Rejected int64 `json:"rejected"`
	Errors   int64 `json:"errors"`
	// Cancelled counts validations the engine cancelled itself, still in
	// flight at the end of the grace period: not the backend's errors.
	Cancelled int64 `json:"cancelled"`
	// FalseAccepts: revoked, expired or forged credentials that were accepted.
	FalseAccepts int64 `json:"false_accepts"`
	// FalseRejects: valid credentials that were refused.
	FalseRejects int64 `json:"false_rejects"`
	// Expected* count validations by what the answer should have been.
	ExpectedValid   int64 `json:"expected_valid"`
	ExpectedRevoked int64 `json:"expected_revoked"`
	ExpectedExpired int64 `json:"expected_expired"`
	// Undecided counts validations that raced a revocation or an expiry
	// (either answer is right); they are neither false accepts nor false rejects.
	Undecided int64 `json:"undecided"`
	// StoreLossRejects counts valid credentials refused because the store
	// lost its data (the backend failed closed): rejections, but neither
	// false rejects nor errors. ForcedLogins counts the users who had to
	// log in again because of it.
	StoreLossRejects int64 `json:"store_loss_rejects"`
	ForcedLogins     int64 `json:"forced_logins"`
}

// Revocation is what logouts and replays of revoked credentials showed.
type Revocation struct {
	Revoked         int64 `json:"revoked"`
	Replays         int64 `json:"replays"`
	ReplaysAccepted int64 `json:"replays_accepted"`
	// ReplayedCredentials is how many distinct revoked credentials were replayed;
	// ExposedCredentials how many of them were accepted at least once after revocation.
	ReplayedCredentials int64   `json:"replayed_credentials"`
	ExposedCredentials  int64   `json:"exposed_credentials"`
	ExposedShare        float64 `json:"exposed_share"`
	// ExposureMS is the distribution, over replayed revoked credentials, of
	// the time from revocation to the last accepted replay (0 when never accepted).
	ExposureMS Exposure `json:"exposure_ms"`
	// PropagationNS is, for a backend that spreads revocations by message
	// (jwt-denylist-pubsub), how long messages took from the publishing
	// node to the others (delivery) and to be applied there (apply), over
	// the whole run; absent for the other backends. The exposure window
	// adds how busy the validating clients were.
	PropagationNS *Propagation `json:"propagation_ns,omitempty"`
}

// Exposure is an exposure-window distribution in milliseconds.
type Exposure struct {
	P50 float64 `json:"p50"`
	P99 float64 `json:"p99"`
	Max float64 `json:"max"`
}

// Propagation splits the time a revocation took to reach the other nodes.
type Propagation struct {
	Delivery Latency `json:"delivery"`
	Apply    Latency `json:"apply"`
}

// Open holds open-model pacing figures.
type Open struct {
	TargetRate   float64 `json:"target_rate"`
	AchievedRate float64 `json:"achieved_rate"`
	// Late counts requests that started more than a millisecond after their
	// intended start; Missed those still due when the run ended.
	Late   int64 `json:"late"`
	Missed int64 `json:"missed"`
	// Started counts the requests started within the measured period;
	// achieved_rate is Started / duration_s.
	Started int64 `json:"started"`
}

// Store is the size of a stateful backend's store at the end of the run.
type Store struct {
	Entries int64 `json:"entries"`
	Bytes   int64 `json:"bytes"` // -1 when unknown
}

// Second is one second of the timeline of a run.
type Second struct {
	T               int     `json:"t"` // seconds since the measured start
	Validations     int64   `json:"validations"`
	ThroughputPerS  float64 `json:"throughput_per_s"`
	P50NS           int64   `json:"p50_ns"`
	P99NS           int64   `json:"p99_ns"`
	Errors          int64   `json:"errors"`
	Revocations     int64   `json:"revocations"`
	ReplaysAccepted int64   `json:"replays_accepted"`
	FalseAccepts    int64   `json:"false_accepts"`
	FalseRejects    int64   `json:"false_rejects"`
}
