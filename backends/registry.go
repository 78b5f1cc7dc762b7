package backends

import (
	"fmt"
	"sort"
)

// Entry registers one backend.
type Entry struct {
	Info Info
	// Options returns a pointer to the backend's option struct filled with
	// defaults, or nil when the backend takes no options. The scenario
	// parser decodes `options.<name>` into it strictly.
	Options func() any
	// Shared builds what all nodes of one run share (keys, for instance).
	// May be nil.
	Shared func(env *Env) (any, error)
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

// Open builds the shared state and then one node.
func Open(name string, env *Env) (Strategy, error) {
	e, ok := registry[name]
	if !ok {
		return nil, fmt.Errorf("unknown backend %q", name)
	}
	if e.Shared != nil && env.Shared == nil {
		s, err := e.Shared(env)
		if err != nil {
			return nil, err
		}
		env.Shared = s
	}
	return e.New(env)
}
