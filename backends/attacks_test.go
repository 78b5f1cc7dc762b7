package backends

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"go.uber.org/goleak"

	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/testutil"
)

// tokenBackends lists the stateless token backends (the hybrids need a
// store or are covered apart) and how to forge for them.
var tokenBackends = func() []struct {
	name   string
	kind   tokenKind
	alg    string
	keyAlg jose.KeyAlgorithm
} {
	var out []struct {
		name   string
		kind   tokenKind
		alg    string
		keyAlg jose.KeyAlgorithm
	}
	for _, n := range []string{"jwt-hs256", "jwt-rs256", "jwt-es256", "jwt-eddsa", "jwe-dir", "jwe-rsa-oaep", "jwe-ecdh-es", "jwe-nested"} {
		ft := tokenFormats[n]
		out = append(out, struct {
			name   string
			kind   tokenKind
			alg    string
			keyAlg jose.KeyAlgorithm
		}{n, ft.kind, ft.alg, ft.keyAlg})
	}
	return out
}()

// testKeysDir holds a key set written once for the whole package; opening
// backends from it also exercises keys.Load.
var (
	testKeysDir string
	testKeys    *keys.Set
	// otherKeys is a second, unrelated key set: what an attacker holds.
	otherKeys *keys.Set
	// attackerRing hands out otherKeys, for RunAttacks.
	attackerRing *keys.Ring
)

// t0 is the fixed time test tokens are minted at.
var t0 = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func TestMain(m *testing.M) {
	os.Exit(runTests(m))
}

func runTests(m *testing.M) int {
	dir, err := os.MkdirTemp("", "authbench-keys-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	for _, s := range []**keys.Set{&testKeys, &otherKeys} {
		if *s, err = keys.Generate(keys.All, 2048); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
	}
	if _, err := testKeys.Write(dir, false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	testKeysDir = dir
	otherDir := dir + "-attacker"
	defer os.RemoveAll(otherDir)
	if _, err := otherKeys.Write(otherDir, false); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	attackerRing = keys.NewRing(otherDir, 2048)
	if code := m.Run(); code != 0 {
		return code
	}
	// No test may leave a goroutine behind: a subscriber, a pool reaper, a
	// request blocked on a dead store.
	// go-redis probes a dead server from a goroutine that sees its pool
	// closed only after its next 1 s sleep: give it time to end.
	if err := testutil.Wait(testutil.LeakGrace, func() error { return goleak.Find() }); err != nil {
		fmt.Fprintln(os.Stderr, "goleak:", err)
		return 1
	}
	return 0
}

// testEnv returns an Env for backend name reading the package key set, with
// the clock at t0+at.
func testEnv(tb testing.TB, name string, at time.Duration) *Env {
	tb.Helper()
	e, ok := Lookup(name)
	if !ok {
		tb.Fatalf("backend %s not registered", name)
	}
	env := &Env{Token: DefaultToken, KeysDir: testKeysDir, Now: func() time.Time { return t0.Add(at) }}
	if e.Options != nil {
		env.Options = e.Options()
	}
	return env
}

func openTest(tb testing.TB, name string, at time.Duration) Strategy {
	tb.Helper()
	s, err := Open(name, testEnv(tb, name, at))
	if err != nil {
		tb.Fatalf("open %s: %v", name, err)
	}
	tb.Cleanup(func() { s.Close() })
	return s
}

// forgerFor returns a forger for backend name with the keys of set, the
// default token settings and tokens minted at t0; otherKeys is the attacker's.
func forgerFor(name string, set *keys.Set) *forger {
	f, err := newForger(name, tokenFormats[name], set, otherKeys, backendToken(&Env{Token: DefaultToken}, name), DefaultMaxTokenBytes, t0)
	if err != nil {
		panic(err)
	}
	return f
}

// TestJWEDirRefusesEncryptedKey: RFC 7516 §5.2 step 10, with alg dir the
// encrypted key segment must be empty.
func TestJWEDirRefusesEncryptedKey(t *testing.T) {
	t.Parallel()
	f := forgerFor("jwe-dir", testKeys)
	s := openTest(t, "jwe-dir", 0)
	tok := f.mint(nil, nil)
	if err := s.Validate(context.Background(), tok); err != nil {
		t.Fatalf("valid token refused: %v", err)
	}
	p := parts(tok)
	p[1] = b64([]byte("an encrypted key dir has no use for"))
	err := s.Validate(context.Background(), strings.Join(p, "."))
	if !errors.Is(err, ErrRejected) || Explain(err) != wMalformed {
		t.Fatalf("non-empty encrypted key: %v, want a rejection as malformed", err)
	}
}

// TestJWENestedRequiresCty: RFC 7519 §5.2, a nested JWT says so with
// cty JWT; without it jwe-nested must not read the payload as a token.
func TestJWENestedRequiresCty(t *testing.T) {
	t.Parallel()
	f := forgerFor("jwe-nested", testKeys)
	s := openTest(t, "jwe-nested", 0)
	inner := f.jws(f.header(), f.claims(), nil)
	for _, tc := range []struct {
		name string
		opts *jose.EncrypterOptions
		want string
	}{
		{"cty JWT", (&jose.EncrypterOptions{}).WithContentType("JWT"), wAccepted},
		{"no cty", (&jose.EncrypterOptions{}).WithType("JWT"), wMalformed},
		{"cty json", (&jose.EncrypterOptions{}).WithContentType("json"), wMalformed},
	} {
		enc, err := jose.NewEncrypter(jose.A256GCM, jose.Recipient{Algorithm: f.keyAlg, Key: f.encKey, KeyID: f.jweKid}, tc.opts)
		if err != nil {
			t.Fatal(err)
		}
		obj, err := enc.Encrypt([]byte(inner))
		if err != nil {
			t.Fatal(err)
		}
		tok, _ := obj.CompactSerialize()
		err = s.Validate(context.Background(), tok)
		if got := Explain(err); got != tc.want && !(tc.want == wAccepted && err == nil) {
			t.Errorf("%s: %v, want %s", tc.name, err, tc.want)
		}
	}
}

// TestTokensNotInterchangeable: backends that share a key must still
// refuse each other's tokens (their own kid and audience). The Redis
// hybrids are checked in TestRedisHybridTokensNotInterchangeable.
func TestTokensNotInterchangeable(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	for _, pair := range [][2]string{
		{"jwt-hs256", "jwt-denylist-memory"},
		{"jwt-denylist-memory", "jwt-hs256"},
		{"jwe-ecdh-es", "jwe-nested"},
		{"jwe-nested", "jwe-ecdh-es"},
	} {
		from, to := openTest(t, pair[0], 0), openTest(t, pair[1], 0)
		c, err := from.Issue(ctx, "alice")
		if err != nil {
			t.Fatal(err)
		}
		if err := from.Validate(ctx, c.Token); err != nil {
			t.Fatalf("%s refuses its own token: %v", pair[0], err)
		}
		if err := to.Validate(ctx, c.Token); !errors.Is(err, ErrRejected) {
			t.Errorf("%s accepted a token of %s: %v", pair[1], pair[0], err)
		}
	}
	// jwt-es256 signs with the key of jwe-nested's inner token: one of its
	// tokens, encrypted to jwe-nested's public key by anyone, must not pass.
	es := openTest(t, "jwt-es256", 0)
	c, err := es.Issue(ctx, "alice")
	if err != nil {
		t.Fatal(err)
	}
	wrapped := forgerFor("jwe-nested", testKeys).deliver(c.Token)
	if err := openTest(t, "jwe-nested", 0).Validate(ctx, wrapped); !errors.Is(err, ErrRejected) {
		t.Errorf("jwe-nested accepted a jwt-es256 token wrapped for it: %v", err)
	}
}

// TestAttacks runs the whole catalogue against every token backend that
// needs no store: every answer must be the catalogue's, word for word.
// The Redis hybrids are checked in TestAttacksRedisHybrids.
func TestAttacks(t *testing.T) {
	t.Parallel()
	names := []string{"jwt-denylist-memory"}
	for _, b := range tokenBackends {
		names = append(names, b.name)
	}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			res, err := RunAttacks(context.Background(), AttackRun{Backend: name, Env: testEnv(t, name, 0), Attacker: attackerRing, Start: t0})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(attacks) {
				t.Fatalf("%d results for %d attacks", len(res), len(attacks))
			}
			for _, r := range res {
				if r.Got != r.Want {
					t.Errorf("%s: got %q, want %q", r.Attack, r.Got, r.Want)
				}
			}
		})
	}
}

// TestAttacksControlsAndWeaknesses: every backend has controls it must
// accept, and only the public-key JWE backends accept a forgery, by design.
func TestAttacksControlsAndWeaknesses(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBackends {
		f := forgerFor(b.name, testKeys)
		controls, weak := 0, 0
		for i := range attacks {
			a := &attacks[i]
			r := AttackResult{Want: a.want(f)}
			if a.weakness != nil {
				r.Weakness = a.weakness(f)
			}
			if r.Control() {
				controls++
			}
			if r.Weakness != "" {
				weak++
			}
		}
		wantWeak := 0
		if b.name == "jwe-rsa-oaep" || b.name == "jwe-ecdh-es" {
			wantWeak = 1
		}
		if controls < 4 || weak != wantWeak {
			t.Errorf("%s: %d controls, %d weaknesses; want at least 4 and %d", b.name, controls, weak, wantWeak)
		}
	}
}

// TestAttacksSeeABrokenValidator: a validator that skips the algorithm
// check shows up as accepting the alg-none forgeries.
func TestAttacksSeeABrokenValidator(t *testing.T) {
	t.Parallel()
	res, err := RunAttacks(context.Background(), AttackRun{
		Backend: "jwt-hs256", Env: testEnv(t, "jwt-hs256", 0), Attacker: attackerRing, Start: t0,
		Open: func(env *Env) (Strategy, error) {
			s, err := Open("jwt-hs256", env)
			return acceptsAlgNone{s}, err
		},
	})
	if err != nil {
		t.Fatal(err)
	}
	var accepted []string
	for _, r := range res {
		if !r.Control() && r.Got == wAccepted && r.Weakness == "" {
			accepted = append(accepted, r.Attack)
		}
	}
	if want := []string{"alg none", "alg NONE in capitals"}; !slices.Equal(accepted, want) {
		t.Errorf("accepted attacks %q, want %q", accepted, want)
	}
}

// acceptsAlgNone is a broken validator: it accepts any token whose header
// says alg none, in any case.
type acceptsAlgNone struct{ Strategy }

func (s acceptsAlgNone) Validate(ctx context.Context, tok string) error {
	if h, _, ok := strings.Cut(tok, "."); ok {
		if raw, err := base64.RawURLEncoding.DecodeString(h); err == nil && strings.Contains(strings.ToLower(string(raw)), `"alg":"none"`) {
			return nil
		}
	}
	return s.Strategy.Validate(ctx, tok)
}

// TestIssuedTokenAccepted checks the backends' own Issue against Validate,
// on the node that issued it and on another node of the same run.
func TestIssuedTokenAccepted(t *testing.T) {
	t.Parallel()
	for _, b := range tokenBackends {
		t.Run(b.name, func(t *testing.T) {
			t.Parallel()
			env := testEnv(t, b.name, 0)
			a, err := Open(b.name, env)
			if err != nil {
				t.Fatal(err)
			}
			other, err := Open(b.name, env) // env.Shared is set now: same keys
			if err != nil {
				t.Fatal(err)
			}
			ctx := context.Background()
			c, err := a.Issue(ctx, "bob")
			if err != nil {
				t.Fatal(err)
			}
			for i, s := range []Strategy{a, other} {
				if err := s.Validate(ctx, c.Token); err != nil {
					t.Errorf("node %d: fresh token rejected: %v", i, err)
				}
			}
			// A stateless token cannot be revoked: Revoke succeeds and the
			// token stays valid. authbench measures exactly this.
			if err := a.Revoke(ctx, c); err != nil {
				t.Fatalf("Revoke: %v", err)
			}
			if err := a.Validate(ctx, c.Token); err != nil {
				t.Errorf("after Revoke: %v", err)
			}
			if c.Subject != "bob" || c.ID == "" || !c.ExpiresAt.Equal(t0.Add(DefaultToken.TTL)) {
				t.Errorf("credential = %+v, want subject bob, a jti, expiry t0+ttl", c)
			}
		})
	}
}
