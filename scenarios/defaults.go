package scenarios

import (
	"time"

	"github.com/authbench/authbench/backends"
)

// The defaults of every scenario field but token and redis, whose defaults
// (backends.DefaultToken, backends.DefaultRedisTimeout) the backends and the
// token command share. README.md documents the same values for users.
const (
	DefaultDuration = 10 * time.Second
	DefaultWarmup   = 2 * time.Second
	DefaultRepeat   = 3
	DefaultSeed     = 42
	DefaultUsers    = 10000

	DefaultModel   = "closed"
	DefaultClients = 16

	DefaultNodes   = 1
	DefaultRouting = "random"
)

// Bounds. Values beyond them are refused with the bound in the message
// rather than allocated: a scenario is a benchmark, not a stress test of
// the parser or of the machine's memory.
const (
	MaxFileSize    = 1 << 20 // bytes of YAML
	MaxDepth       = 32      // nesting of mappings and sequences
	MaxTokens      = 10000   // YAML tokens in one file or --set value
	MaxDuration    = 24 * time.Hour
	MaxWarmup      = time.Hour
	MaxRepeat      = 1000
	MaxUsers       = 10_000_000
	MaxClients     = 10_000
	MaxRate        = 10_000_000.0 // requests or logouts per second
	MaxThink       = time.Hour
	MaxTTL         = 30 * 24 * time.Hour
	MaxLeeway      = 24 * time.Hour
	MaxClaimsBytes = 65536
	MaxStringLen   = 256  // issuer, audience
	MaxDescription = 1024 // characters
	MaxNodes       = 64
	MaxPoolSize    = 10_000
	MaxRedisTime   = time.Minute
	MaxRedisDelay  = time.Second // redis.latency and redis.jitter
	MaxBackends    = 100
	MaxSweepValues = 1000  // values of one sweep axis
	MaxRuns        = 10000 // backends × points × repeats, extra points included
	MaxExtraPoints = 100   // entries of extra:
)

// SetupAllowance is the rough time EstimateDuration adds per run for
// opening backends, issuing the initial credentials and writing results.
const SetupAllowance = 250 * time.Millisecond

// QuestionsAllowance is the rough time EstimateDuration adds once per
// token backend of a plan: before the first run, the runner replays the
// attack catalogue against it and times the steps of its validation
// (internal/runner/questions.go). About half a second each on a busy
// 2-core machine.
const QuestionsAllowance = 500 * time.Millisecond

// Defaults returns a scenario holding every default. Name and Backends are
// empty (they are required) and Options is empty (it depends on the
// backends registered).
func Defaults() Scenario {
	s := Scenario{
		Duration: DefaultDuration,
		Warmup:   DefaultWarmup,
		Repeat:   DefaultRepeat,
		Seed:     DefaultSeed,
		Users:    DefaultUsers,
		Load: Load{
			Model:   DefaultModel,
			Clients: DefaultClients,
		},
		Token:   backends.DefaultToken,
		Cluster: Cluster{Nodes: DefaultNodes, Routing: DefaultRouting},
		Redis:   backends.RedisConfig{Timeout: backends.DefaultRedisTimeout, Mode: backends.RedisStandalone},

		MaxErrorShare: DefaultMaxErrorShare,
	}
	transportDefaults(&s)
	return s
}

// NewDefault returns Defaults() with the default options of every
// registered backend that takes options: a scenario ready for Set and
// ApplyOverrides once Name and Backends are filled in.
func NewDefault() *Scenario {
	s := Defaults()
	s.Options = map[string]backends.Options{}
	for _, name := range backends.Names() {
		e, _ := backends.Lookup(name)
		if e.Options == nil {
			continue
		}
		s.Options[name] = e.Options()
	}
	s.origins = map[string]origin{}
	return &s
}

// MinDuration is the shortest measured period: a shorter one holds no
// more than the engine's own start and stop, and measures nothing.
const MinDuration = 10 * time.Millisecond
