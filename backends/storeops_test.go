package backends_test

import (
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

// opsOf reads a node's counters; every backend with a store counts.
func opsOf(t *testing.T, s backends.Strategy) backends.StoreOps {
	t.Helper()
	c, ok := s.(backends.OpCounter)
	if !ok {
		t.Fatalf("%T does not count its store operations", s)
	}
	return c.StoreOps()
}

// TestStoreOpsCounted checks that validations are counted by what they
// did, not by what the backend declares: logins and logouts add nothing, a
// forged JWT costs no look-up (the signature is checked first), and each
// validation of a well-formed credential costs exactly one.
func TestStoreOpsCounted(t *testing.T) {
	env, _ := redisEnv(t, time.Minute)
	for _, tc := range []struct {
		name  string
		local bool // an in-process store: look-ups, not round trips
	}{
		{"session-memory", true},
		{"jwt-denylist-memory", true},
		{"jwt-denylist-pubsub", true},
		{"session-redis", false},
		{"jwt-denylist-redis", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := *env
			e.Namespace += tc.name + ":"
			e.Options = nil
			s := openNode(t, tc.name, &e)
			ctx := ctxT(t)
			before := opsOf(t, s)
			a := mustIssue(t, s, "alice")
			b := mustIssue(t, s, "bob")
			if err := s.Revoke(ctx, b); err != nil {
				t.Fatal(err)
			}
			if got := opsOf(t, s).Sub(before); got != (backends.StoreOps{}) {
				t.Fatalf("logins and a logout counted as validation store operations: %+v", got)
			}
			for range 3 {
				if err := s.Validate(ctx, a.Token); err != nil {
					t.Fatalf("validate: %v", err)
				}
			}
			if err := s.Validate(ctx, b.Token); err == nil {
				t.Fatal("revoked credential accepted")
			}
			// Garbage is refused before any store is asked.
			if err := s.Validate(ctx, "x"); err == nil {
				t.Fatal("garbage accepted")
			}
			got := opsOf(t, s).Sub(before)
			want := backends.StoreOps{RoundTrips: 4}
			if tc.local {
				want = backends.StoreOps{LocalLookups: 4}
			}
			if got != want {
				t.Errorf("after 4 validations of well-formed credentials and 1 of garbage: %+v, want %+v", got, want)
			}
		})
	}
}

// TestStoreOpsSharedClient checks that two nodes on one Redis client count
// each validation once, on the node that made it: the hook is installed
// once per client, the count goes to the node named by the context.
func TestStoreOpsSharedClient(t *testing.T) {
	env, _ := redisEnv(t, time.Minute)
	n1 := openNode(t, "session-redis", env)
	n2 := openNode(t, "session-redis", env)
	ctx := ctxT(t)
	c := mustIssue(t, n1, "alice")
	b1, b2 := opsOf(t, n1), opsOf(t, n2)
	for range 5 {
		if err := n2.Validate(ctx, c.Token); err != nil {
			t.Fatal(err)
		}
	}
	if d := opsOf(t, n1).Sub(b1); d.RoundTrips != 0 {
		t.Errorf("node 1 made no validation but counts %d round trips", d.RoundTrips)
	}
	if d := opsOf(t, n2).Sub(b2); d.RoundTrips != 5 {
		t.Errorf("node 2 made 5 validations and counts %d round trips", d.RoundTrips)
	}
}

// TestStoreOpsCachedHits checks that session-redis-cached counts a read
// served from its cache as a hit and not as a round trip.
func TestStoreOpsCachedHits(t *testing.T) {
	_, s, c := loggedIn(t, "session-redis-cached")
	ctx := ctxT(t)
	before := opsOf(t, s)
	for range 10 {
		if err := s.Validate(ctx, c.Token); err != nil {
			t.Fatal(err)
		}
	}
	d := opsOf(t, s).Sub(before)
	if d.CacheHits+d.CacheMisses != 10 {
		t.Fatalf("10 cached reads, but %d hits + %d misses", d.CacheHits, d.CacheMisses)
	}
	if d.CacheHits < 8 {
		t.Errorf("the same session read 10 times: %d hits, want at least 8", d.CacheHits)
	}
	if d.RoundTrips != 10-d.CacheHits {
		t.Errorf("round trips %d, want 10 reads − %d hits", d.RoundTrips, d.CacheHits)
	}
}

// TestStoreOpsRefresh checks that jwt-refresh validates without a store
// and counts the round trips of a refresh apart.
func TestStoreOpsRefresh(t *testing.T) {
	_, s, c := loggedIn(t, "jwt-refresh")
	ctx := ctxT(t)
	before := opsOf(t, s)
	if err := s.Validate(ctx, c.Token); err != nil {
		t.Fatal(err)
	}
	if _, err := s.(backends.Refresher).Refresh(ctx, c); err != nil {
		t.Fatal(err)
	}
	d := opsOf(t, s).Sub(before)
	if d.RoundTrips != 0 || d.LocalLookups != 0 {
		t.Errorf("validation of a refresh backend's access token reached a store: %+v", d)
	}
	if d.RefreshRoundTrips < 1 {
		t.Errorf("a refresh counted %d round trips, want at least 1", d.RefreshRoundTrips)
	}
}

// TestStatelessHoldNoCounter: plain JWT and JWE backends hold no store, so
// they have nothing to count; a backend that grew one would have to count
// it, and this test would name it.
func TestStatelessHoldNoCounter(t *testing.T) {
	for _, name := range backends.Names() {
		e, _ := backends.Lookup(name)
		if e.Info.Family != "jwt" && e.Info.Family != "jwe" {
			continue
		}
		s := openNode(t, name, &backends.Env{Token: backends.TokenConfig{TTL: time.Minute, Issuer: "authbench", Audience: "api"}})
		if _, ok := s.(backends.OpCounter); ok || e.Info.Stateful || e.Info.NeedsRedis {
			t.Errorf("%s is in family %s but holds a store", name, e.Info.Family)
		}
	}
}
