package backends

import (
	"time"

	"github.com/redis/go-redis/v9"
)

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
}

// Env is what every node of a backend shares within one run.
type Env struct {
	Token TokenConfig
	Redis RedisConfig
	// RedisClient is connected when Redis is available, nil otherwise.
	// Backends that need it return ErrUnavailable from their factory when nil.
	RedisClient redis.UniversalClient
	// KeysDir is the scenario's `keys:` folder; empty means fresh keys.
	KeysDir string
	// Options is the value returned by the registry entry's Options func,
	// filled from `options.<backend>` in the scenario (nil when the backend
	// has no options).
	Options any
	// Shared is created once per run by the entry's Shared func and handed to
	// every node: signing keys, for instance, must be the same on all nodes.
	Shared any
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
