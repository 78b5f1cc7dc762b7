package backends

import (
	"fmt"
	"sort"

	"github.com/authbench/authbench/internal/keys"
)

// Entry registers one backend.
type Entry struct {
	Info Info
	// Options returns the backend's options filled with defaults; nil when
	// the backend takes none. The scenario parser decodes
	// `options.<name>` into them strictly.
	Options func() Options
	// New opens one node.
	New func(env *Env) (Strategy, error)
}

var registry = map[string]Entry{}

// Register adds a backend; it is called from init functions and panics on
// a duplicate name, which is a programming error.
func Register(e Entry) {
	if _, dup := registry[e.Info.Name]; dup {
		panic("backends: duplicate registration of " + e.Info.Name)
	}
	registry[e.Info.Name] = e
}

// Lookup returns the entry for name.
func Lookup(name string) (Entry, bool) {
	e, ok := registry[name]
	return e, ok
}

// Names lists every registered backend, sorted.
func Names() []string {
	names := make([]string, 0, len(registry))
	for n := range registry {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// All returns every entry, sorted by family then name.
func All() []Entry {
	out := make([]Entry, 0, len(registry))
	for _, e := range registry {
		out = append(out, e)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Info.Family != out[j].Info.Family {
			return familyOrder(out[i].Info.Family) < familyOrder(out[j].Info.Family)
		}
		return out[i].Info.Name < out[j].Info.Name
	})
	return out
}

func familyOrder(f string) int {
	switch f {
	case "calibration":
		return 0
	case "jwt":
		return 1
	case "jwe":
		return 2
	case "session":
		return 3
	case "hybrid":
		return 4
	}
	return 5
}

// Open opens one node. A backend that needs keys gets the key ring of
// env.Keys, which Open creates when it is nil (from env.KeysDir, or fresh
// keys of the size the options ask for); pass the same env, or its Keys, to
// open more nodes with the same keys.
func Open(name string, env *Env) (Strategy, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown backend %q", name)
	}
	if e.Info.NeedsKeys && env.Keys == nil {
		bits := keys.DefaultRSABits
		if o, ok := env.Options.(*RSAOptions); ok {
			bits = o.Bits
		}
		if !keys.ValidRSABits(bits) {
			return nil, fmt.Errorf("bits: %d is not one of 2048, 3072, 4096", bits)
		}
		env.Keys = keys.NewRing(env.KeysDir, bits)
	}
	return e.New(env)
}
