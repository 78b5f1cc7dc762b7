package main

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
)

func init() { redisConnector = connectRedis }

// connectRedis connects as the scenario says (redis.url, REDIS_URL, or a
// private redis-server that lives until the returned func is called).
func connectRedis(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
	c, err := redisproc.Connect(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c.Client, c.Close, nil
}
