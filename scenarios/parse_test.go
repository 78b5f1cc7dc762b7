package scenarios

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

var update = flag.Bool("update", false, "rewrite the expected errors of testdata/bad")

const base = "name: t\nbackends: [test-a]\n"

func TestRefusals(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name, yaml, want string
	}{
		{"empty", "", "t.yaml:1:1: empty scenario: name and backends are required"},
		{"zero duration", base + "duration: 0s\n", "t.yaml:3:11: duration: must be > 0, got 0s"},
		{"nanosecond duration", base + "duration: 1ns\n", "t.yaml:3:11: duration: must be at least 10ms (a shorter window measures nothing), got 1ns"},
		{"rate without a request", base + "duration: 10s\nload: {model: open, rate: 0.0000001}\n", "t.yaml:4:27: load.rate: 1e-07/s gives no request in the 10s window (rate × duration must be at least 1)"},
		{"revocation rate without a logout", base + "duration: 1s\nwarmup: 0s\nrevocation: {rate: 0.5}\n", "t.yaml:5:20: revocation.rate: 0.5/s gives no logout in the 1s run (rate × (warmup + duration) must be at least 1)"},
		{"bare duration", base + "duration: 10\n", `t.yaml:3:11: duration: a duration needs a unit: write "10s" or "10ms", not the bare number 10`},
		{"not top level", base + "think: 1s\n", `t.yaml:3:1: unknown field "think" (known: attack, backends, cluster, credential, csrf, description, duration, extra, http, keys, load, max_error_share, name, options, redis, repeat, require, revocation, seed, sweep, token, transport, users, warmup)`},
		{"duration text", base + "warmup: soon\n", `t.yaml:3:9: warmup: invalid duration "soon" (write it like "10s", "1m30s" or "250ms")`},
		{"duration too long", base + "duration: 25h\n", "t.yaml:3:11: duration: must be at most 24h, got 25h"},
		{"negative warmup", base + "warmup: -1s\n", "t.yaml:3:9: warmup: must be >= 0, got -1s"},
		{"repeat 0", base + "repeat: 0\n", "t.yaml:3:9: repeat: must be >= 1, got 0"},
		{"users 0", base + "users: 0\n", "t.yaml:3:8: users: must be >= 1, got 0"},
		{"users huge", base + "users: 20000000\n", "t.yaml:3:8: users: must be at most 10000000, got 20000000"},
		{"users overflow", base + "users: 99999999999999999999999\n", "t.yaml:3:8: users: 99999999999999999999999 is too large"},
		{"seed negative", base + "seed: -1\n", "t.yaml:3:7: seed: must be >= 0, got -1"},
		{"name missing", "backends: [test-a]\n", "t.yaml:1:1: name: required ([a-z0-9-]+, used in the run folder's name)"},
		{"name bad", "name: Big_Name\nbackends: [test-a]\n", `t.yaml:1:7: name: must be 1 to 64 lower-case letters, digits or dashes, got "Big_Name"`},
		{"name number", "name: 12\nbackends: [test-a]\n", `t.yaml:1:7: name: must be a string, got a number ("12"); quote it`},
		{"backends missing", "name: t\n", "t.yaml:1:1: backends: required: list at least one backend (see authbench list)"},
		{"backends unknown", "name: t\nbackends: [test-a, test-b, jwt-foo]\n", `t.yaml:2:28: backends[2]: unknown backend "jwt-foo" (known: ` + known() + `)`},
		{"backends typo", "name: t\nbackends: [test-d]\n", `t.yaml:2:12: backends[0]: unknown backend "test-d" (did you mean "test-a"?)`},
		{"backends twice", "name: t\nbackends: [test-a, test-a]\n", `t.yaml:2:20: backends[1]: "test-a" is already listed as backends[0]`},
		{"backends scalar", "name: t\nbackends: test-a\n", "t.yaml:2:11: backends: must be a list, e.g. [a, b], got a string"},
		{"unknown field", base + "load:\n  clinets: 4\n", `t.yaml:4:3: unknown field "clinets" in load (did you mean "clients"?)`},
		{"unknown top", base + "durration: 4s\n", `t.yaml:3:1: unknown field "durration" (did you mean "duration"?)`},
		{"duplicate", base + "users: 1\nusers: 2\n", `t.yaml:4:1: duplicate key "users" (first at line 3)`},
		{"model", base + "load: {model: opne}\n", `t.yaml:3:15: load.model: must be "closed" or "open", got "opne"`},
		{"clients 0", base + "load: {clients: 0}\n", "t.yaml:3:17: load.clients: must be >= 1, got 0"},
		{"clients huge", base + "load: {clients: 10001}\n", "t.yaml:3:17: load.clients: must be at most 10000, got 10001"},
		{"clients float", base + "load: {clients: 1.5}\n", "t.yaml:3:17: load.clients: must be a whole number, got 1.5"},
		{"clients string", base + "load: {clients: \"4\"}\n", `t.yaml:3:17: load.clients: must be a whole number, got a string "4"`},
		{"open no rate", base + "load: {model: open}\n", "t.yaml:3:15: load.rate: the open model needs a rate > 0 (requests per second)"},
		{"closed with rate", base + "load: {rate: 100}\n", "t.yaml:3:14: load.rate: 100 conflicts with load.model closed (a rate applies to the open model; set load.model: open or remove load.rate)"},
		{"negative rate", base + "load: {model: open, rate: -1}\n", "t.yaml:3:27: load.rate: must be >= 0, got -1"},
		{"nan rate", base + "load: {model: open, rate: .nan}\n", "t.yaml:3:27: load.rate: must be a finite number, got .nan"},
		{"negative think", base + "load: {think: -2s}\n", "t.yaml:3:15: load.think: must be >= 0, got -2s"},
		{"open with think", base + "load: {model: open, rate: 10, think: 1s}\n", "t.yaml:3:38: load.think: think time applies to the closed model only (in the open model the rate sets the pace)"},
		{"ttl zero", base + "token: {ttl: 0s}\n", "t.yaml:3:14: token.ttl: must be > 0, got 0s"},
		{"ttl below leeway", base + "token: {ttl: 4s}\n", "t.yaml:3:14: token.ttl: must be longer than token.leeway (5s), got 4s"},
		{"leeway above default ttl", base + "token: {leeway: 20m}\n", "t.yaml:3:17: token.ttl: must be longer than token.leeway (20m), got 15m"},
		{"negative leeway", base + "token: {leeway: -1s}\n", "t.yaml:3:17: token.leeway: must be >= 0, got -1s"},
		{"claims", base + "token: {claims_bytes: 65537}\n", "t.yaml:3:23: token.claims_bytes: must be at most 65536, got 65537"},
		{"issuer empty", base + "token: {issuer: \"\"}\n", "t.yaml:3:17: token.issuer: must not be empty"},
		{"audience missing", base + "token: {audience: }\n", `t.yaml:3:9: token.audience: missing value (write "" for an empty string)`},
		{"revocation negative", base + "revocation: {rate: -1}\n", "t.yaml:3:20: revocation.rate: must be >= 0, got -1"},
		{"replay above 1", base + "revocation: {rate: 1, replay: 1.1}\n", "t.yaml:3:31: revocation.replay: must be at most 1, got 1.1"},
		{"replay no revocation", base + "revocation: {replay: 0.2}\n", "t.yaml:3:22: revocation.replay: 0.2 needs revocation.rate > 0: with no logouts nothing is ever revoked, so there is nothing to replay"},
		{"nodes 0", base + "cluster: {nodes: 0}\n", "t.yaml:3:18: cluster.nodes: must be >= 1, got 0"},
		{"nodes huge", base + "cluster: {nodes: 65}\n", "t.yaml:3:18: cluster.nodes: must be at most 64, got 65"},
		{"routing", base + "cluster: {routing: hash}\n", `t.yaml:3:20: cluster.routing: must be "random" or "sticky", got "hash"`},
		{"redis timeout", base + "redis: {timeout: 0s}\n", "t.yaml:3:18: redis.timeout: must be > 0, got 0s"},
		{"redis pool", base + "redis: {pool_size: -1}\n", "t.yaml:3:20: redis.pool_size: must be >= 0, got -1"},
		{"redis mode", base + "redis: {mode: sentinel}\n", `t.yaml:3:15: redis.mode: must be "standalone" or "cluster", got "sentinel"`},
		{"redis latency", base + "redis: {latency: -1ms}\n", "t.yaml:3:18: redis.latency: must be >= 0, got -1ms"},
		{"redis latency huge", base + "redis: {latency: 2s}\n", "t.yaml:3:18: redis.latency: must be at most 1s, got 2s"},
		{"redis jitter", base + "redis: {latency: 1ms, jitter: 2ms}\n", "t.yaml:3:31: redis.jitter: 2ms exceeds redis.latency (1ms): delays would be cut off at zero and the mean round trip would no longer be redis.latency"},
		{"max error share", base + "max_error_share: 2\n", "t.yaml:3:18: max_error_share: must be within 0..1 (a share of requests), got 2"},
		{"require unknown backend", base + "require:\n  backends: [test-b]\n", `t.yaml:4:13: require.backends: "test-b" is not among the scenario's backends`},
		{"require negative p99", base + "require: {validate_p99: -1ms}\n", "t.yaml:3:25: require.validate_p99: must not be negative, got -1ms"},
		{"require error share", base + "require: {error_share: 1.5}\n", "t.yaml:3:24: require.error_share: must be within 0..1, got 1.5"},
		{"require unknown field", base + "require: {p99: 1ms}\n", `t.yaml:3:11: unknown field "p99" in require (known: backends, cpu_us, error_share, exposure_p99, false_accepts, store_round_trips, throughput, token_bytes, validate_p99)`},
		{"section scalar", base + "load: 4\n", "t.yaml:3:7: load: must be a mapping of fields, got a number"},
		{"top list", "- a\n", "t.yaml:1:1: a scenario must be a mapping of fields (name, backends, …), got a list"},
		{"anchor", base + "load: &l {clients: 2}\n", "t.yaml:3:7: anchors and aliases (&name, *name) are not supported in scenario files"},
		{"tab", base + "load:\n\tclients: 2\n", "t.yaml:4:1: tab used for indentation; YAML allows only spaces"},
		{"nul", base + "description: a\x00b\n", "t.yaml:3:15: not a text file: control character U+0000"},
		{"utf8", base + "description: \xff\n", "t.yaml:3:14: not a text file: invalid UTF-8 (byte 0xff)"},
		{"second document", base + "---\nname: u\n", "t.yaml:3:1: a scenario file holds one YAML document; found a second one"},
		{"long description", base + "description: " + strings.Repeat("é", 1025) + "\n", "t.yaml:3:14: description: at most 1024 characters, got 1025"},
		{"too many tokens", base + strings.Repeat("users: 1\n", 5000), "t.yaml:3333:8: too many YAML tokens (more than 10000); a scenario is a few dozen lines"},
		{"option unknown backend", base + "options:\n  test-z: {}\n", `t.yaml:4:3: options: unknown backend "test-z" (did you mean "test-a"?)`},
		{"option no options", base + "options:\n  test-a: {x: 1}\n", `t.yaml:4:12: unknown field "x" in options.test-a (test-a takes no options)`},
		{"option unknown field", base + "options:\n  test-b: {dealy: 1ms}\n", `t.yaml:4:12: unknown field "dealy" in options.test-b (did you mean "delay"?)`},
		{"option type", base + "options:\n  test-b: {bits: lots}\n", `t.yaml:4:18: options.test-b.bits: must be a whole number, got a string "lots"`},
		{"option check", "name: t\nbackends: [test-b]\noptions:\n  test-b:\n    bits: 7\n", "t.yaml:4:3: options.test-b: bits must be a multiple of 8, got 7"},
		{"options of a backend not run", base + "options:\n  test-b: {bits: 8}\n",
			"t.yaml:4:3: options.test-b: test-b is not in backends, so these options would be ignored (add it to backends or remove them)"},
		// Text reaches report.md and terminals: no escapes, no bidi overrides, one line.
		{"escape in description", base + "description: \"red \\e[31m\"\n", "t.yaml:3:14: description: control character U+001B is not allowed (it would reach the report and the terminal as it is)"},
		{"bell in issuer", base + "token: {issuer: \"a\\ab\"}\n", "t.yaml:3:17: token.issuer: control character U+0007 is not allowed (it would reach the report and the terminal as it is)"},
		{"bidi override", base + "description: \"a\\u202Eb\"\n", "t.yaml:3:14: description: control character U+202E is not allowed (it would reach the report and the terminal as it is)"},
		{"two-line description", base + "description: |\n  one\n  two\n", "t.yaml:3:14: description: must be one line"},
		// 1e9 is a number in YAML 1.2, though the library reads it as a string.
		{"exponent too large", base + "load: {clients: 1e9}\n", "t.yaml:3:17: load.clients: must be at most 10000, got 1000000000"},
		{"exponent rate", base + "load: {model: open, rate: 1e12}\n", "t.yaml:3:27: load.rate: must be at most 1e+07, got 1e+12"},
		{"exponent not whole", base + "load: {clients: 15e-1}\n", "t.yaml:3:17: load.clients: must be a whole number, got 15e-1"},
		{"empty number", base + "load:\n  clients:\n", "t.yaml:4:3: load.clients: must be a whole number, got an empty value"},
		{"sweep unknown", base + "sweep:\n  load.clinets: [1]\n", `t.yaml:4:3: sweep: unknown field "clinets" in load (did you mean "clients"?)`},
		{"sweep scalar", base + "sweep:\n  load.clients: 4\n", "t.yaml:4:17: sweep.load.clients: must be a list of values, e.g. [1, 4, 16], got a number"},
		{"sweep empty", base + "sweep:\n  load.clients: []\n", "t.yaml:4:17: sweep.load.clients: needs at least one value"},
		{"sweep type", base + "sweep:\n  load.clients: [1, x]\n", `t.yaml:4:21: load.clients: must be a whole number, got a string "x"`},
		{"sweep duration", base + "sweep:\n  token.ttl: [1m, 30]\n", `t.yaml:4:19: token.ttl: a duration needs a unit: write "30s" or "30ms", not the bare number 30`},
		{"sweep invalid value", base + "sweep:\n  load.clients: [1, 0]\n", "t.yaml:4:21: load.clients: must be >= 1, got 0"},
		{"sweep combination", base + "sweep:\n  token.ttl: [1m, 10s]\n  token.leeway: [1s, 20s]\n", "t.yaml:4:19: token.ttl: must be longer than token.leeway (20s), got 10s"},
		{"sweep backends", base + "sweep:\n  backends: [[test-a]]\n", "t.yaml:4:3: sweep: backends cannot be swept: every point already runs every backend"},
		{"sweep repeated", base + "sweep:\n  load.clients: [1, 2, 1]\n", `t.yaml:4:24: sweep.load.clients[2]: value "1" repeats sweep.load.clients[0]`},
		{"sweep option check", "name: t\nbackends: [test-b]\nsweep:\n  options.test-b.bits: [8, 9]\n", "t.yaml:4:28: options.test-b: bits must be a multiple of 8, got 9"},
		{"plan too large", "name: t\nbackends: [test-a, test-b]\nrepeat: 1000\nsweep:\n  load.clients: [1, 2, 3, 4, 5, 6]\n",
			"t.yaml:4:1: the plan is too large: 2 backends × 6 points × 1000 repeats exceeds 10000 runs"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			s, err := ParseBytes("t.yaml", []byte(tt.yaml))
			if err == nil {
				t.Fatalf("accepted: %+v", s)
			}
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if got := err.Error(); got != tt.want {
				t.Errorf("got  %s\nwant %s", got, tt.want)
			}
		})
	}
}

// known is the list of registered backends as messages print it.
func known() string { return strings.Join(backends.Names(), ", ") }

func TestDefaults(t *testing.T) {
	t.Parallel()
	s, err := ParseBytes("t.yaml", []byte(base))
	if err != nil {
		t.Fatal(err)
	}
	want := Defaults()
	want.Name, want.Backends = "t", []string{"test-a"}
	got := *s
	got.Options, got.File, got.origins, got.Sweep = nil, "", nil, nil
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got  %+v\nwant %+v", got, want)
	}
	// Every backend with options has an entry, defaults when absent.
	o, ok := s.Options["test-b"].(*testOptions)
	if !ok || o.Delay != time.Millisecond || o.Bits != 256 || o.Mode != "fast" {
		t.Errorf("options[test-b] = %#v, want the registered defaults", s.Options["test-b"])
	}
	if _, ok := s.Options["test-a"]; ok {
		t.Errorf("options has an entry for test-a, which takes no options")
	}
}

func TestParseFull(t *testing.T) {
	t.Parallel()
	s, err := ParseBytes("t.yaml", []byte(`
name: full-1
description: "every field"
backends:
  - test-a
  - test-b
duration: 1m30s
warmup: 250ms
repeat: 5
seed: 7
users: 20
load: {model: open, clients: 4, rate: 1.5e3}
token: {ttl: 1h, leeway: 0s, claims_bytes: 0, issuer: me, audience: you}
revocation: {rate: 2.5, replay: 1}
cluster: {nodes: 3, routing: sticky}
redis: {url: "redis://127.0.0.1:6379/2", pool_size: 8, timeout: 1s}
keys: /tmp/keys
options:
  test-b: {delay: 3ms, bits: 512, mode: slow, tags: [a, b]}
`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 90*time.Second || s.Warmup != 250*time.Millisecond || s.Repeat != 5 || s.Seed != 7 || s.Users != 20 ||
		s.Load != (Load{"open", 4, 1500, 0}) || s.Token.TTL != time.Hour || s.Token.Issuer != "me" ||
		s.Revocation != (Revocation{2.5, 1}) || s.Cluster != (Cluster{3, "sticky"}) ||
		s.Redis.URL != "redis://127.0.0.1:6379/2" || s.Redis.PoolSize != 8 || s.Keys != "/tmp/keys" {
		t.Errorf("parsed %+v", *s)
	}
	o := s.Options["test-b"].(*testOptions)
	if o.Delay != 3*time.Millisecond || o.Bits != 512 || o.Mode != "slow" || !reflect.DeepEqual(o.Tags, []string{"a", "b"}) {
		t.Errorf("options = %+v", o)
	}
}

// TestBadCorpus parses every file of testdata/bad and compares its first
// error with NAME.err (go test -run BadCorpus -update rewrites them).
func TestBadCorpus(t *testing.T) {
	files, err := filepath.Glob("testdata/bad/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 30 {
		t.Fatalf("only %d files in testdata/bad, want at least 30", len(files))
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			_, err := Parse(f)
			if err == nil {
				t.Fatal("accepted")
			}
			var e *Error
			if !errors.As(err, &e) || e.Line == 0 {
				t.Fatalf("error is not a positioned *Error: %v", err)
			}
			got := err.Error() + "\n"
			if strings.Count(got, "\n") != 1 {
				t.Errorf("error spans several lines: %q", got)
			}
			golden := strings.TrimSuffix(f, ".yaml") + ".err"
			if *update {
				if err := os.WriteFile(golden, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run BadCorpus -update)", err)
			}
			if got != string(want) {
				t.Errorf("got  %swant %s", got, want)
			}
		})
	}
}

// hostile inputs generated in memory rather than stored.
func hostileInputs() map[string][]byte {
	return map[string][]byte{
		"too large":       []byte(base + "description: " + strings.Repeat("a", MaxFileSize) + "\n"),
		"megabyte of [":   []byte(strings.Repeat("[", MaxFileSize-1)),
		"megabyte of {a:": []byte(strings.Repeat("{a: ", MaxFileSize/4-1)),
		"deep block":      []byte(deepBlock(2000)),
		"long list":       []byte(base + "sweep:\n  load.clients: [" + strings.Repeat("1, ", 300000) + "1]\n"),
		"many keys":       []byte(base + strings.Repeat("users: 1\n", 100000)),
		"many documents":  []byte(strings.Repeat("---\na: 1\n", 100000)),
		"long line":       []byte(base + "description: " + strings.Repeat("é", MaxFileSize/2-40) + "\n"),
	}
}

func deepBlock(depth int) string {
	var b strings.Builder
	b.WriteString(base + "load:\n")
	for i := 1; i < depth && b.Len() < MaxFileSize-depth*2; i++ {
		b.WriteString(strings.Repeat(" ", i) + "k:\n")
	}
	return b.String()
}

// TestHostileInputBounded checks that hostile input is refused with a
// positioned error and a bounded amount of memory (timing lives in
// BenchmarkParseHostile).
func TestHostileInputBounded(t *testing.T) {
	for name, data := range hostileInputs() {
		t.Run(name, func(t *testing.T) {
			var before, after runtime.MemStats
			runtime.ReadMemStats(&before)
			_, err := ParseBytes("h.yaml", data)
			runtime.ReadMemStats(&after)
			if err == nil {
				t.Fatal("accepted")
			}
			if !strings.HasPrefix(err.Error(), "h.yaml:") {
				t.Errorf("error not positioned: %v", err)
			}
			if alloc := after.TotalAlloc - before.TotalAlloc; alloc > 512<<20 {
				t.Errorf("allocated %d MiB for %d bytes of input", alloc>>20, len(data))
			}
			t.Logf("%s: %v", name, clip(err.Error()))
		})
	}
}

func BenchmarkParseHostile(b *testing.B) {
	for name, data := range hostileInputs() {
		b.Run(strings.ReplaceAll(name, " ", "-"), func(b *testing.B) {
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				_, _ = ParseBytes("h.yaml", data)
			}
		})
	}
}

func BenchmarkParseCompare(b *testing.B) {
	data, err := Builtin.ReadFile("compare.yaml")
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		_, _ = ParseBytes("compare.yaml", data)
	}
}

// unknownBackends returns the backends a scenario names that are not
// registered in this build.
func unknownBackends(t *testing.T, data []byte) []string {
	t.Helper()
	var missing []string
	for _, line := range strings.Split(string(data), "\n") {
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return strings.ContainsRune(" ,[]:-#\t", r) && r != '-' || r == ' ' }) {
			_ = f
		}
	}
	// A cheap scan is enough: parse errors name the first unknown backend,
	// so collect names by removing them one at a time.
	for range 64 {
		_, err := ParseBytes("x.yaml", data)
		var e *Error
		if !errors.As(err, &e) || !strings.Contains(e.Msg, "unknown backend") {
			break
		}
		name := between(e.Msg, `unknown backend "`, `"`)
		missing = append(missing, name)
		data = []byte(strings.ReplaceAll(string(data), name, "test-c"))
	}
	return missing
}

func between(s, start, end string) string {
	_, rest, _ := strings.Cut(s, start)
	v, _, _ := strings.Cut(rest, end)
	return v
}

// TestBuiltinsParse parses every built-in scenario. While the real
// backends are not all registered in this build, it names the missing ones
// and skips instead of failing.
func TestBuiltinsParse(t *testing.T) {
	names := BuiltinNames()
	for _, want := range []string{"quick", "compare", "full", "revocation", "cluster", "example-custom"} {
		if !strings.Contains(" "+strings.Join(names, " ")+" ", " "+want+" ") {
			t.Errorf("built-in %s.yaml is missing (have %v)", want, names)
		}
	}
	budget := map[string]time.Duration{"quick": 30 * time.Second, "compare": 5 * time.Minute}
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			data, err := Builtin.ReadFile(name + ".yaml")
			if err != nil {
				t.Fatal(err)
			}
			s, err := Resolve(name)
			if err != nil {
				if missing := unknownBackends(t, data); len(missing) > 0 {
					t.Skipf("backends not registered in this build: %s", strings.Join(missing, ", "))
				}
				t.Fatal(err)
			}
			if s.Name != name {
				t.Errorf("name %q in %s.yaml", s.Name, name)
			}
			runs, err := Plan(s)
			if err != nil {
				t.Fatal(err)
			}
			est := EstimateDuration(runs)
			t.Logf("%s: %d runs, about %v", name, len(runs), est)
			if limit, ok := budget[name]; ok && est >= limit {
				t.Errorf("%s takes about %v, over its budget of %v", name, est, limit)
			}
			if name == "compare" {
				// compare must list every registered backend but the test ones.
				listed := map[string]bool{}
				for _, b := range s.Backends {
					listed[b] = true
				}
				for _, b := range backends.Names() {
					if !listed[b] && !strings.HasPrefix(b, "test-") {
						t.Errorf("compare.yaml does not list backend %s", b)
					}
				}
			}
		})
	}
}

func TestResolve(t *testing.T) {
	t.Parallel()
	_, err := Resolve("no-such-scenario")
	if err == nil || !strings.Contains(err.Error(), "no-such-scenario: no such file, and not a built-in scenario (built-ins: choose, choose-no-store, choose-public, cluster, compare, example-custom, full, http, network, quick, revocation)") {
		t.Errorf("got %v", err)
	}
	dir := t.TempDir()
	p := filepath.Join(dir, "s.yaml")
	if err := os.WriteFile(p, []byte(base), 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Resolve(p)
	if err != nil || s.File != p || s.Name != "t" {
		t.Errorf("Resolve(%s) = %+v, %v", p, s, err)
	}
	if _, err := Parse(filepath.Join(dir, "missing.yaml")); err == nil || !strings.HasSuffix(err.Error(), "missing.yaml: cannot read: no such file or directory") {
		t.Errorf("missing file: %v", err)
	}
}

// FuzzParseScenario checks that no input makes the parser panic, that
// every refusal is one positioned line, and that every accepted scenario
// plans.
func FuzzParseScenario(f *testing.F) {
	for _, name := range BuiltinNames() {
		data, _ := Builtin.ReadFile(name + ".yaml")
		f.Add(data)
	}
	files, _ := filepath.Glob("testdata/*/*.yaml")
	for _, p := range files {
		data, _ := os.ReadFile(p)
		f.Add(data)
	}
	f.Add([]byte(base + "sweep:\n  load.clients: [1, 2]\n  options.test-b.delay: [1ms, 2ms]\n"))
	f.Add([]byte(withExtra))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseBytes("f.yaml", data)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("error %T is not *Error: %v", err, err)
			}
			if !strings.HasPrefix(err.Error(), "f.yaml:") || strings.Contains(err.Error(), "\n") {
				t.Fatalf("error not one positioned line: %q", err.Error())
			}
			return
		}
		if _, err := Plan(s); err != nil {
			t.Fatalf("parsed but does not plan: %v", err)
		}
	})
}

// A malformed redis.url is reported without the password it holds.
func TestRedisURLErrorHidesPassword(t *testing.T) {
	_, err := ParseBytes("s.yaml", []byte("name: s\nbackends: [noop]\nredis: {url: \"redis://:s3cretpw@127.0.0.1:bad/0\"}\n"))
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("error = %v, want one without the password", err)
	}
}
