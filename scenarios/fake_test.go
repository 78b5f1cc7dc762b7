package scenarios

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/authbench/authbench/backends"
)

// The registry is filled by the backend files of the module; these test
// backends give the parser names and options to check against without
// depending on any real backend.

type testOptions struct {
	Delay time.Duration `yaml:"delay"`
	Bits  int           `yaml:"bits"`
	Mode  string        `yaml:"mode"`
	Tags  []string      `yaml:"tags"`
}

func (o *testOptions) Check() error {
	if o.Bits%8 != 0 {
		return fmt.Errorf("bits must be a multiple of 8, got %d", o.Bits)
	}
	if o.Mode != "fast" && o.Mode != "slow" {
		return fmt.Errorf("mode must be \"fast\" or \"slow\", got %q", o.Mode)
	}
	return nil
}

func (o *testOptions) Clone() backends.Options {
	c := *o
	c.Tags = slices.Clone(o.Tags)
	return &c
}

func init() {
	noNode := func(*backends.Env) (backends.Strategy, error) { return nil, errors.New("test backend") }
	backends.Register(backends.Entry{Info: backends.Info{Name: "test-a", Family: "calibration"}, New: noNode})
	backends.Register(backends.Entry{
		Info:    backends.Info{Name: "test-b", Family: "jwt"},
		Options: func() backends.Options { return &testOptions{Delay: time.Millisecond, Bits: 256, Mode: "fast"} },
		New:     noNode,
	})
	backends.Register(backends.Entry{Info: backends.Info{Name: "test-c", Family: "session"}, New: noNode})
}
