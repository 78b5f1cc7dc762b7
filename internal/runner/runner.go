// Package runner executes a scenario's plan: it opens the backends, runs
// the load engine once per planned run, shows progress, and writes the run
// folder (summary.json, bench.txt, hdr/) through package results.
//
// What was measured is never lost: summary.json is rewritten after every
// finished run, so a failure in a later run, a signal or even a crash
// leaves the runs done on disk. The folder keeps a temporary name until
// the plan ends (finished, failed or interrupted); it then gets its final
// name, with summary.json's state saying how far the plan got.
package runner

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpdrive"
	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/load"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// RedisConnector connects to Redis as the scenario's redis section says
// (an URL, REDIS_URL, or a private redis-server it starts), returning the
// client and a function that releases it. It returns an error wrapping
// backends.ErrUnavailable when no Redis can be had on this machine.
type RedisConnector func(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error)

// Options configure Run.
type Options struct {
	Out     string    // the results folder; run folders are made inside it
	Stdout  io.Writer // progress and one line per finished run
	Stderr  io.Writer // warnings
	Bars    bool      // draw progress bars (stdout is a terminal, not --quiet)
	Version string

	// Redis connects the backends that need it; nil skips them.
	Redis RedisConnector
	// Shard marks the folder as one shard of a run spread over several
	// machines; the plan given to Run is already the shard's part.
	Shard *results.Shard

	// attackNode, when set, wraps the node the attack catalogue is
	// replayed against (tests: a deliberately broken validator).
	attackNode func(backends.Strategy) backends.Strategy
}

// Outcome is what Run produced.
type Outcome struct {
	Dir     string // the committed run folder
	Summary *results.Summary
}

// ErrInterrupted is returned (wrapped) with a complete Outcome when a
// signal cut the run short; the folder holds what was measured. Before
// anything was measured it is returned without an Outcome.
var ErrInterrupted = errors.New("interrupted")

// ErrIncomplete is returned (wrapped, with the reason) with a complete
// Outcome when a run of the plan failed: the folder holds every run
// before it, and summary.json's state_reason says which run failed and why.
var ErrIncomplete = errors.New("incomplete")

// Run executes plan, the expansion of s. A cancelled ctx stops the
// current run, keeps what it measured, skips the rest and still writes the
// folder, marked interrupted. A run that fails ends the plan: the folder
// is written with the runs before it, marked incomplete.
func Run(ctx context.Context, s *scenarios.Scenario, plan []scenarios.Run, opt Options) (*Outcome, error) {
	if opt.Stdout == nil {
		opt.Stdout = io.Discard
	}
	if opt.Stderr == nil {
		opt.Stderr = io.Discard
	}
	r := &runner{s: s, opt: opt, keys: map[string]*keys.Ring{}}
	defer r.closeRedis()

	sum := &results.Summary{
		Scenario:    s.Name,
		Description: s.Description,
		File:        s.File,
		StartedAt:   time.Now().UTC().Truncate(time.Second),
		Machine:     machine(),
		Version:     opt.Version,
		Warnings:    []string{},
		Config:      configRecord(s),
		Shard:       opt.Shard,
		Runs:        []results.Run{},
	}
	for _, a := range s.Sweep {
		sum.Sweep = append(sum.Sweep, a.Path)
	}
	limit := s.MaxErrorShare
	sum.MaxErrorShare = &limit
	sum.Require = requireRecord(s.Require)

	// Everything that can fail because of the machine or the scenario fails
	// here, before anything is measured: keys, Redis, backend options.
	sizePools(plan)
	skipped, err := r.preflight(ctx, plan, sum)
	if ctx.Err() != nil {
		// An error or a skipped backend now is the signal's echo (a Redis
		// start-up cut short, with its log), not a failure to report.
		return nil, fmt.Errorf("%w before anything was measured", ErrInterrupted)
	}
	if err != nil {
		return nil, err
	}
	for _, w := range sum.Warnings {
		fmt.Fprintln(opt.Stderr, "warning:", w)
	}

	f, err := results.NewFolder(opt.Out, s.Name, sum.StartedAt)
	if err != nil {
		return nil, err
	}
	r.folder = f
	save := func() error {
		if err := results.WriteSummary(f.Tmp, sum); err != nil {
			return fmt.Errorf("writing %s: %w (what was measured is left in %s)", results.SummaryFile, err, f.Tmp)
		}
		return nil
	}

	r.questions(ctx, plan, sum)

	prog := newProgress(ctx, opt, len(plan))
	for i, pr := range plan {
		if ctx.Err() != nil {
			sum.State, sum.Reason = results.StateInterrupted, fmt.Sprintf("interrupted before run %04d (%s)", i+1, runLabel(pr))
			break
		}
		if skipped[pr.Backend] {
			continue
		}
		// Until the run ends, the folder says where a crash stopped it.
		sum.State, sum.Reason = results.StateIncomplete, fmt.Sprintf("stopped during run %04d (%s)", i+1, runLabel(pr))
		if err := save(); err != nil {
			prog.wait()
			return nil, err
		}
		run, err := r.one(ctx, pr, i, prog)
		if err != nil {
			if ctx.Err() != nil {
				sum.State, sum.Reason = results.StateInterrupted, fmt.Sprintf("interrupted during the set-up of run %04d (%s): nothing of it was measured", i+1, runLabel(pr))
			} else {
				sum.State, sum.Reason = results.StateIncomplete, fmt.Sprintf("run %04d (%s) failed: %v", i+1, runLabel(pr), err)
			}
			break
		}
		sum.Runs = append(sum.Runs, *run)
		if run.Interrupted {
			sum.State, sum.Reason = results.StateInterrupted, fmt.Sprintf("interrupted during run %04d (%s): its measured period is cut short", i+1, runLabel(pr))
			break
		}
		sum.State = results.StateComplete
	}
	prog.wait()
	if sum.State == "" { // every backend skipped: nothing was planned to run
		sum.State = results.StateComplete
	}
	if sum.State == results.StateComplete {
		sum.Reason = ""
	}
	sum.Interrupted = sum.State == results.StateInterrupted
	sum.FinishedAt = time.Now().UTC().Truncate(time.Second)
	sum.Machine.LoadAvgEnd = loadAvg()
	sum.Warnings = append(sum.Warnings, r.warnings...)
	warnAbout(sum, s)

	if err := save(); err != nil {
		return nil, err
	}
	if err := results.WriteBenchFile(f.Tmp, sum); err != nil {
		return nil, fmt.Errorf("writing %s: %w (what was measured is left in %s)", results.BenchFile, err, f.Tmp)
	}
	if err := f.Commit(); err != nil {
		return nil, err
	}
	out := &Outcome{Dir: f.Final, Summary: sum}
	switch sum.State {
	case results.StateInterrupted:
		return out, ErrInterrupted
	case results.StateIncomplete:
		return out, fmt.Errorf("%w: %s", ErrIncomplete, sum.Reason)
	}
	return out, nil
}

type runner struct {
	s      *scenarios.Scenario
	opt    Options
	folder *results.Folder
	keys   map[string]*keys.Ring // per backend: the keys all its nodes and runs share

	warnings []string // caveats found while running, for the summary

	redisCfg   backends.RedisConfig
	redisCli   redis.UniversalClient
	redisClose func() error
	redisErr   error

	certs map[string]*keys.TLS // https certificates by key folder ("" : generated)
}

// preflight opens one node of every planned backend once, so that a bad
// key folder or option fails now, and decides which backends are skipped.
func (r *runner) preflight(ctx context.Context, plan []scenarios.Run, sum *results.Summary) (map[string]bool, error) {
	skipped := map[string]bool{}
	seen := map[string]bool{}
	for _, pr := range plan {
		if seen[pr.Backend] {
			continue
		}
		seen[pr.Backend] = true
		e, ok := backends.Lookup(pr.Backend)
		if !ok {
			return nil, fmt.Errorf("unknown backend %q", pr.Backend)
		}
		info := results.BackendInfo{Info: e.Info}
		skip := func(err error) {
			info.Skipped = err.Error()
			skipped[pr.Backend] = true
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("%s skipped: %v", pr.Backend, err))
			sum.Backends = append(sum.Backends, info)
		}
		if pr.Scenario.HTTP.Target != "" {
			// The backend runs in the target's process: nothing to open here.
			sum.Backends = append(sum.Backends, info)
			continue
		}
		env, err := r.env(ctx, pr, "preflight")
		if errors.Is(err, backends.ErrUnavailable) {
			skip(err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pr.Backend, err)
		}
		node, err := r.open(pr.Backend, env)
		if errors.Is(err, backends.ErrUnavailable) {
			skip(err)
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", pr.Backend, err)
		}
		_ = node.Close()
		sum.Backends = append(sum.Backends, info)
	}
	return skipped, nil
}

// env builds the environment of one run's nodes.
func (r *runner) env(ctx context.Context, pr scenarios.Run, runID string) (*backends.Env, error) {
	sc := pr.Scenario
	env := &backends.Env{
		Token:     sc.Token,
		Redis:     sc.Redis,
		KeysDir:   sc.Keys,
		Options:   sc.Options[pr.Backend],
		Namespace: "authbench:" + runID + ":",
	}
	if r.folder != nil {
		env.Namespace = "authbench:" + r.folder.Name + ":" + runID + ":"
	}
	e, _ := backends.Lookup(pr.Backend)
	if e.Info.NeedsRedis {
		cli, err := r.connect(ctx, sc.Redis)
		if err != nil {
			return nil, err
		}
		env.RedisClient = cli
	}
	return env, nil
}

// open opens one node, sharing keys and the like between every node and
// every run of a backend.
func (r *runner) open(name string, env *backends.Env) (backends.Strategy, error) {
	env.Keys = r.keys[name]
	node, err := backends.Open(name, env)
	if err != nil {
		return nil, err
	}
	r.keys[name] = env.Keys
	return node, nil
}

// connect returns a Redis client for cfg, reusing the current one when the
// configuration is the same.
func (r *runner) connect(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, error) {
	if r.redisCli != nil && r.redisCfg == cfg {
		return r.redisCli, nil
	}
	if r.redisErr != nil && r.redisCfg == cfg {
		return nil, r.redisErr
	}
	r.closeRedis()
	r.redisCfg = cfg
	if r.opt.Redis == nil {
		r.redisErr = fmt.Errorf("%w: this build has no Redis support", backends.ErrUnavailable)
		return nil, r.redisErr
	}
	cli, closeFn, err := r.opt.Redis(ctx, cfg)
	if err != nil {
		r.redisErr = err
		return nil, err
	}
	r.redisCli, r.redisClose = cli, closeFn
	return cli, nil
}

func (r *runner) closeRedis() {
	if r.redisClose != nil {
		_ = r.redisClose()
	}
	r.redisCli, r.redisClose, r.redisErr = nil, nil, nil
}

// one executes one planned run, trying its set-up again when a store
// failed in a way that may pass (a time-out, a refused connection).
func (r *runner) one(ctx context.Context, pr scenarios.Run, index int, prog *progress) (*results.Run, error) {
	id := fmt.Sprintf("%04d", index+1)
	return retrySetup(ctx, setupTries, setupBackoff, func(try int) (*results.Run, error) {
		ns := id
		if try > 1 {
			// A fresh namespace, so that what the failed try stored
			// is not counted in this one's store size.
			ns = fmt.Sprintf("%s-try%d", id, try)
			r.redisErr = nil // connect again rather than repeat the failure
		}
		return r.attempt(ctx, pr, id, ns, prog)
	}, func(try int, err error) {
		r.warnings = append(r.warnings, fmt.Sprintf("run %s (%s): set-up try %d of %d failed, tried again: %v", id, runLabel(pr), try, setupTries, err))
	})
}

// attempt sets up and executes one run; ns names its keys in the store.
func (r *runner) attempt(ctx context.Context, pr scenarios.Run, id, ns string, prog *progress) (*results.Run, error) {
	sc := pr.Scenario
	nodes, env, err := r.nodes(ctx, pr, ns)
	defer func() {
		for _, n := range nodes {
			_ = n.Close()
		}
	}()
	if err != nil {
		return nil, err
	}
	cfg := load.Config{
		Model:          sc.Load.Model,
		Clients:        sc.Load.Clients,
		Rate:           sc.Load.Rate,
		Think:          sc.Load.Think,
		Duration:       sc.Duration,
		Warmup:         sc.Warmup,
		Users:          sc.Users,
		Seed:           sc.Seed,
		RevocationRate: sc.Revocation.Rate,
		Replay:         sc.Revocation.Replay,
		Routing:        sc.Cluster.Routing,
		Leeway:         sc.Token.Leeway,
		Grace:          max(time.Second, sc.Redis.Timeout), // a run ends at most this long after its window
	}
	if sc.OverHTTP() {
		// The HTTP client gives up on a request after http.timeout, not
		// when the engine cancels it: wait that long.
		cfg.Grace = max(cfg.Grace, sc.HTTP.Timeout)
	}
	var before reading
	cfg.LoadStarts = func() { before = read(inProcess(nodes), env.RedisClient, sc.Redis.Timeout) }
	eng, err := load.New(cfg, nodes)
	if err != nil {
		return nil, err
	}
	label := runLabel(pr)
	bar := prog.start(label, sc.Warmup+sc.Duration, eng.Completed)
	res, err := eng.Run(ctx)
	bar.done()
	if err != nil {
		return nil, err
	}
	after := read(inProcess(nodes), env.RedisClient, sc.Redis.Timeout)
	run := convert(res, pr, id)
	measured(run, before, after, eng.Completed(), sc.Redis.PoolSize)
	if sc.OverHTTP() {
		run.HTTP = httpSummary(sc, nodes, run)
	}
	if res.Abandoned > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("run %s (%s): %d requests were still in flight %s after the end and did not return when cancelled: abandoned", id, label, res.Abandoned, cfg.Grace))
	}
	if n := res.Outcomes.Cancelled; n > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("run %s (%s): %d validations were still in flight %s after the end and were cancelled (not counted as errors)", id, label, n, cfg.Grace))
	}
	if res.StoreLost {
		r.warnings = append(r.warnings, fmt.Sprintf("run %s (%s): the store lost its data during the run (flush or restart without persistence): "+
			"the backend refused every credential issued before the loss (%d validations of valid credentials) and %d users had to log in again",
			id, label, res.Outcomes.StoreLossRejects, res.Outcomes.ForcedLogins))
	}
	if res.Clamped > 0 {
		r.warnings = append(r.warnings, fmt.Sprintf("run %s (%s): %d latencies above the histogram's 1 h range were recorded as 1 h", id, label, res.Clamped))
	}
	e, _ := backends.Lookup(pr.Backend)
	run.StoreLookupsPerValidate = e.Info.StoreLookups
	run.Store = storeSize(inProcess(nodes), e.Info.NeedsRedis, sc.Redis.Timeout)
	run.Token = issuedShape(nodes[0], sc.Redis.Timeout)
	run.Revocation.PropagationNS = propagation(inProcess(nodes))

	for name, h := range res.Hists {
		comment := fmt.Sprintf("authbench run %s: %s, %s, latency in ns", id, label, name)
		h.SetStartTimeMs(res.MeasuredStart.UnixMilli())
		h.SetEndTimeMs(res.MeasuredStart.Add(res.Measured).UnixMilli())
		if err := results.WriteHistogram(results.HistogramPath(r.folder.Tmp, id, name), h, comment); err != nil {
			return nil, err
		}
	}
	prog.finished(run, label)
	return run, nil
}

// issuedShape logs one more user in after the run and says what its
// credential shows without a key (nil when the login fails).
func issuedShape(node backends.Strategy, timeout time.Duration) *results.TokenShape {
	ctx, cancel := context.WithTimeout(context.Background(), 5*max(timeout, 200*time.Millisecond))
	defer cancel()
	c, err := node.Issue(ctx, "user-shape")
	if err != nil {
		return nil
	}
	return tokenShape(c.Token)
}

// nodes opens the validator nodes of one run: in-process, each behind a
// loopback HTTP server (transport http or https), or clients of an
// external server (http.target). On error the nodes opened so far are
// returned, for the caller to close.
func (r *runner) nodes(ctx context.Context, pr scenarios.Run, id string) ([]backends.Strategy, *backends.Env, error) {
	sc := pr.Scenario
	if sc.HTTP.Target != "" {
		nodes, err := r.targetNodes(sc)
		return nodes, &backends.Env{}, err
	}
	env, err := r.env(ctx, pr, id)
	if err != nil {
		return nil, nil, err
	}
	nodes := make([]backends.Strategy, 0, sc.Cluster.Nodes)
	for range max(1, sc.Cluster.Nodes) {
		node, err := r.open(pr.Backend, env)
		if err != nil {
			return nodes, env, err
		}
		nodes = append(nodes, node)
	}
	if sc.OverHTTP() {
		return nodes, env, r.overHTTP(sc, nodes)
	}
	return nodes, env, nil
}

// inProcess returns the in-process nodes behind nodes (the nodes
// themselves in-process, the ones behind loopback servers over HTTP,
// none for an external target): what store sizes and counters are read from.
func inProcess(nodes []backends.Strategy) []backends.Strategy {
	inner := make([]backends.Strategy, 0, len(nodes))
	for _, n := range nodes {
		if in := httpdrive.Inner(n); in != nil {
			inner = append(inner, in)
		}
	}
	return inner
}

// storeSize asks the nodes how big their store is: the sum over nodes of
// their own stores, or the first node's answer for a store they share.
func storeSize(nodes []backends.Strategy, shared bool, timeout time.Duration) results.Store {
	out := results.Store{Bytes: -1}
	if timeout <= 0 {
		timeout = time.Second
	}
	for i, n := range nodes {
		sz, ok := n.(backends.Sizer)
		if !ok || (shared && i > 0) {
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*timeout)
		entries, bytes, err := sz.StoreSize(ctx)
		cancel()
		if err != nil {
			continue
		}
		out.Entries += entries
		if bytes >= 0 {
			out.Bytes = max(out.Bytes, 0) + bytes
		}
	}
	return out
}

// runLabel names a run for people: backend, point and repeat.
func runLabel(pr scenarios.Run) string {
	var b strings.Builder
	b.WriteString(pr.Backend)
	for _, p := range pr.Point {
		fmt.Fprintf(&b, " %s=%s", lastPart(p.Path), recordValue(p.Path, p.Value))
	}
	fmt.Fprintf(&b, " #%d", pr.Repeat)
	return b.String()
}

func lastPart(path string) string {
	if i := strings.LastIndexByte(path, '.'); i >= 0 {
		return path[i+1:]
	}
	return path
}

func machine() results.Machine {
	host, _ := os.Hostname()
	return results.Machine{
		CPUs:         runtime.NumCPU(),
		GOMAXPROCS:   runtime.GOMAXPROCS(0),
		Go:           runtime.Version(),
		OS:           runtime.GOOS,
		Arch:         runtime.GOARCH,
		Hostname:     host,
		LoadAvgStart: loadAvg(),
	}
}

// loadAvg reads the 1, 5 and 15-minute load averages, or nil where the
// system does not publish them.
func loadAvg() []float64 {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return nil
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return nil
	}
	avg := make([]float64, 3)
	for i := range avg {
		if avg[i], err = strconv.ParseFloat(f[i], 64); err != nil {
			return nil
		}
	}
	return avg
}

// propagation merges the revocation delays the nodes measured (nil when
// the backend spreads no revocation by message, or none was sent).
func propagation(nodes []backends.Strategy) *results.Propagation {
	var delivery, apply *hdrhistogram.Histogram
	for _, n := range nodes {
		pr, ok := n.(backends.PropagationReporter)
		if !ok {
			continue
		}
		p := pr.Propagation()
		if delivery == nil {
			delivery, apply = p.Delivery, p.Apply
			continue
		}
		delivery.Merge(p.Delivery)
		apply.Merge(p.Apply)
	}
	if delivery == nil || delivery.TotalCount() == 0 {
		return nil
	}
	return &results.Propagation{Delivery: latency(delivery), Apply: latency(apply)}
}

var plural = map[string]string{results.OpLogin: "logins", results.OpRefresh: "refreshes", results.OpLogout: "logouts"}

// warnAbout adds the caveats a reader of the report needs. Errors are
// warnings; the run is degraded (exit status 3) only for what a user must
// act on (results.Attention).
func warnAbout(sum *results.Summary, s *scenarios.Scenario) {
	for _, a := range results.Attention(sum) {
		sum.Degraded = true
		sum.Warnings = append(sum.Warnings, "needs attention: "+a)
	}
	if s.Repeat < 3 {
		sum.Warnings = append(sum.Warnings, fmt.Sprintf("repeat is %d: fewer than 3 repeats per point give no confidence interval and no significance test", s.Repeat))
	}
	switch sum.State {
	case results.StateInterrupted:
		sum.Warnings = append(sum.Warnings, "the run was interrupted ("+sum.Reason+"): later runs are missing")
	case results.StateIncomplete:
		sum.Warnings = append(sum.Warnings, "the plan is incomplete ("+sum.Reason+"): later runs are missing")
	}
	for _, run := range sum.Runs {
		if run.StoreLost {
			sum.Degraded = true // the warning was added when the run ended
		}
		var problems []string
		if n := run.Outcomes.Errors; n > 0 {
			problems = append(problems, fmt.Sprintf("%d validation errors", n))
		}
		for _, op := range results.Ops {
			if n := run.Ops[op].Errors; n > 0 && op != results.OpValidate {
				problems = append(problems, fmt.Sprintf("%d failed %s", n, plural[op]))
			}
		}
		if len(problems) > 0 {
			msg := fmt.Sprintf("run %s (%s, repeat %d): %s", run.ID, run.Backend, run.Repeat, strings.Join(problems, ", "))
			if len(run.ErrorSamples) > 0 {
				msg += "; first error: " + run.ErrorSamples[0]
			}
			sum.Warnings = append(sum.Warnings, msg)
		}
		if p := run.RedisPool; p != nil && (p.Waits > 0 || p.Timeouts > 0) {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("run %s (%s, repeat %d): %d requests waited %s in all for one of the %d Redis connections, %d gave up (pool time-outs, not store failures): raise redis.pool_size",
				run.ID, run.Backend, run.Repeat, p.Waits, time.Duration(p.WaitNS), p.Size, p.Timeouts))
		}
		if run.Open != nil && run.Open.Missed > 0 {
			sum.Warnings = append(sum.Warnings, fmt.Sprintf("run %s (%s, repeat %d): %d requests due were never started: the backend could not keep up with %.0f req/s", run.ID, run.Backend, run.Repeat, run.Open.Missed, run.Open.TargetRate))
		}
	}
}
