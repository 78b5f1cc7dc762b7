package scenarios

import (
	"fmt"
	"math"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
)

var nameRE = regexp.MustCompile(`^[a-z0-9-]+$`)

// blame returns the origin to cite for a rule about paths: an override
// (--set or sweep value) among them first, since it is the latest change;
// then the first path written in the file; then the nearest written
// parent section; then the top of the document.
func (s *Scenario) blame(paths ...string) origin {
	for _, p := range paths {
		if o, ok := s.origins[p]; ok && o.Override {
			return o
		}
	}
	for _, p := range paths {
		if o, ok := s.origins[p]; ok {
			return o
		}
	}
	for _, p := range paths {
		for {
			i := strings.LastIndexByte(p, '.')
			if i < 0 {
				break
			}
			p = p[:i]
			if o, ok := s.origins[p]; ok {
				return o
			}
		}
	}
	if o, ok := s.origins[""]; ok {
		return o
	}
	file := s.File
	if file == "" {
		file = "scenario " + s.Name
	}
	return origin{File: file}
}

// fmtDur writes a duration without trailing zero units ("24h", not
// "24h0m0s").
func fmtDur(d time.Duration) string {
	t := d.String()
	if strings.HasSuffix(t, "m0s") {
		t = strings.TrimSuffix(t, "0s")
	}
	if strings.HasSuffix(t, "h0m") {
		t = strings.TrimSuffix(t, "0m")
	}
	return t
}

func fmtNum(f float64) string {
	return fmt.Sprint(f)
}

// Validate checks every rule on the scenario's current values and returns
// the first violation as an *Error. Parse and ApplySets call it; call it
// again after changing fields by hand.
func (s *Scenario) Validate() error {
	type rule struct {
		bad  bool
		path []string // blamed, in order of preference
		msg  string
	}
	dur := func(path string, d, lo, hi time.Duration, strict bool) rule {
		switch {
		case strict && d <= lo:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be > 0, got %s", path, fmtDur(d))}
		case d < lo:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be >= 0, got %s", path, fmtDur(d))}
		case d > hi:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be at most %s, got %s", path, fmtDur(hi), fmtDur(d))}
		}
		return rule{}
	}
	count := func(path string, n, lo, hi int) rule {
		switch {
		case n < lo:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be >= %d, got %d", path, lo, n)}
		case n > hi:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be at most %d, got %d", path, hi, n)}
		}
		return rule{}
	}
	num := func(path string, f, lo, hi float64) rule {
		switch {
		case math.IsNaN(f) || math.IsInf(f, 0):
			return rule{true, []string{path}, fmt.Sprintf("%s: must be a finite number", path)}
		case f < lo:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be >= %s, got %s", path, fmtNum(lo), fmtNum(f))}
		case f > hi:
			return rule{true, []string{path}, fmt.Sprintf("%s: must be at most %s, got %s", path, fmtNum(hi), fmtNum(f))}
		}
		return rule{}
	}
	text := func(path, v string) rule {
		switch {
		case v == "":
			return rule{true, []string{path}, fmt.Sprintf("%s: must not be empty", path)}
		case len(v) > MaxStringLen:
			return rule{true, []string{path}, fmt.Sprintf("%s: at most %d characters, got %d", path, MaxStringLen, len(v))}
		}
		return rule{}
	}
	oneOf := func(path, v string, allowed ...string) rule {
		for _, a := range allowed {
			if v == a {
				return rule{}
			}
		}
		return rule{true, []string{path}, fmt.Sprintf("%s: must be %s, got %s", path, orList(allowed), quoteClip(v))}
	}

	rules := []rule{
		{s.Name == "", []string{"name"}, "name: required ([a-z0-9-]+, used in the run folder's name)"},
		{s.Name != "" && (!nameRE.MatchString(s.Name) || len(s.Name) > 64), []string{"name"},
			fmt.Sprintf("name: must be 1 to 64 lower-case letters, digits or dashes, got %s", quoteClip(s.Name))},
		{utf8.RuneCountInString(s.Description) > MaxDescription, []string{"description"},
			fmt.Sprintf("description: at most %d characters, got %d", MaxDescription, utf8.RuneCountInString(s.Description))},
		{len(s.Backends) == 0, []string{"backends"}, "backends: required: list at least one backend (see authbench list)"},
		{len(s.Backends) > MaxBackends, []string{"backends"}, fmt.Sprintf("backends: at most %d, got %d", MaxBackends, len(s.Backends))},
	}
	if r := s.checkBackends(); r != nil {
		rules = append(rules, rule{true, r.path, r.msg})
	}
	rules = append(rules,
		dur("duration", s.Duration, 0, MaxDuration, true),
		rule{s.Duration > 0 && s.Duration < MinDuration, []string{"duration"},
			fmt.Sprintf("duration: must be at least %s (a shorter window measures nothing), got %s", fmtDur(MinDuration), fmtDur(s.Duration))},
		dur("warmup", s.Warmup, 0, MaxWarmup, false),
		count("repeat", s.Repeat, 1, MaxRepeat),
		count("users", s.Users, 1, MaxUsers),
		oneOf("load.model", s.Load.Model, "closed", "open"),
		count("load.clients", s.Load.Clients, 1, MaxClients),
		num("load.rate", s.Load.Rate, 0, MaxRate),
		rule{s.Load.Model == "open" && s.Load.Rate == 0, []string{"load.rate", "load.model"},
			"load.rate: the open model needs a rate > 0 (requests per second)"},
		rule{s.Load.Model == "open" && s.Load.Rate > 0 && s.Duration > 0 && s.Load.Rate*s.Duration.Seconds() < 1, []string{"load.rate", "duration"},
			fmt.Sprintf("load.rate: %s/s gives no request in the %s window (rate × duration must be at least 1)", fmtNum(s.Load.Rate), fmtDur(s.Duration))},
		rule{s.Load.Model == "closed" && s.Load.Rate > 0, []string{"load.rate", "load.model"},
			fmt.Sprintf("load.rate: %s conflicts with load.model closed (a rate applies to the open model; set load.model: open or remove load.rate)", fmtNum(s.Load.Rate))},
		dur("load.think", s.Load.Think, 0, MaxThink, false),
		rule{s.Load.Model == "open" && s.Load.Think > 0, []string{"load.think", "load.model"},
			"load.think: think time applies to the closed model only (in the open model the rate sets the pace)"},
		dur("token.ttl", s.Token.TTL, 0, MaxTTL, true),
		dur("token.leeway", s.Token.Leeway, 0, MaxLeeway, false),
		rule{s.Token.TTL > 0 && s.Token.TTL <= s.Token.Leeway, []string{"token.ttl", "token.leeway"},
			fmt.Sprintf("token.ttl: must be longer than token.leeway (%s), got %s", fmtDur(s.Token.Leeway), fmtDur(s.Token.TTL))},
		count("token.claims_bytes", s.Token.ClaimsBytes, 0, MaxClaimsBytes),
		text("token.issuer", s.Token.Issuer),
		text("token.audience", s.Token.Audience),
		num("revocation.rate", s.Revocation.Rate, 0, MaxRate),
		rule{s.Revocation.Rate > 0 && s.Revocation.Rate*(s.Warmup+s.Duration).Seconds() < 1, []string{"revocation.rate", "duration"},
			fmt.Sprintf("revocation.rate: %s/s gives no logout in the %s run (rate × (warmup + duration) must be at least 1)", fmtNum(s.Revocation.Rate), fmtDur(s.Warmup+s.Duration))},
		num("revocation.replay", s.Revocation.Replay, 0, 1),
		rule{s.Revocation.Replay > 0 && s.Revocation.Rate == 0, []string{"revocation.replay", "revocation.rate"},
			fmt.Sprintf("revocation.replay: %s needs revocation.rate > 0: with no logouts nothing is ever revoked, so there is nothing to replay", fmtNum(s.Revocation.Replay))},
		count("cluster.nodes", s.Cluster.Nodes, 1, MaxNodes),
		oneOf("cluster.routing", s.Cluster.Routing, "random", "sticky"),
		dur("redis.timeout", s.Redis.Timeout, 0, MaxRedisTime, true),
		count("redis.pool_size", s.Redis.PoolSize, 0, MaxPoolSize),
		oneOf("redis.mode", s.Redis.Mode, backends.RedisStandalone, backends.RedisCluster),
		dur("redis.latency", s.Redis.Latency, 0, MaxRedisDelay, false),
		dur("redis.jitter", s.Redis.Jitter, 0, MaxRedisDelay, false),
		rule{s.Redis.Jitter > s.Redis.Latency, []string{"redis.jitter", "redis.latency"},
			fmt.Sprintf("redis.jitter: %s exceeds redis.latency (%s): delays would be cut off at zero and the mean round trip would no longer be redis.latency", fmtDur(s.Redis.Jitter), fmtDur(s.Redis.Latency))},
	)
	if s.Redis.URL != "" {
		// The parser the run connects with, so that check accepts every
		// form run does (cluster ?addr=, Sentinel ?master_name=).
		if err := redisproc.CheckURL(s.Redis); err != nil {
			rules = append(rules, rule{true, []string{"redis.url"}, fmt.Sprintf("redis.url: %v (want redis://host:port/db, rediss://… or unix:///path; add ?addr=host:port for a cluster, ?master_name=NAME for Sentinel)", err)})
		}
	}
	if len(s.Keys) > 4096 {
		rules = append(rules, rule{true, []string{"keys"}, "keys: path too long"})
	}
	for _, r := range rules {
		if r.bad {
			return s.blame(r.path...).errorf("%s", r.msg)
		}
	}
	if err := s.checkTransport(); err != nil {
		return err
	}
	if err := s.checkRequire(); err != nil {
		return err
	}
	return s.checkOptions()
}

func orList(words []string) string {
	q := make([]string, len(words))
	for i, w := range words {
		q[i] = fmt.Sprintf("%q", w)
	}
	if len(q) == 2 {
		return q[0] + " or " + q[1]
	}
	return strings.Join(q[:len(q)-1], ", ") + " or " + q[len(q)-1]
}

type violation struct {
	path []string
	msg  string
}

// checkBackends checks each listed name against the registry.
func (s *Scenario) checkBackends() *violation {
	seen := map[string]int{}
	for i, name := range s.Backends {
		p := fmt.Sprintf("backends[%d]", i)
		if _, ok := backends.Lookup(name); !ok {
			return &violation{[]string{p, "backends"}, fmt.Sprintf("%s: unknown backend %s%s", p, quoteClip(name), didYouMean(name, backends.Names()))}
		}
		if j, dup := seen[name]; dup {
			return &violation{[]string{p, "backends"}, fmt.Sprintf("%s: %q is already listed as backends[%d]", p, name, j)}
		}
		seen[name] = i
	}
	return nil
}

// checkOptions runs each option struct's own Check, blamed on the most
// recent override of one of its fields, else on its options.<name> key.
func (s *Scenario) checkOptions() error {
	names := make([]string, 0, len(s.Options))
	for n := range s.Options {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if err := s.Options[n].Check(); err != nil {
			prefix := "options." + n
			var over []string
			for p, o := range s.origins {
				if o.Override && (p == prefix || strings.HasPrefix(p, prefix+".")) {
					over = append(over, p)
				}
			}
			sort.Strings(over)
			return s.blame(append(over, prefix, "options")...).errorf("%s: %v", prefix, err)
		}
	}
	return nil
}
