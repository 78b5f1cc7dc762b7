package backends_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/testutil"
)

func TestRefreshRotation(t *testing.T) {
	skew, s, c0 := skewedLogin(t, "jwt-refresh")
	r := s.(backends.Refresher)
	ctx := ctxT(t)
	if c0.Refresh == "" || c0.Refresh == c0.Token {
		t.Fatalf("credential %+v: want a separate refresh token", c0)
	}
	wantAccept(t, s, c0.Token, "fresh access token")

	c1, err := r.Refresh(ctx, c0)
	if err != nil {
		t.Fatal(err)
	}
	if c1.Refresh == c0.Refresh || c1.Token == c0.Token || c1.Subject != "alice" {
		t.Fatalf("refresh did not rotate: %+v -> %+v", c0, c1)
	}
	wantAccept(t, s, c1.Token, "refreshed access token")
	c2, err := r.Refresh(ctx, c1)
	if err != nil {
		t.Fatalf("second rotation: %v", err)
	}

	// Past the reuse grace, c0's refresh token presented again is theft.
	skew.Store(int64(backends.DefaultReuseGrace + time.Second))
	if _, err := r.Refresh(ctx, c0); !errors.Is(err, backends.ErrRefreshReuse) || !backends.IsRejection(err) {
		t.Fatalf("reuse of a used refresh token: %v, want a ErrRefreshReuse rejection", err)
	}
	// ... and the whole family is gone, the legitimate newest token too.
	if _, err := r.Refresh(ctx, c2); !errors.Is(err, backends.ErrRefreshReuse) {
		t.Fatalf("newest token of a reused family: %v, want ErrRefreshReuse", err)
	}
	// Access tokens are not touched by refresh-token events.
	wantAccept(t, s, c2.Token, "access token of a revoked family (until it expires)")
}

func TestRefreshLogoutAndBadTokens(t *testing.T) {
	skew, s, c := skewedLogin(t, "jwt-refresh")
	r := s.(backends.Refresher)
	ctx := ctxT(t)
	if err := s.Revoke(ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := r.Refresh(ctx, c); !errors.Is(err, backends.ErrRevoked) {
		t.Fatalf("refresh after logout: %v, want ErrRevoked", err)
	}
	// The point of the design: the access token outlives the logout, for at
	// most its TTL.
	wantAccept(t, s, c.Token, "access token after logout, before expiry")
	skew.Store(int64(time.Minute + time.Second))
	wantReject(t, s, c.Token, nil, "access token past its TTL")
	skew.Store(int64(0))

	fam := strings.Split(c.Refresh, ".")[0]
	for _, tt := range []struct {
		refresh string
		want    error
	}{
		{"", backends.ErrMalformed},
		{"nodot", backends.ErrMalformed},
		{fam + ".short", backends.ErrMalformed},
		{strings.Repeat("A", 22) + "." + strings.Repeat("B", 22), backends.ErrUnknownSession},
		{fam + "." + strings.Repeat("B", 22), backends.ErrRevoked}, // forged secret in a logged-out family
	} {
		_, err := r.Refresh(ctx, backends.Credential{Refresh: tt.refresh})
		if !errors.Is(err, tt.want) || !backends.IsRejection(err) {
			t.Errorf("refresh %q: %v, want %v", tt.refresh, err, tt.want)
		}
	}
}

// TestRefreshConcurrentUse: clients present the same refresh token at
// once. Within the reuse grace they all get the same successor (the family
// never forks); without a grace exactly one rotation wins and the others
// are reuse.
func TestRefreshConcurrentUse(t *testing.T) {
	for _, grace := range []time.Duration{backends.DefaultReuseGrace, 0} {
		t.Run("grace="+grace.String(), func(t *testing.T) {
			leakCheck(t)
			env, _ := redisEnv(t, time.Minute)
			env.Options = &backends.RefreshOptions{RefreshTTL: time.Hour, ReuseGrace: grace}
			s := openNode(t, "jwt-refresh", env)
			r := s.(backends.Refresher)
			ctx := ctxT(t)
			c := mustIssue(t, s, "alice")
			const n = 8
			errs := make([]error, n)
			got := make([]string, n)
			var wg sync.WaitGroup
			for i := range n {
				wg.Go(func() {
					var nc backends.Credential
					nc, errs[i] = r.Refresh(ctx, c)
					got[i] = nc.Refresh
				})
			}
			wg.Wait()
			var ok, reuse int
			successors := map[string]bool{}
			for i, err := range errs {
				switch {
				case err == nil:
					ok++
					successors[got[i]] = true
				case errors.Is(err, backends.ErrRefreshReuse):
					reuse++
				default:
					t.Errorf("unexpected: %v", err)
				}
			}
			if grace > 0 && (ok != n || len(successors) != 1) {
				t.Fatalf("%d succeeded with %d different successors, %d reuse; want %d with one", ok, len(successors), reuse, n)
			}
			if grace == 0 && (ok != 1 || reuse != n-1) {
				t.Fatalf("%d succeeded, %d reuse; want 1 and %d", ok, reuse, n-1)
			}
		})
	}
}

func TestRefreshRedisDown(t *testing.T) {
	conn, s, c := loggedIn(t, "jwt-refresh")
	if err := conn.Server.Kill(); err != nil {
		t.Fatal(err)
	}
	wantAccept(t, s, c.Token, "access token needs no store")
	start := time.Now()
	_, err := s.(backends.Refresher).Refresh(ctxT(t), c)
	wantInfraError(t, err, time.Since(start), "refresh with Redis killed")
}

func TestRefreshOptionsCheck(t *testing.T) {
	o := mustLookup(t, "jwt-refresh").Options().(*backends.RefreshOptions)
	if o.RefreshTTL != 24*time.Hour {
		t.Errorf("default refresh_ttl = %v, want 24h", o.RefreshTTL)
	}
	if err := o.Check(); err != nil {
		t.Fatal(err)
	}
	o.RefreshTTL = 0
	if o.Check() == nil {
		t.Error("refresh_ttl 0 accepted")
	}
}

// TestRefreshRetryAfterLostReply: the store freezes while a rotation is
// in flight, the call times out, and the rotation runs when the store
// comes back: its reply is lost. The client retries with the same refresh
// token. That is not theft: no reuse is reported and the user stays logged
// in (the family goes on rotating).
func TestRefreshRetryAfterLostReply(t *testing.T) {
	leakCheck(t)
	env, conn := redisEnv(t, time.Minute)
	s := openNode(t, "jwt-refresh", env)
	r := s.(backends.Refresher)
	ctx := ctxT(t)
	c, err := r.Refresh(ctx, mustIssue(t, s, "alice")) // loads the script into Redis
	if err != nil {
		t.Fatal(err)
	}
	fam, secret, _ := strings.Cut(c.Refresh, ".")
	key := env.Namespace + "rt:{" + fam[:1] + "}" + fam + ":" + secret

	if err := conn.Server.Pause(); err != nil {
		t.Fatal(err)
	}
	_, err = r.Refresh(ctx, c)
	if rerr := conn.Server.Resume(); rerr != nil {
		t.Fatal(rerr)
	}
	if err == nil || backends.IsRejection(err) {
		t.Fatalf("refresh against a frozen store: %v, want a time-out", err)
	}
	// The rotation sent before the freeze runs once the store is back.
	testutil.Eventually(t, 3*time.Second, func() error {
		if v, _ := conn.Client.Get(ctx, key).Result(); !strings.HasPrefix(v, "u:") {
			return fmt.Errorf("the timed-out rotation never ran (token value %q): nothing was lost, the test proves nothing", v)
		}
		return nil
	})
	retried, err := r.Refresh(ctx, c)
	if err != nil {
		t.Fatalf("retry of a rotation whose reply was lost: %v, want the same successor", err)
	}
	wantAccept(t, s, retried.Token, "access token from the retried rotation")
	if _, err := r.Refresh(ctx, retried); err != nil {
		t.Fatalf("next rotation after the retry: %v: the user was logged out", err)
	}
}
