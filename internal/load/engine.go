package load

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/pace"
)

// revokedKept is how many recent revoked credentials the attacker can choose from.
const revokedKept = 4096

// Engine runs one configured load against a set of validator nodes.
// Create it with New, start it with Run; Completed may be called from
// another goroutine while Run is going on (progress display).
type Engine struct {
	cfg   Config
	nodes []backends.Strategy
	refr  []backends.Refresher // nil entries for nodes without refresh

	base    time.Time
	startNs int64 // warm-up begins
	measNs  int64 // measured period begins
	endNs   int64 // measured period ends

	slots   []atomic.Pointer[cred]
	ring    *revokedRing
	stop    atomic.Bool
	next    atomic.Int64 // open model: the next request number
	running atomic.Int64 // client workers that have not returned yet

	renewAhead int64
	opCtx      context.Context

	recorders []*recorder
	revRec    *recorder
	revoked   []*cred // every credential revoked, for the exposure window; revoker-owned
	started   atomic.Bool
}

// New checks cfg and prepares an engine for nodes (at least one).
func New(cfg Config, nodes []backends.Strategy) (*Engine, error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(nodes) == 0 {
		return nil, errors.New("no validator node")
	}
	if cfg.Routing == "" {
		cfg.Routing = Random
	}
	if cfg.Grace <= 0 {
		cfg.Grace = 5 * time.Second
	}
	e := &Engine{cfg: cfg, nodes: nodes, ring: newRevokedRing(revokedKept)}
	e.refr = make([]backends.Refresher, len(nodes))
	for i, n := range nodes {
		if r, ok := n.(backends.Refresher); ok {
			e.refr[i] = r
		}
	}
	return e, nil
}

// Completed returns the validations completed so far, warm-up included.
func (e *Engine) Completed() int64 {
	if !e.started.Load() {
		return 0
	}
	var n int64
	for _, r := range e.recorders {
		n += r.done.Load()
	}
	return n
}

func (e *Engine) now() int64 { return int64(time.Since(e.base)) }

func userName(i int) string { return "user-" + strconv.Itoa(i) }

// route picks the node that serves a request for user.
func (e *Engine) route(user int, rng *rand.Rand) int {
	if len(e.nodes) == 1 {
		return 0
	}
	if e.cfg.Routing == Sticky {
		return user % len(e.nodes)
	}
	return rng.IntN(len(e.nodes))
}

func (e *Engine) newCred(c backends.Credential, user int) *cred {
	nc := &cred{Credential: c, user: user}
	if !c.ExpiresAt.IsZero() {
		nc.expires = int64(c.ExpiresAt.Sub(e.base))
	}
	return nc
}

// Run logs every user in, then runs the load for the warm-up and the
// measured period. Cancelling ctx stops the load early; what was measured
// until then is returned with Interrupted set.
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	e.base = time.Now()
	opCtx, cancelOps := context.WithCancel(context.WithoutCancel(ctx))
	defer cancelOps()
	e.opCtx = opCtx

	tokenBytes, err := e.loginAll(ctx)
	if err != nil {
		return nil, err
	}
	if ctx.Err() != nil {
		return nil, fmt.Errorf("interrupted while logging users in: %w", ctx.Err())
	}

	if e.cfg.LoadStarts != nil {
		e.cfg.LoadStarts()
	}
	cfg := e.cfg
	e.startNs = e.now()
	e.measNs = e.startNs + int64(cfg.Warmup)
	e.endNs = e.measNs + int64(cfg.Duration)
	if cfg.Duration <= 0 { // MaxValidations bounds the run instead
		e.endNs = math.MaxInt64
	}
	e.renewAhead = int64(renewAhead(e.slots[0].Load()))
	for _, n := range e.nodes {
		if s, ok := n.(backends.Starter); ok {
			s.Begin(e.base.Add(time.Duration(e.measNs)))
		}
	}

	flush := make(chan secondFlush, 1024)
	free := make(chan *hdrhistogram.Histogram, 1024)
	tl := make(chan []timelineSecond, 1)
	writers := cfg.Clients
	if cfg.RevocationRate > 0 {
		writers++
	}
	go collect(writers, flush, free, tl)

	e.recorders = make([]*recorder, cfg.Clients)
	for i := range e.recorders {
		e.recorders[i] = newRecorder(i, flush, free)
	}
	e.started.Store(true)

	// A watcher turns cancellation into a flag the hot path can read
	// without touching the context's mutex.
	stopWatch := make(chan struct{})
	go func() {
		select {
		case <-ctx.Done():
			e.stop.Store(true)
		case <-stopWatch:
		}
	}()

	var workers sync.WaitGroup
	for i, r := range e.recorders {
		workers.Add(1)
		e.running.Add(1)
		go func() {
			defer workers.Done()
			defer e.running.Add(-1)
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
			if cfg.Model == Open {
				e.openWorker(r, rng)
			} else {
				e.closedWorker(r, rng)
			}
			r.stop()
		}()
	}
	var revoker sync.WaitGroup
	stopRevoker := make(chan struct{})
	if cfg.RevocationRate > 0 {
		e.revRec = newRecorder(cfg.Clients, flush, free)
		revoker.Add(1)
		go func() {
			defer revoker.Done()
			e.revoke(rand.New(rand.NewPCG(cfg.Seed, 0)), stopRevoker)
			e.revRec.stop()
		}()
	}

	abandoned := e.wait(&workers)
	stopped := e.now()
	close(stopRevoker)
	close(stopWatch)
	revokerDone := waitTimeout(&revoker, e.cfg.Grace)
	if abandoned > 0 || !revokerDone {
		cancelOps()
		// Stragglers may still write their recorders: wait for them now that
		// their context is cancelled, but never forever.
		if !waitTimeout(&workers, e.cfg.Grace) || !waitTimeout(&revoker, e.cfg.Grace) {
			return nil, fmt.Errorf("requests still in flight %s after the end of the run: the backend ignores cancellation", 2*e.cfg.Grace)
		}
	}
	close(flush)
	seconds := <-tl

	res := e.merge(seconds)
	res.TokenBytes = tokenBytes
	res.Abandoned = abandoned
	res.Interrupted = ctx.Err() != nil
	end := min(stopped, e.endNs)
	if cfg.Duration <= 0 {
		end = stopped
	}
	res.Measured = time.Duration(max(0, end-e.measNs))
	res.MeasuredStart = e.base.Add(time.Duration(e.measNs))
	foldStragglers(res)
	if cfg.Model == Open {
		e.openStats(res, end)
	}
	return res, nil
}

// foldStragglers moves the requests that completed after the measured
// period (they started within it, so they count) into its last second:
// on their own they would draw a last second of a handful of requests,
// read as a collapse of throughput. Their latencies stay in the run's
// histograms; the last second's percentiles are left as measured.
func foldStragglers(res *Result) {
	keep := int(math.Ceil(res.Measured.Seconds()))
	if keep <= 0 || len(res.Timeline) <= keep {
		return
	}
	last := &res.Timeline[keep-1]
	for _, s := range res.Timeline[keep:] {
		last.Validations += s.Validations
		last.Errors += s.Errors
		last.Revocations += s.Revocations
		last.ReplaysAccepted += s.ReplaysAccepted
		last.FalseAccepts += s.FalseAccepts
		last.FalseRejects += s.FalseRejects
	}
	res.Timeline = res.Timeline[:keep]
}

// wait waits for the workers until the end of the run plus the grace
// period and returns how many were still running then: each of them is
// stuck in a request.
func (e *Engine) wait(workers *sync.WaitGroup) int {
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	var deadline <-chan time.Time
	if e.endNs != math.MaxInt64 {
		deadline = time.After(time.Duration(e.endNs-e.now()) + e.cfg.Grace)
	}
	select {
	case <-done:
		return 0
	case <-deadline:
		return int(e.running.Load())
	}
}

func waitTimeout(wg *sync.WaitGroup, d time.Duration) bool {
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
		return true
	case <-time.After(d):
		return false
	}
}

// renewAhead is how long before its expiry a client renews a credential:
// a tenth of its lifetime, within 10 ms .. 30 s.
func renewAhead(c *cred) time.Duration {
	if c == nil || c.ExpiresAt.IsZero() {
		return 0
	}
	life := time.Until(c.ExpiresAt)
	return min(max(life/10, 10*time.Millisecond), 30*time.Second)
}

// loginAll issues a credential to every user before the clock starts, on
// all cores: logins of the warm-up and measured period are the revoker's
// and the renewals', and are measured.
func (e *Engine) loginAll(ctx context.Context) (float64, error) {
	users := e.cfg.Users
	e.slots = make([]atomic.Pointer[cred], users)
	workers := min(runtime.GOMAXPROCS(0), users)
	var (
		wg       sync.WaitGroup
		mu       sync.Mutex
		firstErr error
		bytes    atomic.Int64
		next     atomic.Int64
	)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(e.cfg.Seed^0x9e3779b97f4a7c15, uint64(w)))
			for {
				i := int(next.Add(1) - 1)
				if i >= users || ctx.Err() != nil {
					return
				}
				c, err := e.nodes[e.route(i, rng)].Issue(ctx, userName(i))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = fmt.Errorf("logging %s in: %w", userName(i), err)
					}
					mu.Unlock()
					next.Store(int64(users))
					return
				}
				bytes.Add(int64(len(c.Token)))
				e.slots[i].Store(e.newCred(c, i))
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return 0, firstErr
	}
	return float64(bytes.Load()) / float64(users), nil
}

func (e *Engine) closedWorker(r *recorder, rng *rand.Rand) {
	budget := int64(math.MaxInt64)
	if e.cfg.MaxValidations > 0 {
		budget = (e.cfg.MaxValidations + int64(e.cfg.Clients) - 1) / int64(e.cfg.Clients)
	}
	for n := int64(0); n < budget; n++ {
		t := e.now()
		if t >= e.endNs || e.stop.Load() {
			return
		}
		e.request(r, rng, t, t)
		if e.cfg.Think > 0 {
			// Never past the end: a think time is not a request in flight.
			pace.Sleep(min(e.cfg.Think, time.Duration(e.endNs-e.now())))
		}
	}
}

func (e *Engine) openWorker(r *recorder, rng *rand.Rand) {
	interval := 1e9 / e.cfg.Rate
	for {
		n := e.next.Add(1) - 1
		due := e.startNs + int64(float64(n)*interval)
		if due >= e.endNs {
			return
		}
		for {
			if e.stop.Load() {
				return
			}
			wait := due - e.now()
			if wait <= 0 {
				break
			}
			// Wait in slices so that a stop is noticed even at low rates.
			pace.Sleep(time.Duration(min(wait, int64(50*time.Millisecond))))
		}
		start := e.now()
		if start-due > int64(LateAfter) && due >= e.measNs {
			r.c.late++
		}
		e.request(r, rng, due, start)
	}
}

// request sends one validation whose intended start is due and actual
// start is start, and records its latency and outcome.
func (e *Engine) request(r *recorder, rng *rand.Rand, due, start int64) {
	user := rng.IntN(e.cfg.Users)
	var c *cred
	replay := false
	if e.cfg.Replay > 0 && rng.Float64() < e.cfg.Replay {
		if c = e.ring.pick(rng.Uint64(), rng.Uint64()); c != nil {
			replay = true
			user = c.user
		}
	}
	if c == nil {
		c = e.slots[user].Load()
		if c == nil || (e.renewAhead > 0 && c.expires-start < e.renewAhead) {
			if c = e.renew(r, rng, user, c); c == nil {
				return
			}
			start = e.now()
		}
	}
	node := e.route(user, rng)

	err := e.nodes[node].Validate(e.opCtx, c.Token)
	end := e.now()
	r.done.Add(1)

	if due < e.measNs {
		return // warm-up
	}
	lat := end - due
	r.record(opValidate, lat)
	r.record(opValidateService, end-start)
	sc := r.second(int((end - e.measNs) / int64(time.Second)))
	sc.validations++
	r.recordSecond(lat)
	if replay {
		r.c.replays++
		if !c.replayed.Load() {
			c.replayed.Store(true)
		}
	}

	exp := c.expect(start, end, int64(e.cfg.Leeway))
	switch exp {
	case expectValid:
		r.c.expValid++
	case expectRevoked:
		r.c.expRevoked++
	case expectExpired:
		r.c.expExpired++
	default:
		r.c.undecided++
	}
	switch {
	case err == nil:
		r.c.accepted++
		if exp == expectRevoked || exp == expectExpired {
			r.c.falseAccepts++
			sc.falseAccepts++
		}
		if replay || exp == expectRevoked || exp == expectEither {
			c.noteAccepted(start)
		}
		if replay {
			r.c.replaysAccepted++
			sc.replaysAccepted++
		}
	case backends.IsRejection(err):
		r.c.rejected++
		if exp == expectValid {
			r.c.falseRejects++
			sc.falseRejects++
		}
	default:
		r.c.errors++
		sc.errors++
		r.sampleError(err)
	}
}

// renew gives user a fresh credential before the current one expires (or
// a first one after a failed login): a refresh where the backend has
// refresh tokens, a login otherwise. Only one client renews a credential;
// the others go on using it meanwhile.
func (e *Engine) renew(r *recorder, rng *rand.Rand, user int, c *cred) *cred {
	if c != nil && !c.renewing.CompareAndSwap(false, true) {
		return c
	}
	node := e.route(user, rng)
	measured := e.now() >= e.measNs
	var (
		nc  backends.Credential
		err error
		o   = opLogin
	)
	t0 := e.now()
	if c != nil && c.Refresh != "" && e.refr[node] != nil {
		o = opRefresh
		nc, err = e.refr[node].Refresh(e.opCtx, c.Credential)
	} else {
		nc, err = e.nodes[node].Issue(e.opCtx, userName(user))
	}
	if measured {
		r.record(o, e.now()-t0)
	}
	if err != nil {
		if c != nil && c.revokeStart.Load() != 0 && backends.IsRejection(err) {
			// The user logged out while this client refreshed: refusing
			// is the right answer, and the revoker logs the user in again.
			return e.slots[user].Load()
		}
		if measured {
			r.c.opErrors[o]++
		}
		r.sampleError(fmt.Errorf("%s: %w", opNames[o], err))
		if c != nil {
			c.renewing.Store(false)
		}
		return c
	}
	n := e.newCred(nc, user)
	if !e.slots[user].CompareAndSwap(c, n) {
		// The revoker replaced the credential meanwhile; use its one.
		return e.slots[user].Load()
	}
	return n
}

// revoke logs users out at the configured rate, paced from the start of
// the run like the open model, and logs each of them in again.
func (e *Engine) revoke(rng *rand.Rand, stop <-chan struct{}) {
	r := e.revRec
	interval := 1e9 / e.cfg.RevocationRate
	for n := int64(0); ; n++ {
		due := e.startNs + int64(float64(n)*interval)
		if due >= e.endNs {
			return
		}
		if wait := due - e.now(); wait > 0 {
			t := time.NewTimer(time.Duration(wait))
			select {
			case <-stop:
				t.Stop()
				return
			case <-t.C:
			}
		}
		select {
		case <-stop:
			return
		default:
		}
		user := rng.IntN(e.cfg.Users)
		c := e.slots[user].Load()
		if c == nil || c.revokeStart.Load() != 0 {
			continue
		}
		node := e.route(user, rng)
		measured := due >= e.measNs

		t0 := e.now()
		c.revokeStart.Store(t0)
		err := e.nodes[node].Revoke(e.opCtx, c.Credential)
		t1 := e.now()
		if err == nil {
			c.revokedAt.Store(t1)
			e.ring.push(c)
			e.revoked = append(e.revoked, c)
		}
		if measured {
			r.record(opLogout, t1-t0)
			if err != nil {
				r.c.opErrors[opLogout]++
			} else {
				r.c.revocations++
				r.second(int((t1-e.measNs)/int64(time.Second))).revocations++
			}
		}
		if err != nil {
			r.sampleError(fmt.Errorf("logout: %w", err))
		}

		// The user logs in again.
		t2 := e.now()
		nc, err := e.nodes[node].Issue(e.opCtx, userName(user))
		t3 := e.now()
		if measured {
			r.record(opLogin, t3-t2)
			if err != nil {
				r.c.opErrors[opLogin]++
			}
		}
		if err != nil {
			r.sampleError(fmt.Errorf("login: %w", err))
			e.slots[user].CompareAndSwap(c, nil)
			continue
		}
		e.slots[user].Store(e.newCred(nc, user))
	}
}

// timelineSecond is one merged second of the timeline.
type timelineSecond struct {
	hist     *hdrhistogram.Histogram // nil once the second is final
	counts   secondCounts
	p50, p99 int64
}

// collect merges the seconds flushed by the writers (workers and revoker)
// into the timeline. A second is final once every writer has flushed a
// later one or stopped: its percentiles are taken then and its histogram
// goes back for reuse, so the timeline's memory does not grow with the
// length of the run.
func collect(writers int, flush <-chan secondFlush, free chan<- *hdrhistogram.Histogram, out chan<- []timelineSecond) {
	var tl []timelineSecond
	last := make([]int, writers) // latest second flushed by each writer
	for i := range last {
		last[i] = -1
	}
	final := 0 // seconds before this one are final
	finalize := func(upTo int) {
		for ; final < upTo && final < len(tl); final++ {
			s := &tl[final]
			if s.hist == nil {
				continue
			}
			if s.hist.TotalCount() > 0 {
				s.p50 = s.hist.ValueAtQuantile(50)
				s.p99 = s.hist.ValueAtQuantile(99)
			}
			recycle(s.hist, free)
			s.hist = nil
		}
	}
	for f := range flush {
		if f.done {
			last[f.worker] = math.MaxInt
		} else {
			for len(tl) <= f.sec {
				tl = append(tl, timelineSecond{})
			}
			s := &tl[f.sec]
			if s.hist == nil {
				s.hist = hdrhistogram.New(histLowest, histHighest, timelineDigits)
			}
			s.hist.Merge(f.hist)
			s.counts.add(&f.counts)
			recycle(f.hist, free)
			last[f.worker] = f.sec
		}
		finalize(slices.Min(last))
	}
	finalize(len(tl))
	out <- tl
}

func recycle(h *hdrhistogram.Histogram, free chan<- *hdrhistogram.Histogram) {
	h.Reset()
	select {
	case free <- h:
	default:
	}
}

func (e *Engine) merge(seconds []timelineSecond) *Result {
	res := &Result{Hists: map[string]*hdrhistogram.Histogram{}, OpErrors: map[string]int64{}}
	all := e.recorders
	if e.revRec != nil {
		all = append(all[:len(all):len(all)], e.revRec)
	}
	var c counts
	for _, r := range all {
		c.add(&r.c)
		for o, h := range r.hists {
			if h == nil {
				continue
			}
			name := opNames[o]
			if res.Hists[name] == nil {
				res.Hists[name] = newHist()
			}
			res.Hists[name].Merge(h) // same bounds: nothing can be dropped
		}
		for _, s := range r.errSamples {
			if len(res.ErrorSamples) < 5 && !contains(res.ErrorSamples, s) {
				res.ErrorSamples = append(res.ErrorSamples, s)
			}
		}
	}
	c.opErrors[opValidate] = c.errors // validations fail in request, the others where they happen
	for o := range numOps {
		if c.opErrors[o] > 0 {
			res.OpErrors[opNames[o]] = c.opErrors[o]
		}
	}
	res.Clamped = c.clamped
	res.Outcomes = Outcomes{
		Accepted: c.accepted, Rejected: c.rejected, Errors: c.errors,
		FalseAccepts: c.falseAccepts, FalseRejects: c.falseRejects,
		ExpectedValid: c.expValid, ExpectedRevoked: c.expRevoked, ExpectedExpired: c.expExpired,
		Undecided: c.undecided,
	}
	res.Revocation = Revocation{Revoked: c.revocations, Replays: c.replays, ReplaysAccepted: c.replaysAccepted}
	for _, rc := range e.revoked {
		if !rc.replayed.Load() {
			continue
		}
		var exposure time.Duration
		if last := rc.lastAccepted.Load(); last != 0 {
			exposure = time.Duration(last - rc.revokedAt.Load())
			res.Revocation.Exposed++
		}
		res.Revocation.Exposures = append(res.Revocation.Exposures, exposure)
	}
	for _, s := range seconds {
		sec := Second{
			Validations: s.counts.validations, Errors: s.counts.errors, Revocations: s.counts.revocations,
			ReplaysAccepted: s.counts.replaysAccepted, FalseAccepts: s.counts.falseAccepts, FalseRejects: s.counts.falseRejects,
		}
		sec.P50, sec.P99 = s.p50, s.p99
		res.Timeline = append(res.Timeline, sec)
	}
	if e.cfg.Model == Open {
		res.Open = &OpenStats{TargetRate: e.cfg.Rate, Late: c.late}
	}
	return res
}

// openStats fills in the achieved rate and the requests that were due in
// the measured period but never started.
func (e *Engine) openStats(res *Result, end int64) {
	interval := 1e9 / e.cfg.Rate
	// Requests n with measNs <= startNs + n*interval < end.
	first := math.Ceil(float64(e.measNs-e.startNs) / interval)
	last := math.Ceil(float64(end-e.startNs) / interval)
	due := int64(max(0, last-first))
	started := res.Outcomes.Accepted + res.Outcomes.Rejected + res.Outcomes.Errors
	res.Open.Missed = max(0, due-started)
	if res.Measured > 0 {
		res.Open.AchievedRate = float64(started) / res.Measured.Seconds()
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
