package runner

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"syscall"
	"time"

	"github.com/redis/go-redis/v9"
)

// A run's set-up (connecting, opening the nodes, logging every user in)
// is tried this many times when it fails transiently, waiting
// setupBackoff, then twice that, between tries. One Redis time-out while
// logging 10,000 users in should not end a plan of hundreds of runs;
// a store that stays down should end it within seconds.
const (
	setupTries   = 3
	setupBackoff = 250 * time.Millisecond
)

// retrySetup calls try(1), try(2), … until it succeeds, fails for a reason
// that trying again cannot change, ctx is done or tries run out. failed is
// told of every failure that is tried again.
func retrySetup[T any](ctx context.Context, tries int, backoff time.Duration, try func(n int) (T, error), failed func(n int, err error)) (T, error) {
	for n := 1; ; n++ {
		v, err := try(n)
		if err == nil || n >= tries || ctx.Err() != nil || !transient(err) {
			return v, err
		}
		failed(n, err)
		t := time.NewTimer(backoff << (n - 1))
		select {
		case <-ctx.Done():
			t.Stop()
			return v, err
		case <-t.C:
		}
	}
}

// transient reports whether err is a store failure that may pass by
// itself: a time-out, a refused or reset connection, a server still
// loading its data or failing over. A refusal (a wrong password, an ACL
// that forbids a command, a rejected credential) is not.
func transient(err error) bool {
	if errors.Is(err, context.Canceled) {
		return false
	}
	var nerr net.Error
	if errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &nerr) && nerr.Timeout()) {
		return true
	}
	for _, e := range []error{syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EPIPE, io.EOF, io.ErrUnexpectedEOF} {
		if errors.Is(err, e) {
			return true
		}
	}
	var rerr redis.Error
	if errors.As(err, &rerr) {
		for _, p := range []string{"LOADING", "TRYAGAIN", "BUSY ", "CLUSTERDOWN", "MASTERDOWN"} {
			if strings.HasPrefix(rerr.Error(), p) {
				return true
			}
		}
	}
	return false
}
