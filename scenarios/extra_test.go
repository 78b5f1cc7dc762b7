package scenarios

import (
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"
)

// withExtra is a scenario with a sweep over load.clients and two extra
// points: a short token lifetime for two backends, three nodes for all.
const withExtra = `name: t
backends: [test-a, test-b, test-c]
repeat: 2
token: {leeway: 50ms}
sweep:
  load.clients: [1, 8]
extra:
  - set: {load.clients: 8, token.ttl: 100ms}
    backends: [test-c, test-a]
    repeat: 3
  - set:
      cluster.nodes: 3
      load.clients: 8
`

// TestExtraPlan: the grid's runs come first, unchanged; then each extra
// point with only its backends (in the scenario's order), its own repeats
// interleaved across them, its values applied, and its point named by the
// swept paths first, then the others in file order.
func TestExtraPlan(t *testing.T) {
	t.Parallel()
	s := mustParse(t, withExtra)
	runs, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, r := range runs {
		if r.Index != i {
			t.Errorf("run %d has Index %d", i, r.Index)
		}
		got = append(got, fmt.Sprintf("%s %s #%d %v", paramsLabel(r.Point), strings.TrimPrefix(r.Backend, "test-"), r.Repeat, r.Extra))
	}
	var want []string
	for _, c := range []string{"1", "8"} {
		for rep := 1; rep <= 2; rep++ {
			for _, b := range []string{"a", "b", "c"} {
				want = append(want, fmt.Sprintf("load.clients=%s %s #%d []", c, b, rep))
			}
		}
	}
	for rep := 1; rep <= 3; rep++ {
		for _, b := range []string{"a", "c"} {
			want = append(want, fmt.Sprintf("load.clients=8,token.ttl=100ms %s #%d [load.clients token.ttl]", b, rep))
		}
	}
	for rep := 1; rep <= 2; rep++ { // the scenario's repeat
		for _, b := range []string{"a", "b", "c"} {
			want = append(want, fmt.Sprintf("load.clients=8,cluster.nodes=3 %s #%d [cluster.nodes load.clients]", b, rep))
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("plan\ngot  %q\nwant %q", got, want)
	}
	short := runs[12].Scenario
	if short.Token.TTL != 100*time.Millisecond || short.Load.Clients != 8 || short.Cluster.Nodes != 1 || short.Sweep != nil || short.Extra != nil {
		t.Errorf("short-lived point: ttl %v clients %d nodes %d sweep %v extra %v", short.Token.TTL, short.Load.Clients, short.Cluster.Nodes, short.Sweep, short.Extra)
	}
	nodes := runs[len(runs)-1].Scenario
	if nodes.Cluster.Nodes != 3 || nodes.Token.TTL != 15*time.Minute || nodes.Load.Clients != 8 {
		t.Errorf("three-node point: nodes %d ttl %v clients %d", nodes.Cluster.Nodes, nodes.Token.TTL, nodes.Load.Clients)
	}
	if runs[0].Scenario.Token.TTL != 15*time.Minute || runs[0].Scenario.Cluster.Nodes != 1 {
		t.Errorf("the grid took an extra point's values: %+v", runs[0].Scenario.Token)
	}
	if got, want := s.Shape(), "3 backends × 2 points × 2 repeats + 2 backends × 3 repeats + 3 backends × 2 repeats at 2 extra points"; got != want {
		t.Errorf("shape %q, want %q", got, want)
	}
}

// TestExtraWithCommandLine: --set repeat reaches the extra points without
// their own repeat, --set backends drops theirs that are gone, and
// --set extra=[] removes them all.
func TestExtraWithCommandLine(t *testing.T) {
	t.Parallel()
	count := func(sets ...string) int {
		s := mustParse(t, withExtra)
		if err := ApplySets(s, sets); err != nil {
			t.Fatalf("--set %v: %v", sets, err)
		}
		runs, err := Plan(s)
		if err != nil {
			t.Fatal(err)
		}
		return len(runs)
	}
	for _, tc := range []struct {
		sets []string
		want int
	}{
		{nil, 12 + 6 + 6},
		{[]string{"repeat=1"}, 6 + 6 + 3},
		{[]string{"backends=[test-a,test-b]"}, 8 + 3 + 4},
		{[]string{"backends=[test-b]"}, 4 + 0 + 2},
		{[]string{"extra=[]"}, 12},
		{[]string{"extra="}, 12},
	} {
		if got := count(tc.sets...); got != tc.want {
			t.Errorf("--set %v: %d runs, want %d", tc.sets, got, tc.want)
		}
	}
}

// TestExtraRefusals: every mistake in extra: is refused with the place it
// is written, before anything runs.
func TestExtraRefusals(t *testing.T) {
	t.Parallel()
	head := "name: t\nbackends: [test-a, test-c]\nsweep:\n  load.clients: [1, 8]\n"
	tests := []struct {
		name, yaml, want string
	}{
		{"not a list", head + "extra: {set: {token.ttl: 1m}}\n", "t.yaml:5:8: extra: must be a list of points, each with set: (and optionally backends: and repeat:), got a mapping"},
		{"entry not a mapping", head + "extra: [1m]\n", "t.yaml:5:9: extra[0]: must be a mapping with set: (and optionally backends: and repeat:), got a string"},
		{"no set", head + "extra:\n  - repeat: 2\n", "t.yaml:6:5: extra[0]: needs set: the paths and values of the point, e.g. set: {token.ttl: 100ms}"},
		{"empty set", head + "extra:\n  - set: {}\n", "t.yaml:6:10: extra[0].set: must be a mapping from a dotted path to a value, e.g. {token.ttl: 100ms}, got a mapping"},
		{"unknown key", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    repeats: 2\n", `t.yaml:7:5: extra[0]: unknown field "repeats" (an extra point has set, backends and repeat (did you mean "repeat"?))`},
		{"duplicate key", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    set: {load.clients: 1}\n", `t.yaml:7:5: duplicate key "set" in extra[0]`},
		{"unknown path", head + "extra:\n  - set: {load.clients: 8, token.tll: 1m}\n", `t.yaml:6:28: extra[0].set: unknown field "tll" in token (did you mean "ttl"?)`},
		{"backends path", head + "extra:\n  - set: {load.clients: 8, backends: [test-a]}\n", "t.yaml:6:28: extra[0].set: backends cannot be set by an extra point: list them in the point's own backends: field"},
		{"nested sweep", head + "extra:\n  - set: {load.clients: 8, sweep.token.ttl: [1m]}\n", "t.yaml:6:28: extra[0].set: sweep.token.ttl cannot be set by an extra point: points do not nest"},
		{"bad value", head + "extra:\n  - set: {load.clients: 8, token.ttl: 10}\n", `t.yaml:6:39: token.ttl: a duration needs a unit: write "10s" or "10ms", not the bare number 10`},
		{"invalid point", head + "extra:\n  - set: {load.clients: 8, token.ttl: 2s}\n", "t.yaml:6:39: token.ttl: must be longer than token.leeway (5s), got 2s"},
		{"swept path missing", head + "extra:\n  - set: {token.ttl: 1m}\n", "t.yaml:6:5: extra[0]: sets no value for load.clients, which the sweep varies: add it to set:, at one of 1, 8"},
		{"same as the grid", head + "extra:\n  - set: {load.clients: 8}\n    backends: [test-a]\n", "t.yaml:6:5: extra[0]: the same point as the sweep's point load.clients=8 (load.clients=8); an extra point must differ from every other point"},
		{"same as another", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n  - set: {load.clients: 8, token.ttl: 1m}\n", "t.yaml:7:5: extra[1]: the same point as extra[0] (load.clients=8,token.ttl=1m); an extra point must differ from every other point"},
		{"backend not in scenario", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    backends: [test-a, test-b]\n", `t.yaml:7:24: extra[0].backends[1]: "test-b" is not in the scenario's backends (did you mean "test-a"?)`},
		{"backend twice", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    backends: [test-a, test-a]\n", `t.yaml:7:24: extra[0].backends[1]: "test-a" is listed twice`},
		{"no backends", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    backends: []\n", "t.yaml:7:15: extra[0].backends: needs at least one backend (leave it out to run every backend)"},
		{"repeat 0", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    repeat: 0\n", "t.yaml:7:13: extra[0].repeat: must be between 1 and 1000, got 0"},
		{"repeat text", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    repeat: many\n", `t.yaml:7:13: extra[0].repeat: must be a whole number, got a string "many"`},
		{"too many runs", head + "extra:\n  - set: {load.clients: 8, token.ttl: 1m}\n    repeat: 1000\n  - set: {load.clients: 8, token.ttl: 2m}\n    repeat: 1000\n  - set: {load.clients: 8, token.ttl: 3m}\n    repeat: 1000\n  - set: {load.clients: 8, token.ttl: 4m}\n    repeat: 1000\n  - set: {load.clients: 8, token.ttl: 5m}\n    repeat: 1000\n", "t.yaml:14:5: extra[4]: the plan is too large: with the extra points up to this one it exceeds 10000 runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseBytes("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted, want %s", tt.want)
			}
			if _, ok := err.(*Error); !ok {
				t.Errorf("error of type %T, want *Error", err)
			}
			if err.Error() != tt.want {
				t.Errorf("\ngot  %s\nwant %s", err, tt.want)
			}
		})
	}
}

// TestExtraSetRefusals: the command line can drop extra points, not edit
// them, and a sweep axis it adds must be given a value at every extra
// point.
func TestExtraSetRefusals(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		set, want string
	}{
		{"extra=[{set: {cluster.nodes: 2}}]", "--set extra=[{set: {cluster.nodes: 2}}]: extra points are written in the scenario file; --set extra=[] removes them"},
		{"extra.0.repeat=1", "--set extra.0.repeat=1: extra points are written in the scenario file; --set extra=[] removes them"},
		{"sweep.users=[10, 20]", "t.yaml:8:5: extra[0]: sets no value for users, which the sweep varies: add it to set:, at one of 10, 20"},
	} {
		s := mustParse(t, withExtra)
		err := ApplySets(s, []string{tc.set})
		if err == nil || err.Error() != tc.want {
			t.Errorf("--set %s\ngot  %v\nwant %s", tc.set, err, tc.want)
		}
	}
}
