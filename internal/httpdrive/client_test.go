package httpdrive

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpserve"
	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/load"
	"github.com/authbench/authbench/internal/redistest"
)

func openNode(t testing.TB, name string, shared *backends.Env) backends.Strategy {
	t.Helper()
	env := *shared
	s, err := backends.Open(name, &env)
	if err != nil {
		t.Fatal(err)
	}
	shared.Keys = env.Keys
	return s
}

func newEnv() *backends.Env {
	return &backends.Env{Token: backends.TokenConfig{TTL: time.Minute, Leeway: time.Second, ClaimsBytes: 50, Issuer: "authbench", Audience: "api"}}
}

var testTLS = func() *keys.TLS {
	k, err := keys.GenerateTLS()
	if err != nil {
		panic(err)
	}
	return k
}()

// stack serves backend over transport ("http" or "https") and returns the
// client strategy.
func stack(t testing.TB, backend, transport string, srv httpserve.Config, cli Config) backends.Strategy {
	t.Helper()
	node := openNode(t, backend, newEnv())
	var stls = testTLS.ServerConfig()
	if transport == "http" {
		stls = nil
	} else {
		cli.TLS = testTLS.ClientConfig()
	}
	st, _, err := Loopback(node, srv, stls, cli)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Login, validation, logout and a refused replay, for every combination
// of transport and credential placement, on a backend that can revoke.
func TestRoundTrip(t *testing.T) {
	for _, tr := range []string{"http", "https"} {
		for _, in := range []string{httpserve.InHeader, httpserve.InCookie} {
			for _, h2 := range []bool{false, true} {
				if h2 && tr == "http" {
					continue
				}
				t.Run(tr+"-"+in+map[bool]string{true: "-h2"}[h2], func(t *testing.T) {
					st := stack(t, "jwt-denylist-memory", tr, httpserve.Config{Credential: in}, Config{H2: h2})
					ctx := context.Background()
					c, err := st.Issue(ctx, "alice")
					if err != nil {
						t.Fatal(err)
					}
					if c.Token == "" || c.ID == "" || c.ExpiresAt.IsZero() {
						t.Fatalf("credential incomplete: %+v", c)
					}
					for range 3 {
						if err := st.Validate(ctx, c.Token); err != nil {
							t.Fatalf("valid credential: %v", err)
						}
					}
					if err := st.Validate(ctx, c.Token+"x"); !backends.IsRejection(err) {
						t.Fatalf("tampered credential: %v, want a rejection", err)
					}
					if err := st.Revoke(ctx, c); err != nil {
						t.Fatalf("logout: %v", err)
					}
					if err := st.Validate(ctx, c.Token); !backends.IsRejection(err) {
						t.Fatalf("revoked credential: %v, want a rejection", err)
					}
					s := ClientOf(st).Stats()
					if s.Validations != 5 || s.Requests != 7 || s.BytesSent < int64(5*len(c.Token)) || s.BytesReceived == 0 {
						t.Errorf("stats %+v: want 5 validations, 7 requests and the tokens' bytes sent", s)
					}
					if tr == "https" && s.Handshakes == 0 {
						t.Errorf("https without a handshake counted: %+v", s)
					}
				})
			}
		}
	}
}

// Refresh over HTTP rotates the refresh token (the old one is refused
// afterwards), and logout ends the family, in both credential modes.
func TestRefreshOverHTTP(t *testing.T) {
	ctx := context.Background()
	for _, in := range []string{httpserve.InHeader, httpserve.InCookie} {
		t.Run(in, func(t *testing.T) {
			env := newEnv()
			env.RedisClient = redistest.Start(t, backends.RedisConfig{Timeout: time.Second}).Client
			env.Namespace = "t:" + in + ":"
			// No grace for a retried refresh: the reuse below is theft.
			env.Options = &backends.RefreshOptions{RefreshTTL: time.Hour}
			node := openNode(t, "jwt-refresh", env)
			st, _, err := Loopback(node, httpserve.Config{Credential: in}, nil, Config{})
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			r, ok := st.(backends.Refresher)
			if !ok {
				t.Fatal("client of a refresh backend does not refresh")
			}
			c1, err := st.Issue(ctx, "bob")
			if err != nil || c1.Refresh == "" {
				t.Fatalf("login: %+v, %v (want a refresh token)", c1, err)
			}
			// The client forgets a credential's CSRF token once it is
			// replaced; keep it so that the reuse below fails for the reuse,
			// not for a missing CSRF token.
			csrf1, _ := ClientOf(st).csrf.Load(c1.Token)
			c2, err := r.Refresh(ctx, c1)
			if err != nil || c2.Refresh == "" || c2.Refresh == c1.Refresh {
				t.Fatalf("refresh: %+v, %v (want a new refresh token)", c2, err)
			}
			if err := st.Validate(ctx, c2.Token); err != nil {
				t.Fatalf("refreshed credential: %v", err)
			}
			if csrf1 != nil {
				ClientOf(st).csrf.Store(c1.Token, csrf1)
			}
			if _, err := r.Refresh(ctx, c1); !errors.Is(err, ErrUnauthorized) {
				t.Fatalf("reused refresh token: %v, want 401", err)
			}
			c3, err := st.Issue(ctx, "carol")
			if err != nil {
				t.Fatal(err)
			}
			if err := st.Revoke(ctx, c3); err != nil {
				t.Fatalf("logout: %v", err)
			}
			if _, err := r.Refresh(ctx, c3); !backends.IsRejection(err) { // 401, or 403: the CSRF token went with the logout
				t.Fatalf("refresh after logout: %v, want a rejection", err)
			}
		})
	}
}

// The engine drives the HTTP client as it drives an in-process backend:
// sessions behind HTTP are revoked at once, so no replay is accepted, and
// the outcome matrix holds no false answer.
func TestEngineOverHTTP(t *testing.T) {
	st := stack(t, "session-memory", "https", httpserve.Config{Credential: httpserve.InCookie}, Config{Conns: 2, NewConnections: 0.1, Resumption: 0.5})
	e, err := load.New(load.Config{Model: load.Closed, Clients: 2, Users: 50, Seed: 1, Duration: time.Second,
		RevocationRate: 50, Replay: 0.2}, []backends.Strategy{st})
	if err != nil {
		t.Fatal(err)
	}
	res, err := e.Run(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	o, rv := res.Outcomes, res.Revocation
	if o.Accepted == 0 || o.Errors != 0 || o.FalseAccepts != 0 || o.FalseRejects != 0 {
		t.Errorf("outcomes %+v (samples %q)", o, res.ErrorSamples)
	}
	if rv.Revoked == 0 || rv.Replays == 0 || rv.ReplaysAccepted != 0 {
		t.Errorf("revocation %+v: want revocations and replays, none accepted", rv)
	}
	s := ClientOf(st).Stats()
	// 10% of validations on a new connection, half of them resumed: the
	// counts are exact shares of the validations sent (logins and logouts
	// add kept-alive connections only).
	fresh := s.Validations / 10
	if s.Resumptions < fresh/2-1 || s.Handshakes < fresh/2-1 || s.Connections < fresh {
		t.Errorf("%+v: want about %d new connections, half resumed, half full handshakes", s, fresh)
	}
}
