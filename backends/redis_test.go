package backends_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/internal/redistest"
	"github.com/authbench/authbench/internal/testutil"
)

// Tests in this file talk to a real, private redis-server per test (no
// mocks). They do not run in parallel: goleak checks each test's own
// goroutines, and several tests kill or pause their server.

const testTimeout = 200 * time.Millisecond

// faultMargin is how much later than redis.timeout a call may return after
// the store died or froze: scheduling noise on a loaded CI machine, not
// a retry.
const faultMargin = 150 * time.Millisecond

// leakCheck verifies at the end of the test, after every other cleanup,
// that the test left no goroutine behind.
func leakCheck(t *testing.T) { testutil.LeakCheck(t) }

// redisEnv starts a private server and returns an Env whose namespace is
// unique to the test.
func redisEnv(t *testing.T, ttl time.Duration) (*backends.Env, *redisproc.Conn) {
	t.Helper()
	cfg := backends.RedisConfig{Timeout: testTimeout, PoolSize: 8}
	return envOn(t, ttl, cfg, redistest.Start(t, cfg))
}

// envOn returns an Env on conn whose namespace is unique to the test.
func envOn(t *testing.T, ttl time.Duration, cfg backends.RedisConfig, conn *redisproc.Conn) (*backends.Env, *redisproc.Conn) {
	return &backends.Env{
		Token:       backends.TokenConfig{TTL: ttl, Leeway: 0, Issuer: "authbench", Audience: "api"},
		Redis:       cfg,
		RedisClient: conn.Client,
		Namespace:   "authbench:test:" + t.Name() + ":",
	}, conn
}

// openNode opens one node of name, with the backend's default options, and
// closes it at the end of the test.
func openNode(t *testing.T, name string, env *backends.Env) backends.Strategy {
	t.Helper()
	e, ok := backends.Lookup(name)
	if !ok {
		t.Fatalf("backend %s not registered", name)
	}
	if env.Options == nil && e.Options != nil {
		env.Options = e.Options()
	}
	s, err := backends.Open(name, env)
	if err != nil {
		t.Fatalf("open %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("close %s: %v", name, err)
		}
	})
	return s
}

func ctxT(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// mustIssue logs user in on s.
func mustIssue(t *testing.T, s backends.Strategy, user string) backends.Credential {
	t.Helper()
	c, err := s.Issue(ctxT(t), user)
	if err != nil {
		t.Fatalf("issue for %s: %v", user, err)
	}
	return c
}

func wantAccept(t *testing.T, s backends.Strategy, token, what string) {
	t.Helper()
	if err := s.Validate(ctxT(t), token); err != nil {
		t.Fatalf("%s: Validate = %v, want accepted", what, err)
	}
}

func wantReject(t *testing.T, s backends.Strategy, token string, reason error, what string) {
	t.Helper()
	err := s.Validate(ctxT(t), token)
	if !backends.IsRejection(err) {
		t.Fatalf("%s: Validate = %v, want a rejection", what, err)
	}
	if reason != nil && !errors.Is(err, reason) {
		t.Fatalf("%s: Validate = %v, want %v", what, err, reason)
	}
}

// wantInfraError checks that err is an infrastructure error, not a
// rejection, and that it came within the time-out.
func wantInfraError(t *testing.T, err error, took time.Duration, what string) {
	t.Helper()
	if err == nil {
		t.Fatalf("%s: accepted, want an error", what)
	}
	if backends.IsRejection(err) {
		t.Fatalf("%s: %v counted as a rejection, want an infrastructure error", what, err)
	}
	if took > testTimeout+faultMargin {
		t.Fatalf("%s: error after %v, want within %v + %v", what, took, testTimeout, faultMargin)
	}
	t.Logf("%s: %v after %v", what, err, took)
}

var sessionBackends = []string{"session-redis", "session-redis-cached"}

func TestRedisBackendsInfo(t *testing.T) {
	for _, name := range append(sessionBackends, denylistBackends...) {
		if name == "jwt-denylist-memory" {
			continue // the one hybrid without Redis
		}
		e, ok := backends.Lookup(name)
		if !ok {
			t.Errorf("%s not registered", name)
			continue
		}
		if !e.Info.NeedsRedis {
			t.Errorf("%s: NeedsRedis = false", name)
		}
		if e.Info.Description == "" {
			t.Errorf("%s: no description", name)
		}
		env := &backends.Env{}
		if e.Options != nil {
			env.Options = e.Options()
		}
		if _, err := backends.Open(name, env); !errors.Is(err, backends.ErrUnavailable) {
			t.Errorf("%s without Redis: %v, want ErrUnavailable", name, err)
		}
	}
	if d := mustLookup(t, "session-redis-cached").Info.Description; !strings.Contains(d, "experimental") {
		t.Errorf("session-redis-cached description does not say the go-redis feature is experimental: %q", d)
	}
}

func mustLookup(t *testing.T, name string) backends.Entry {
	e, ok := backends.Lookup(name)
	if !ok {
		t.Fatalf("%s not registered", name)
	}
	return e
}

func TestSessionRedisLifecycle(t *testing.T) {
	for _, name := range sessionBackends {
		t.Run(name, func(t *testing.T) {
			leakCheck(t)
			env, _ := redisEnv(t, 400*time.Millisecond)
			s := openNode(t, name, env)
			ctx := ctxT(t)

			c := mustIssue(t, s, "alice")
			if c.ID != c.Token || c.Subject != "alice" || len(c.Token) < 22 {
				t.Fatalf("credential %+v: want ID = Token, subject alice, at least 128 bits", c)
			}
			wantAccept(t, s, c.Token, "fresh session")
			wantAccept(t, s, c.Token, "second validation")

			other := mustIssue(t, s, "bob")
			if other.Token == c.Token {
				t.Fatal("two logins got the same session ID")
			}

			if err := s.Revoke(ctx, c); err != nil {
				t.Fatal(err)
			}
			wantReject(t, s, c.Token, backends.ErrUnknownSession, "revoked session")
			wantAccept(t, s, other.Token, "other user's session after a revoke")

			unknown := strings.Repeat("A", len(c.Token))
			wantReject(t, s, unknown, backends.ErrUnknownSession, "unknown ID")
			for _, bad := range []string{"", "short", c.Token + "x", strings.Repeat("A", 42) + "*", strings.Repeat("x", 1<<20)} {
				wantReject(t, s, bad, backends.ErrMalformed, "malformed ID")
			}

			// Past the TTL the session is refused: as unknown once Redis has
			// removed the record, or as expired while a cached copy (whose
			// invalidation may still be on its way) carries the expiry.
			time.Sleep(env.Token.TTL + 100*time.Millisecond)
			wantReject(t, s, other.Token, nil, "session past its TTL")
			if err := s.Validate(ctx, other.Token); !errors.Is(err, backends.ErrUnknownSession) && !errors.Is(err, backends.ErrExpired) {
				t.Fatalf("session past its TTL: Validate = %v, want unknown session or expired", err)
			}
		})
	}
}

// TestSessionRedisExpiryInRecord checks the expiry carried in the record,
// which is what protects a cached copy: with the clock moved past it, the
// session is refused although Redis still holds it.
func TestSessionRedisExpiryInRecord(t *testing.T) {
	for _, name := range sessionBackends {
		t.Run(name, func(t *testing.T) {
			skew, s, c := skewedLogin(t, name)
			wantAccept(t, s, c.Token, "fresh")
			skew.Store(int64(time.Minute + time.Second))
			wantReject(t, s, c.Token, backends.ErrExpired, "past expiry")
		})
	}
}

func TestSessionRedisNamespaces(t *testing.T) {
	leakCheck(t)
	env, conn := redisEnv(t, time.Minute)
	a := openNode(t, "session-redis", env)
	envB := *env
	envB.Namespace = "authbench:test:other:"
	envB.RedisClient = conn.Client
	b := openNode(t, "session-redis", &envB)
	c := mustIssue(t, a, "alice")
	wantAccept(t, a, c.Token, "own namespace")
	wantReject(t, b, c.Token, backends.ErrUnknownSession, "other run's namespace")
}

func TestSessionRedisStoreSize(t *testing.T) {
	for _, name := range sessionBackends {
		t.Run(name, func(t *testing.T) {
			leakCheck(t)
			env, _ := redisEnv(t, time.Minute)
			s := openNode(t, name, env)
			ctx := ctxT(t)
			var creds []backends.Credential
			for i := 0; i < 5; i++ {
				c := mustIssue(t, s, "user")
				creds = append(creds, c)
			}
			if err := s.Revoke(ctx, creds[0]); err != nil {
				t.Fatal(err)
			}
			n, bytes, err := s.(backends.Sizer).StoreSize(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if n != 4 {
				t.Errorf("entries = %d, want 4", n)
			}
			if bytes <= 0 {
				t.Errorf("bytes = %d, want > 0", bytes)
			}
		})
	}
}

// TestSessionRedisCachedCrossNode logs out on node A and measures how long
// node B, which has the session in its local cache, keeps accepting it.
func TestSessionRedisCachedCrossNode(t *testing.T) {
	_, conn, a, b, c := loggedInTwice(t, "session-redis-cached")
	ctx := ctxT(t)
	wantAccept(t, b, c.Token, "issued on A, validated on B")
	wantAccept(t, b, c.Token, "B again (cached)")

	// Served from B's cache: it keeps accepting while Redis is frozen.
	if err := conn.Server.Pause(); err != nil {
		t.Fatal(err)
	}
	err := b.Validate(ctx, c.Token)
	if rerr := conn.Server.Resume(); rerr != nil {
		t.Fatal(rerr)
	}
	if err != nil {
		t.Fatalf("cached validation with Redis paused: %v, want accepted from the local cache", err)
	}

	if err := a.Revoke(ctx, c); err != nil {
		t.Fatal(err)
	}
	untilRefused(t, ctx, b, c.Token, time.Now(), backends.IsRejection, "invalidation delay A→B")
}

// untilRefused polls s until it refuses token, and logs how long after
// since that took. refused tells the awaited refusal; any other error, or
// an acceptance 1 s after since, fails the test.
func untilRefused(t *testing.T, ctx context.Context, s backends.Strategy, token string, since time.Time, refused func(error) bool, what string) {
	t.Helper()
	for {
		err := s.Validate(ctx, token)
		if refused(err) {
			t.Logf("%s: %v", what, time.Since(since))
			return
		}
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		if time.Since(since) > time.Second {
			t.Fatalf("%s: still accepted after 1s", what)
		}
		time.Sleep(50 * time.Microsecond)
	}
}

// skewedLogin opens one node of name on a private server, with a clock the
// test moves through skew (see skewClock), and logs alice in.
func skewedLogin(t *testing.T, name string) (*atomic.Int64, backends.Strategy, backends.Credential) {
	t.Helper()
	leakCheck(t)
	env, _ := redisEnv(t, time.Minute)
	skew := skewClock(env) // before opening: nodes read the clock func once
	s := openNode(t, name, env)
	c := mustIssue(t, s, "alice")
	return skew, s, c
}

// loggedInTwice opens two nodes a and b of name on a private server and
// logs alice in on a.
func loggedInTwice(t *testing.T, name string) (env *backends.Env, conn *redisproc.Conn, a, b backends.Strategy, c backends.Credential) {
	t.Helper()
	leakCheck(t)
	env, conn = redisEnv(t, time.Minute)
	a = openNode(t, name, env)
	b = openNode(t, name, env)
	c = mustIssue(t, a, "alice")
	return env, conn, a, b, c
}

// loggedIn opens one node of name on a private server and logs alice in.
func loggedIn(t *testing.T, name string) (*redisproc.Conn, backends.Strategy, backends.Credential) {
	t.Helper()
	leakCheck(t)
	env, conn := redisEnv(t, time.Minute)
	s := openNode(t, name, env)
	c := mustIssue(t, s, "alice")
	return conn, s, c
}

func TestSessionRedisFaults(t *testing.T) {
	for _, name := range sessionBackends {
		t.Run(name+"/killed", func(t *testing.T) {
			conn, s, c := loggedIn(t, name)
			if err := conn.Server.Kill(); err != nil {
				t.Fatal(err)
			}
			// A token never seen by this node's cache: every backend must
			// ask Redis.
			unknown := strings.Repeat("B", len(c.Token))
			start := time.Now()
			err := s.Validate(ctxT(t), unknown)
			wantInfraError(t, err, time.Since(start), "validate with Redis killed")
			start = time.Now()
			_, err = s.Issue(ctxT(t), "bob")
			wantInfraError(t, err, time.Since(start), "issue with Redis killed")
		})
		t.Run(name+"/paused", func(t *testing.T) {
			conn, s, c := loggedIn(t, name)
			if err := conn.Server.Pause(); err != nil {
				t.Fatal(err)
			}
			unknown := strings.Repeat("C", len(c.Token))
			start := time.Now()
			err := s.Validate(ctxT(t), unknown)
			took := time.Since(start)
			if rerr := conn.Server.Resume(); rerr != nil {
				t.Fatal(rerr)
			}
			wantInfraError(t, err, took, "validate with Redis paused")
			if took < testTimeout/2 {
				t.Errorf("error after %v: too early for a time-out of %v", took, testTimeout)
			}
			// Recovers once the server runs again.
			testutil.Eventually(t, 2*time.Second, func() error {
				if err := s.Validate(ctxT(t), c.Token); err != nil {
					return fmt.Errorf("no recovery after SIGCONT: %w", err)
				}
				return nil
			})
		})
	}
}

func redisZ(score float64, member string) redis.Z { return redis.Z{Score: score, Member: member} }

// skewClock makes env.Now run ahead of real time by the returned value; the
// subscriber goroutines read it too, hence the atomic.
func skewClock(env *backends.Env) *atomic.Int64 {
	var skew atomic.Int64
	env.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	return &skew
}
