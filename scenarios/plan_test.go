package scenarios

import (
	"fmt"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

func mustParse(t *testing.T, src string) *Scenario {
	t.Helper()
	s, err := ParseBytes("t.yaml", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestPlanOrder(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "name: t\nbackends: [test-a, test-b, test-c]\nrepeat: 2\nsweep:\n  load.clients: [1, 8]\n  token.ttl: [30s, 5m]\n")
	runs, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for i, r := range runs {
		if r.Index != i {
			t.Errorf("run %d has Index %d", i, r.Index)
		}
		got = append(got, fmt.Sprintf("%s/%s/%s/%d", r.Point[0].Value, r.Point[1].Value, strings.TrimPrefix(r.Backend, "test-"), r.Repeat))
	}
	var want []string
	for _, c := range []string{"1", "8"} { // first axis outermost
		for _, ttl := range []string{"30s", "5m"} {
			for rep := 1; rep <= 2; rep++ {
				for _, b := range []string{"a", "b", "c"} { // interleaved: A B C A B C
					want = append(want, fmt.Sprintf("%s/%s/%s/%d", c, ttl, b, rep))
				}
			}
		}
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("order\ngot  %v\nwant %v", got, want)
	}
	// Each run carries its point applied.
	last := runs[len(runs)-1].Scenario
	if last.Load.Clients != 8 || last.Token.TTL != 5*time.Minute || last.Sweep != nil {
		t.Errorf("last run scenario: clients %d ttl %v sweep %v", last.Load.Clients, last.Token.TTL, last.Sweep)
	}
	if first := runs[0].Scenario; first.Load.Clients != 1 || first.Token.TTL != 30*time.Second {
		t.Errorf("first run scenario: clients %d ttl %v", first.Load.Clients, first.Token.TTL)
	}
}

func TestSweepProduct(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sweep  string
		points int
	}{
		{"", 1},
		{"sweep:\n  load.clients: [1, 2, 4]\n", 3},
		{"sweep:\n  load.clients: [1, 2, 4]\n  token.ttl: [1m, 2m]\n", 6},
		{"sweep:\n  load.clients: [1, 2]\n  token.ttl: [1m, 2m]\n  options.test-b.delay: [1ms, 2ms, 3ms]\n  cluster.routing: [random, sticky]\n", 24},
	}
	for _, tt := range tests {
		s := mustParse(t, "name: t\nbackends: [test-a, test-b]\nrepeat: 3\n"+tt.sweep)
		runs, err := Plan(s)
		if err != nil {
			t.Fatal(err)
		}
		if s.Points() != tt.points || len(runs) != tt.points*3*2 {
			t.Errorf("%q: %d points, %d runs; want %d points, %d runs", tt.sweep, s.Points(), len(runs), tt.points, tt.points*6)
		}
		seen := map[string]bool{}
		for _, r := range runs {
			seen[fmt.Sprint(r.Point)] = true
		}
		if len(seen) != tt.points {
			t.Errorf("%q: %d distinct points, want %d", tt.sweep, len(seen), tt.points)
		}
		if want := time.Duration(len(runs)) * (DefaultWarmup + DefaultDuration + SetupAllowance); EstimateDuration(runs) != want {
			t.Errorf("estimate %v, want %v", EstimateDuration(runs), want)
		}
	}
}

func TestPlanDeepCopy(t *testing.T) {
	t.Parallel()
	s := mustParse(t, "name: t\nbackends: [test-b]\nrepeat: 2\noptions:\n  test-b: {tags: [x]}\n")
	runs, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	o0 := runs[0].Scenario.Options["test-b"].(*testOptions)
	o0.Bits, o0.Tags[0] = 1024, "changed"
	runs[0].Scenario.Backends[0] = "changed"
	for _, other := range []*Scenario{runs[1].Scenario, s} {
		o := other.Options["test-b"].(*testOptions)
		if o.Bits != 256 || o.Tags[0] != "x" || other.Backends[0] != "test-b" {
			t.Errorf("a run's scenario shares state: %+v %v", o, other.Backends)
		}
	}
}

func TestSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		set   string
		check func(*Scenario) bool
	}{
		{"load.clients=64", func(s *Scenario) bool { return s.Load.Clients == 64 }},
		{"duration=2s", func(s *Scenario) bool { return s.Duration == 2*time.Second }},
		{"backends=[test-a,test-c]", func(s *Scenario) bool { return reflect.DeepEqual(s.Backends, []string{"test-a", "test-c"}) }},
		{"backends=test-b,test-c", func(s *Scenario) bool { return reflect.DeepEqual(s.Backends, []string{"test-b", "test-c"}) }},
		{"options.test-b.delay=2ms", func(s *Scenario) bool { return s.Options["test-b"].(*testOptions).Delay == 2*time.Millisecond }},
		{"options.test-b={bits: 512, mode: slow}", func(s *Scenario) bool {
			o := s.Options["test-b"].(*testOptions)
			return o.Bits == 512 && o.Mode == "slow" && o.Delay == time.Millisecond
		}},
		{"description=fast: really", func(s *Scenario) bool { return s.Description == "fast: really" }},
		{"redis.url=", func(s *Scenario) bool { return s.Redis.URL == "" }},
		{"token.issuer=123", func(s *Scenario) bool { return s.Token.Issuer == "123" }},
		{"revocation.replay=0.5", func(s *Scenario) bool { return s.Revocation.Replay == 0.5 }},
		{"sweep.load.clients=[2, 4]", func(s *Scenario) bool { return s.Points() == 2 && s.Sweep[len(s.Sweep)-1].Path == "load.clients" }},
	}
	for _, tt := range tests {
		s := mustParse(t, "name: t\nbackends: [test-a]\nrevocation: {rate: 1}\nredis: {url: \"redis://x:1\"}\n")
		if err := ApplySets(s, []string{tt.set}); err != nil {
			t.Errorf("--set %s: %v", tt.set, err)
			continue
		}
		if !tt.check(s) {
			t.Errorf("--set %s: not applied: %+v", tt.set, *s)
		}
	}
}

func TestSetRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		sets []string
		want string
	}{
		{[]string{"load.clinets=4"}, `--set load.clinets=4: unknown field "clinets" in load (did you mean "clients"?)`},
		{[]string{"lod.clients=4"}, `--set lod.clients=4: unknown field "lod" (did you mean "load"?)`},
		{[]string{"load.clients.x=4"}, `--set load.clients.x=4: load.clients is a single value: it has no field "x"`},
		{[]string{"load..clients=4"}, `--set load..clients=4: invalid path "load..clients" (fields are separated by single dots, e.g. load.clients)`},
		{[]string{"load.clients"}, "--set load.clients: want path=value, e.g. --set load.clients=64"},
		{[]string{"load.clients=abc"}, `--set load.clients=abc: load.clients: must be a whole number, got a string "abc"`},
		{[]string{"load.clients=0"}, "--set load.clients=0: load.clients: must be >= 1, got 0"},
		{[]string{"duration=10"}, `--set duration=10: duration: a duration needs a unit: write "10s" or "10ms", not the bare number 10`},
		{[]string{"token.leeway=20m"}, "--set token.leeway=20m: token.ttl: must be longer than token.leeway (20m), got 15m"},
		{[]string{"load.model=open"}, "--set load.model=open: load.rate: the open model needs a rate > 0 (requests per second)"},
		{[]string{"load.model=open", "load.rate=100"}, ""},
		{[]string{"backends=[test-a,nope]"}, `--set backends=[test-a,nope]: backends[1]: unknown backend "nope" (known: ` + known() + `)`},
		{[]string{"options.test-a.x=1"}, `--set options.test-a.x=1: unknown field "x" in options.test-a (test-a takes no options)`},
		{[]string{"options.test-b.dealy=1ms"}, `--set options.test-b.dealy=1ms: unknown field "dealy" in options.test-b (did you mean "delay"?)`},
		{[]string{"options.test-b.bits=9"}, "--set options.test-b.bits=9: options.test-b: bits must be a multiple of 8, got 9"},
		{[]string{"options.nope.x=1"}, `--set options.nope.x=1: options: unknown backend "nope" (known: ` + known() + `)`},
		{[]string{"load.clients=[1"}, "--set load.clients=[1: invalid value: sequence end token ']' not found"},
		{[]string{"sweep=x"}, "--set sweep=x: set one axis at a time, e.g. --set sweep.load.clients=[1,4,16]"},
		{[]string{"sweep.backends=[[test-a]]"}, "--set sweep.backends=[[test-a]]: sweep: backends cannot be swept: every point already runs every backend"},
		{[]string{"sweep.token.ttl=[1m, 1s]"}, "--set sweep.token.ttl=[1m, 1s]: token.ttl: must be longer than token.leeway (5s), got 1s"},
	}
	for _, tt := range tests {
		s := mustParse(t, base)
		err := ApplySets(s, tt.sets)
		got := ""
		if err != nil {
			got = err.Error()
		}
		if got != tt.want {
			t.Errorf("--set %v\ngot  %s\nwant %s", tt.sets, got, tt.want)
		}
	}
}

// A --set of a swept path replaces the sweep: the command line wins.
func TestSetOverridesSweep(t *testing.T) {
	t.Parallel()
	s := mustParse(t, base+"sweep:\n  load.clients: [1, 8]\n  token.ttl: [1m, 2m]\n")
	if err := ApplySets(s, []string{"load.clients=4"}); err != nil {
		t.Fatal(err)
	}
	runs, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	if len(runs) != 2*DefaultRepeat || runs[0].Scenario.Load.Clients != 4 || len(runs[0].Point) != 1 || runs[0].Point[0].Path != "token.ttl" {
		t.Errorf("after --set: %d runs, point %v, clients %d", len(runs), runs[0].Point, runs[0].Scenario.Load.Clients)
	}
}

func TestDefaultsExported(t *testing.T) {
	t.Parallel()
	d := Defaults()
	if d.Duration != 10*time.Second || d.Warmup != 2*time.Second || d.Repeat != 3 || d.Seed != 42 || d.Users != 10000 ||
		d.Load != (Load{"closed", 16, 0, 0}) || d.Token.TTL != 15*time.Minute || d.Token.Leeway != 5*time.Second ||
		d.Token.ClaimsBytes != 200 || d.Token.Issuer != "authbench" || d.Token.Audience != "api" ||
		d.Revocation != (Revocation{}) || d.Cluster != (Cluster{1, "random"}) || d.Redis.Timeout != 200*time.Millisecond ||
		d.Redis.URL != "" || d.Redis.PoolSize != 0 || d.Keys != "" {
		t.Errorf("Defaults() = %+v, differs from DESIGN.md", d)
	}
}

// The estimate includes the login phase: every run issues a credential to
// each user before its clock starts, and a million ECDSA signatures take far
// longer than a two-second run.
func TestEstimateIncludesLogins(t *testing.T) {
	t.Parallel()
	for _, name := range backends.Names() {
		if e, _ := backends.Lookup(name); e.Info.LoginCost <= 0 && !strings.HasPrefix(name, "test-") {
			t.Errorf("backend %s declares no login cost: plan estimates leave its login phase out", name)
		}
	}
	estimate := func(yaml string) time.Duration {
		runs, err := Plan(mustParse(t, yaml))
		if err != nil {
			t.Fatal(err)
		}
		return EstimateDuration(runs)
	}
	few := estimate("name: t\nbackends: [jwt-es256]\nusers: 1000\nduration: 2s\nwarmup: 0s\nrepeat: 1\n")
	many := estimate("name: t\nbackends: [jwt-es256]\nusers: 1000000\nduration: 2s\nwarmup: 0s\nrepeat: 1\n")
	es, _ := backends.Lookup("jwt-es256")
	want := 999000 * es.Info.LoginCost / time.Duration(runtime.NumCPU())
	if got := many - few; got != want {
		t.Errorf("999,000 more users on jwt-es256 add %v to the estimate, want %v", got, want)
	}
	rsa2048 := estimate("name: t\nbackends: [jwt-rs256]\nusers: 10000\nduration: 2s\nwarmup: 0s\nrepeat: 1\n")
	rsa4096 := estimate("name: t\nbackends: [jwt-rs256]\nusers: 10000\nduration: 2s\nwarmup: 0s\nrepeat: 1\noptions:\n  jwt-rs256: {bits: 4096}\n")
	if rsa4096 <= rsa2048 {
		t.Errorf("RSA 4096 logins estimated at %v, no longer than 2048's %v", rsa4096, rsa2048)
	}
}

// The estimate includes, once per token backend, the attack catalogue and
// the timing of validation steps that precede the first run.
func TestEstimateIncludesQuestions(t *testing.T) {
	t.Parallel()
	estimate := func(yaml string) time.Duration {
		runs, err := Plan(mustParse(t, yaml))
		if err != nil {
			t.Fatal(err)
		}
		return EstimateDuration(runs)
	}
	const tail = "users: 1\nduration: 1s\nwarmup: 0s\nrepeat: 3\n"
	if !backends.Attackable("jwt-hs256") || backends.Attackable("noop") {
		t.Fatal("jwt-hs256 should be a token backend the runner attacks, noop not")
	}
	noop := estimate("name: t\nbackends: [noop]\n" + tail)
	both := estimate("name: t\nbackends: [noop, jwt-hs256]\n" + tail)
	es, _ := backends.Lookup("jwt-hs256")
	perRun := time.Second + SetupAllowance + es.Info.LoginCost/time.Duration(runtime.NumCPU())
	if got, want := both-noop, 3*perRun+QuestionsAllowance; got != want {
		t.Errorf("jwt-hs256 adds %v to the estimate, want its three runs and the questions once: %v", got, want)
	}
}
