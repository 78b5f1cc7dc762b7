package backends_test

import (
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

// The capability fields of Info are declarations that callers act on
// (`authbench token` asks for --keys, the runner connects Redis, the report
// names refresh traffic), so each is checked against what the backend does.
func TestCapabilitiesMatchBehaviour(t *testing.T) {
	env, _ := redisEnv(t, time.Minute)
	for _, e := range backends.All() {
		i := e.Info
		t.Run(i.Name, func(t *testing.T) {
			open := func() (*backends.Env, backends.Strategy) {
				benv := *env
				benv.Namespace += i.Name + ":"
				benv.Keys = nil
				if e.Options != nil {
					benv.Options = e.Options()
				}
				return &benv, openNode(t, i.Name, &benv)
			}
			benv, s := open()
			if _, ok := s.(backends.Refresher); ok != i.HasRefresh {
				t.Errorf("implements Refresher = %v, Info.HasRefresh = %v", ok, i.HasRefresh)
			}
			if (benv.Keys != nil) != i.NeedsKeys {
				t.Errorf("opened with a key ring = %v, Info.NeedsKeys = %v", benv.Keys != nil, i.NeedsKeys)
			}
			c := mustIssue(t, s, "alice")
			parts := strings.Count(c.Token, ".") + 1
			if token := parts == 3 || parts == 5; token != i.IssuesTokens {
				t.Errorf("credential %q looks like a JWS/JWE = %v, Info.IssuesTokens = %v", c.Token, token, i.IssuesTokens)
			}
			if i.NeedsKeys {
				// Another key ring, same everything else: the token must be
				// refused, which is why `authbench token` needs --keys.
				_, other := open()
				if err := other.Validate(ctxT(t), c.Token); !backends.IsRejection(err) {
					t.Errorf("a node with other keys: %v, want a rejection", err)
				}
			}
		})
	}
}

// Every run gets its own copy of the options (scenarios.Plan clones them):
// a Clone must share nothing with the original.
func TestOptionsCloneAndDefaults(t *testing.T) {
	for _, e := range backends.All() {
		if e.Options == nil {
			continue
		}
		o := e.Options()
		if err := o.Check(); err != nil {
			t.Errorf("%s: defaults fail their own Check: %v", e.Info.Name, err)
		}
		c := o.Clone()
		if !reflect.DeepEqual(o, c) {
			t.Errorf("%s: Clone = %+v, want %+v", e.Info.Name, c, o)
		}
		v := reflect.ValueOf(c)
		if v.Kind() != reflect.Pointer || v.Pointer() == reflect.ValueOf(o).Pointer() {
			t.Errorf("%s: Clone returns the same value, or not a pointer (%T)", e.Info.Name, c)
		}
	}
}

func TestOpenRefusesBadRSABits(t *testing.T) {
	_, err := backends.Open("jwt-rs256", &backends.Env{Options: &backends.RSAOptions{Bits: 1024, MaxBytes: 4096}})
	if err == nil || !strings.Contains(err.Error(), "1024") || errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("bits 1024: %v", err)
	}
}
