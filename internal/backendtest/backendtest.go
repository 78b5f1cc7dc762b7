// Package backendtest registers a backend for the tests of the packages
// that run plans (runner, the command line): noop, but with logins that
// fail as the test says, so that a plan can end early on purpose. Only
// tests import it, so the backend never reaches the authbench binary, as
// redistest keeps package testing out of it.
package backendtest

import (
	"context"
	"sync/atomic"
	"testing"

	"github.com/authbench/authbench/backends"
)

// Name is the backend's name in a scenario.
const Name = "test-scripted"

// login decides the fate of every login; nil lets them pass.
var login atomic.Pointer[func(ctx context.Context) error]

// SetLogin makes every login of the backend return f's error (nil lets
// the login pass) until t ends.
func SetLogin(t testing.TB, f func(ctx context.Context) error) {
	login.Store(&f)
	t.Cleanup(func() { login.Store(nil) })
}

func init() {
	backends.Register(backends.Entry{
		Info: backends.Info{Name: Name, Family: "calibration", Description: "noop whose logins fail as the test says"},
		New: func(env *backends.Env) (backends.Strategy, error) {
			s, err := backends.Open("noop", env)
			return scripted{s}, err
		},
	})
}

// scripted is noop but for its logins.
type scripted struct{ backends.Strategy }

func (s scripted) Issue(ctx context.Context, user string) (backends.Credential, error) {
	if f := login.Load(); f != nil {
		if err := (*f)(ctx); err != nil {
			return backends.Credential{}, err
		}
	}
	return s.Strategy.Issue(ctx, user)
}
