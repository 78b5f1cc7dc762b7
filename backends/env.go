package backends

import (
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/internal/keys"
)

// The defaults of the token and redis sections: a scenario that says
// nothing gets them (scenarios.Defaults), and so do `authbench token` and a
// backend opened with zero fields. This is the only place they are written.
var DefaultToken = TokenConfig{
	TTL:         15 * time.Minute,
	Leeway:      5 * time.Second,
	ClaimsBytes: 200,
	Issuer:      "authbench",
	Audience:    "api",
}

// DefaultRedisTimeout bounds every Redis call when redis.timeout is zero.
const DefaultRedisTimeout = 200 * time.Millisecond

// TokenConfig is the scenario's `token:` section.
type TokenConfig struct {
	TTL         time.Duration `yaml:"ttl"`
	Leeway      time.Duration `yaml:"leeway"`
	ClaimsBytes int           `yaml:"claims_bytes"`
	Issuer      string        `yaml:"issuer"`
	Audience    string        `yaml:"audience"`
}

// RedisConfig is the scenario's `redis:` section.
type RedisConfig struct {
	URL      string        `yaml:"url"`
	PoolSize int           `yaml:"pool_size"`
	Timeout  time.Duration `yaml:"timeout"`
	// Mode is "standalone" or "cluster": with no URL, which private Redis
	// to start (one server, or a three-master cluster). Empty means
	// standalone.
	Mode string `yaml:"mode"`
	// Latency is the round-trip time a proxy adds between every client and
	// Redis (half each way); 0 connects directly.
	Latency time.Duration `yaml:"latency"`
	// Jitter varies each direction's delay by up to ±Jitter/2.
	Jitter time.Duration `yaml:"jitter"`
}

// Redis modes (redis.mode).
const (
	RedisStandalone = "standalone"
	RedisCluster    = "cluster"
)

// Env is what every node of a backend shares within one run.
type Env struct {
	Token TokenConfig
	Redis RedisConfig
	// RedisClient is connected when Redis is available, nil otherwise.
	// Backends that need it return ErrUnavailable from their factory when nil.
	RedisClient redis.UniversalClient
	// KeysDir is the scenario's `keys:` folder; empty means fresh keys.
	KeysDir string
	// Options are the backend's options, filled from `options.<backend>`
	// in the scenario (nil when the backend has none: it uses its defaults).
	Options Options
	// Keys is the run's key ring, shared by every node of a backend that
	// needs keys (Info.NeedsKeys): all nodes must sign and verify with the
	// same keys. Open creates it when it is nil.
	Keys *keys.Ring
	// Namespace prefixes every Redis key and channel so that runs never see
	// each other's data.
	Namespace string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Clock returns env.Now or time.Now.
func (e *Env) Clock() func() time.Time {
	if e.Now != nil {
		return e.Now
	}
	return time.Now
}
