package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/report"
)

func init() {
	redisConnector = connectRedis
	finishRun = writeReport
	// go-redis logs every failed dial to stderr by itself. authbench gets
	// the same failure as the call's error, and counts and reports it; the
	// log lines only bury the one-line error and break the progress display.
	redis.SetLogger(discardLogger{})
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// connectRedis connects the Redis backends. Without a URL and without
// redis-server on this machine they are skipped with a warning (the other
// backends still run); a URL that was given but does not answer is an
// error before anything is measured, because the user asked for that Redis.
func connectRedis(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
	c, err := redisproc.Connect(ctx, cfg)
	if errors.Is(err, redisproc.ErrNoRedisServer) {
		return nil, nil, fmt.Errorf("%w: %v", backends.ErrUnavailable, err)
	}
	if err != nil {
		return nil, nil, err
	}
	return c.Client, c.Close, nil
}

// writeReport writes bench.txt, the charts and report.md from the files
// of a finished run.
func writeReport(dir string) error {
	s, err := report.ReadSummary(dir)
	if err != nil {
		return err
	}
	f, err := os.Create(filepath.Join(dir, "bench.txt"))
	if err != nil {
		return err
	}
	if err := report.WriteBench(f, s); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return report.Render(dir)
}
