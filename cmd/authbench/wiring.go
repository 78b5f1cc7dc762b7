package main

import (
	"context"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/report"
)

func init() {
	// Without a URL and without redis-server the Redis backends are
	// skipped with a warning (redisproc's error wraps ErrUnavailable); a URL
	// that was given but does not answer stops the run before anything is
	// measured, because the user asked for that Redis.
	redisConnector = redisproc.Connector
	// go-redis logs every failed dial to stderr by itself. authbench gets
	// the same failure as the call's error, and counts and reports it; the
	// log lines only bury the one-line error and break the progress display.
	redis.SetLogger(discardLogger{})
}

type discardLogger struct{}

func (discardLogger) Printf(context.Context, string, ...any) {}

// renderReport draws the charts and writes report.md from the files of a
// run folder the runner has written.
var renderReport = report.Render
