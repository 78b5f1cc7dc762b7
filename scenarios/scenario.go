// Package scenarios reads scenario files: it parses them strictly, fills in
// defaults, validates every field, applies command-line overrides and
// expands sweeps and repeats into the plan of runs the engine executes.
//
// Errors point at the file: "file:line:col: message". Nothing runs until a
// scenario has passed every check.
package scenarios

import (
	"time"

	"github.com/goccy/go-yaml/ast"

	"github.com/authbench/authbench/backends"
)

// Scenario is one scenario file after defaults and overrides.
type Scenario struct {
	Name        string               `yaml:"name"`
	Description string               `yaml:"description"`
	Backends    []string             `yaml:"backends"`
	Duration    time.Duration        `yaml:"duration"`
	Warmup      time.Duration        `yaml:"warmup"`
	Repeat      int                  `yaml:"repeat"`
	Seed        uint64               `yaml:"seed"`
	Users       int                  `yaml:"users"`
	Load        Load                 `yaml:"load"`
	Token       backends.TokenConfig `yaml:"token"`
	Revocation  Revocation           `yaml:"revocation"`
	Cluster     Cluster              `yaml:"cluster"`
	Redis       backends.RedisConfig `yaml:"redis"`
	Keys        string               `yaml:"keys"`
	// Over the wire (transport.go): inproc, or an HTTP server per node.
	Transport  string     `yaml:"transport"`
	Credential Credential `yaml:"credential"`
	CSRF       string     `yaml:"csrf"`
	HTTP       HTTP       `yaml:"http"`
	Attack     Attack     `yaml:"attack"`
	// MaxErrorShare and Require (require.go): when a run needs attention,
	// and what a strategy must achieve to fit.
	MaxErrorShare float64 `yaml:"max_error_share"`
	Require       Require `yaml:"require"`
	// Options maps a backend name to its options, decoded from
	// options.<backend>. Every backend with options has an entry, filled
	// with defaults when the file says nothing.
	Options map[string]backends.Options `yaml:"options"`
	// Sweep lists the swept dotted paths in file order.
	Sweep []Axis `yaml:"-"`
	// Extra lists the points run besides the sweep's grid (extra.go).
	Extra []ExtraPoint `yaml:"-"`

	// File is the path the scenario was read from ("" for built-in ones).
	File string `yaml:"-"`

	// origins records where each dotted path's value came from, so that
	// validation can point at it.
	origins map[string]origin
}

// Load is the `load:` section.
type Load struct {
	Model   string        `yaml:"model"` // closed | open
	Clients int           `yaml:"clients"`
	Rate    float64       `yaml:"rate"`
	Think   time.Duration `yaml:"think"`
}

// Revocation is the `revocation:` section.
type Revocation struct {
	Rate   float64 `yaml:"rate"`   // logouts per second
	Replay float64 `yaml:"replay"` // share of validations replaying revoked credentials
}

// Cluster is the `cluster:` section.
type Cluster struct {
	Nodes   int    `yaml:"nodes"`
	Routing string `yaml:"routing"` // random | sticky
}

// Axis is one swept dotted path and its values, as written in the file.
type Axis struct {
	Path   string
	Values []string

	nodes   []ast.Node // the values as parsed, applied by Plan
	origins []origin   // where each value is written
}

// Param is one coordinate of a parameter point.
type Param struct {
	Path  string
	Value string
}

// Run is one entry of the plan: a backend at a parameter point, one repeat.
type Run struct {
	Index    int // position in the plan, from 0
	Backend  string
	Point    []Param   // the swept values, in sweep order (empty without a sweep)
	Repeat   int       // from 1
	Scenario *Scenario // the scenario with the point applied
	// Extra lists, for a run at an extra point, the paths that point sets
	// in file order; nil for the runs of the sweep's grid.
	Extra []string
}
