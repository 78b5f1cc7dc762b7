package backends_test

import (
	"encoding/base64"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
)

// TestHostileInputEveryBackend sends credentials of megabytes — millions of
// dots, oversized headers, deep JSON, junk appended to a real credential —
// to every backend, the stateful ones included (the attack catalogue in
// attacks_test.go covers the forgeries against the token backends). Each
// must be refused as a rejection, not an error, without a round trip to
// Redis, and with allocations bounded by the size limit, not by the input.
func TestHostileInputEveryBackend(t *testing.T) {
	leakCheck(t)
	env, conn := redisEnv(t, 0)
	b64 := base64.RawURLEncoding.EncodeToString
	inputs := []struct {
		name string
		make func(valid string) string
	}{
		{"4 Mi dots", func(string) string { return strings.Repeat(".", 4<<20) }},
		{"16 MiB of base64", func(string) string { return strings.Repeat("A", 16<<20) }},
		{"1 MiB of NUL", func(string) string { return strings.Repeat("\x00", 1<<20) }},
		{"oversized header, 1 MiB", func(string) string {
			return b64([]byte(`{"alg":"HS256","typ":"JWT","x":"`+strings.Repeat("A", 1<<20)+`"}`)) + ".e30.c2ln"
		}},
		{"header nested a million deep", func(string) string {
			return b64([]byte(strings.Repeat("[", 1<<20))) + ".e30.c2ln"
		}},
		// Under the size limit, so the parsers themselves see them.
		{"8 000 dots", func(string) string { return strings.Repeat(".", 8000) }},
		{"header nested 5 000 deep", func(string) string {
			return b64([]byte(strings.Repeat("[", 5000))) + ".e30.c2ln"
		}},
		{"header of 5 000 keys", func(string) string {
			var b strings.Builder
			b.WriteString(`{"alg":"HS256"`)
			for i := range 5000 {
				b.WriteString(`,"` + strconv.Itoa(i) + `":0`)
			}
			return b64([]byte(b.String()+"}")) + ".e30.c2ln"
		}},
		{"valid credential + a million dots", func(v string) string { return v + strings.Repeat(".", 1<<20) }},
		{"valid credential + 1 MiB", func(v string) string { return v + strings.Repeat("A", 1<<20) }},
		{"valid credential repeated 10 000 times", func(v string) string { return strings.Repeat(v, 10_000) }},
	}
	roundTrips := func() int64 {
		var n int64
		for _, cmd := range []string{"get", "exists", "evalsha", "eval", "hget", "hgetall", "mget"} {
			n += commandCalls(t, conn.Client, cmd)
		}
		return n
	}
	for _, e := range backends.All() {
		name := e.Info.Name
		if e.Info.Family == "calibration" {
			continue // noop and sleep accept anything by design
		}
		t.Run(name, func(t *testing.T) {
			benv := *env
			benv.Namespace += name + ":"
			benv.Options = nil
			benv.Keys = nil
			s := openNode(t, name, &benv)
			ctx := ctxT(t)
			c := mustIssue(t, s, "alice")
			wantAccept(t, s, c.Token, "the node's own credential")
			for _, in := range inputs {
				tok := in.make(c.Token)
				before := roundTrips()
				var ms0, ms1 runtime.MemStats
				runtime.ReadMemStats(&ms0)
				const calls = 3
				var err error
				for range calls {
					err = s.Validate(ctx, tok)
				}
				runtime.ReadMemStats(&ms1)
				perCall := (ms1.TotalAlloc - ms0.TotalAlloc) / calls
				trips := roundTrips() - before
				if !backends.IsRejection(err) {
					t.Errorf("%s (%d bytes): Validate = %.200v, want a rejection", in.name, len(tok), err)
					continue
				}
				if trips != 0 {
					t.Errorf("%s: %d Redis look-ups for a credential that cannot be valid", in.name, trips)
				}
				// Above the size limit nothing is parsed: a few hundred
				// bytes. Below it the JSON decoder may spend some 20 times
				// the input (deep nesting), bounded by the limit.
				limit := uint64(4 << 10)
				if len(tok) <= backends.DefaultMaxTokenBytes {
					limit = 256 << 10
				}
				if perCall > limit {
					t.Errorf("%s (%d bytes): %d bytes allocated per validation, want ≤ %d", in.name, len(tok), perCall, limit)
				}
				t.Logf("%-40s %9d bytes → %-20s %6d B allocated/call", in.name, len(tok), backends.Explain(err), perCall)
			}
		})
	}
}

// commandCalls returns how many times the server has run cmd.
func commandCalls(t *testing.T, c redis.UniversalClient, cmd string) int64 {
	t.Helper()
	info, err := c.Info(ctxT(t), "commandstats").Result()
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(info, "\n") {
		rest, ok := strings.CutPrefix(strings.TrimSpace(line), "cmdstat_"+cmd+":calls=")
		if ok {
			n, _ := strconv.ParseInt(rest[:strings.IndexByte(rest+",", ',')], 10, 64)
			return n
		}
	}
	return 0
}
