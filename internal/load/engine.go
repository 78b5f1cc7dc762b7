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
	cfg    Config
	clock  Clock
	nodes  []backends.Strategy
	refr   []backends.Refresher // nil entries for nodes without refresh
	closed bool                 // the closed model

	base    time.Time
	startNs int64 // warm-up begins
	measNs  int64 // measured period begins
	endNs   int64 // measured period ends

	slots []atomic.Pointer[cred]
	ring  *revokedRing

	// stop is set, and halt closed, at the end of the measured period or
	// when the caller cancels: no request starts after it. The flag is
	// for the hot path, which must not touch a channel or the context.
	stop     atomic.Bool
	halt     chan struct{}
	haltOnce sync.Once

	// cancelled is set when the engine cancels the requests still in
	// flight at the end of the grace period: errors after it are the
	// engine's doing, not the backend's.
	cancelled atomic.Bool

	renewAhead int64
	opCtx      context.Context

	recorders []*recorder
	revRec    *recorder
	revoked   []*cred // every credential revoked, for the exposure window; revoker-owned
	started   atomic.Bool

	dispatchMissed int64 // written by the dispatcher before it returns
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
		cfg.Grace = time.Second
	}
	e := &Engine{cfg: cfg, clock: cfg.Clock, nodes: nodes, closed: cfg.Model == Closed, ring: newRevokedRing(revokedKept), halt: make(chan struct{})}
	if e.clock == nil {
		e.clock = RealClock{}
	}
	e.refr = make([]backends.Refresher, len(nodes))
	for i, n := range nodes {
		if r, ok := n.(backends.Refresher); ok {
			e.refr[i] = r
		}
	}
	return e, nil
}

// Completed returns about how many validations completed so far, warm-up
// included (workers publish their count every few requests).
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

// now is the time since the run's base, in ns.
func (e *Engine) now() int64 { return int64(e.clock.Since(e.base)) }

// waitUntil waits until t (run time) and says whether it got there: it
// returns false as soon as the run is stopped. Long waits go in slices so
// that a stop is noticed even at low rates.
func (e *Engine) waitUntil(t int64, precise bool) bool {
	for {
		if e.stop.Load() {
			return false
		}
		left := t - e.now()
		if left <= 0 {
			return true
		}
		d := time.Duration(min(left, int64(50*time.Millisecond)))
		if precise {
			e.clock.Until(e.base.Add(time.Duration(e.now()) + d))
		} else {
			e.clock.Sleep(d)
		}
	}
}

// stopNow stops the run: no request starts after it.
func (e *Engine) stopNow() {
	e.haltOnce.Do(func() {
		e.stop.Store(true)
		close(e.halt)
	})
}

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
//
// The run ends at most Config.Grace after its measured period: requests
// still in flight then are cancelled and, if they do not return, abandoned
// (counted in Result.Abandoned); overload never makes Run fail.
func (e *Engine) Run(ctx context.Context) (*Result, error) {
	e.base = e.clock.Now()
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
	e.renewAhead = int64(e.renewAheadOf(e.slots[0].Load()))
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
	all := e.recorders
	e.started.Store(true)

	// The end of the measured period and the caller's cancellation both
	// stop the run.
	if e.endNs != math.MaxInt64 {
		endTimer := time.AfterFunc(time.Duration(e.endNs-e.now()), e.stopNow)
		defer endTimer.Stop()
	}
	stopWatch := make(chan struct{})
	defer close(stopWatch)
	go func() {
		select {
		case <-ctx.Done():
			e.stopNow()
		case <-stopWatch:
		}
	}()

	hiccups := startHiccupMeter(e)

	var work chan int64
	var dispatcher sync.WaitGroup
	if cfg.Model == Open {
		// Buffered, one slot per worker: a worker that finishes while
		// requests are overdue takes the next without waiting for the
		// dispatcher to be scheduled, so a stalled dispatcher catches up
		// at the workers' pace. An idle worker is handed a request
		// directly; a buffered one has not started and can still be missed.
		work = make(chan int64, cfg.Clients)
		d := &dispatcher
		d.Add(1)
		go func() {
			defer d.Done()
			if _, real := e.clock.(RealClock); real {
				pace.LockPrecise() // its own thread, ended with it
			}
			e.dispatchMissed = e.dispatch(work)
		}()
	}
	var workers sync.WaitGroup
	for i, r := range e.recorders {
		workers.Add(1)
		go func() {
			defer workers.Done()
			rng := rand.New(rand.NewPCG(cfg.Seed, uint64(i)+1))
			var ok bool
			if cfg.Model == Open {
				ok = e.openWorker(r, rng, work)
			} else {
				ok = e.closedWorker(r, rng)
			}
			if ok { // else the engine abandoned this worker and owns its recorder
				r.exit()
			}
		}()
	}
	if cfg.RevocationRate > 0 {
		e.revRec = newRecorder(cfg.Clients, flush, free)
		all = append(all[:len(all):len(all)], e.revRec)
		workers.Add(1)
		go func() {
			defer workers.Done()
			if e.revoke(rand.New(rand.NewPCG(cfg.Seed, 0))) {
				e.revRec.exit()
			}
		}()
	}

	// Wait for the end of the run (or for every worker, when the run is
	// bounded by a number of validations), then for the requests in flight.
	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	select {
	case <-e.halt:
	case <-done:
		e.stopNow()
	}
	stopped := e.now()
	dispatcher.Wait() // it returns on halt
	abandoned := e.finish(all, stopped, cancelOps)
	close(flush)
	seconds := <-tl

	res := e.merge(seconds)
	res.Hiccups = hiccups.stop()
	res.TokenBytes = tokenBytes
	res.Abandoned = abandoned
	res.Interrupted = ctx.Err() != nil
	// The measured period is cut short only by the caller: workers that
	// are all done early (the dispatcher has handed out every request)
	// leave it whole.
	end := e.endNs
	if res.Interrupted || e.endNs == math.MaxInt64 {
		end = min(stopped, e.endNs)
	}
	res.Measured = time.Duration(max(0, end-e.measNs))
	res.MeasuredStart = e.base.Add(time.Duration(e.measNs))
	foldStragglers(res)
	if res.Open != nil && res.Measured > 0 {
		res.Open.AchievedRate = float64(res.Open.Started) / res.Measured.Seconds()
	}
	return res, nil
}

// finish waits for the writers (workers and revoker) to return after the
// run stopped. Grace after the stop it cancels the requests still in
// flight, and abandons the writers whose backend call has not returned by
// then (a backend that ignores cancellation): their recorders are taken as
// they are, and the stuck goroutines exit without touching them when their
// call returns. It returns how many requests were abandoned.
func (e *Engine) finish(writers []*recorder, stopped int64, cancelOps func()) int {
	grace := int64(e.cfg.Grace)
	deadline := stopped + grace
	// Cancel a little before the deadline so that a backend that honours
	// cancellation returns in time.
	cancelAt := deadline - min(grace/10, int64(100*time.Millisecond))
	abandoned := 0
	for {
		now := e.now()
		if now >= cancelAt && !e.cancelled.Load() {
			e.cancelled.Store(true)
			cancelOps()
		}
		running := 0
		for _, r := range writers {
			switch r.phase.Load() {
			case phaseExited, phaseAbandoned:
				continue
			case phaseCall:
				if now >= deadline && r.phase.CompareAndSwap(phaseCall, phaseAbandoned) {
					abandoned++
					r.done.Store(r.validations)
					r.stop()
					continue
				}
			}
			running++
		}
		if running == 0 {
			return abandoned
		}
		e.clock.Sleep(time.Millisecond)
	}
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

// renewAhead is how long before its expiry a client renews a credential:
// a tenth of its lifetime, within 10 ms .. 30 s.
func (e *Engine) renewAheadOf(c *cred) time.Duration {
	if c == nil || c.ExpiresAt.IsZero() {
		return 0
	}
	life := c.ExpiresAt.Sub(e.clock.Now())
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

// closedWorker sends requests one after the other until the end of the
// run. It returns false if the engine abandoned it in a backend call.
func (e *Engine) closedWorker(r *recorder, rng *rand.Rand) bool {
	budget := int64(math.MaxInt64)
	if e.cfg.MaxValidations > 0 {
		budget = (e.cfg.MaxValidations + int64(e.cfg.Clients) - 1) / int64(e.cfg.Clients)
	}
	for n := int64(0); n < budget; n++ {
		t := e.now()
		if t >= e.endNs || e.stop.Load() {
			return true
		}
		if !e.request(r, rng, t, t) {
			return false
		}
		if e.cfg.Think > 0 {
			// Never past the end: a think time is not a request in flight.
			e.waitUntil(min(e.now()+int64(e.cfg.Think), e.endNs), false)
		}
	}
	return true
}

// handAhead is how long before its due time the dispatcher hands a
// request to a worker, which then yields until it is due: waking a worker
// takes the runtime tens of microseconds (a thread to wake and a queue
// to steal from), which would otherwise be added to every request's
// latency. Longer than that wake-up on a quiet machine; short enough that
// the workers waiting out their lead keep little of a processor busy.
const handAhead = 100 * time.Microsecond

// dispatch hands the open model's requests to idle workers as they fall
// due. One goroutine waits for the due times, however many workers there
// are: workers that each waited for their own request would all be
// sleeping at once, and their wake-ups would compete for the processors
// (the pacer's own latency). Each request is handed out handAhead before
// it is due, and the worker starts it when it is due. A request that
// finds every worker busy waits for one, and is late; a backlog left at
// the end of the warm-up is dropped. dispatch returns when the run stops,
// closes work, and returns how many requests due in the measured period
// it never handed out (missed).
func (e *Engine) dispatch(work chan<- int64) (missed int64) {
	defer close(work)
	s := newSchedule(e.startNs, e.cfg.Rate)
	n := int64(0)
	for ; ; n++ {
		due := s.due(n)
		if due >= e.endNs || !e.waitUntil(due-int64(handAhead), true) {
			break
		}
		if due < e.measNs && e.now() >= e.measNs {
			// A backlog from the warm-up is dropped, not carried into
			// the measured period: it would measure the warm-up's debt.
			n = s.first(e.measNs) - 1
			continue
		}
		select {
		case work <- due: // a worker was waiting
			continue
		default:
		}
		select {
		case work <- due:
		case <-e.halt:
			return e.missedFrom(s, n)
		}
	}
	return e.missedFrom(s, n)
}

// missedFrom counts the requests from n on that were due in the measured
// period before the run stopped.
func (e *Engine) missedFrom(s schedule, n int64) int64 {
	return s.count(max(s.due(n), e.measNs), min(e.endNs, e.now()))
}

// openWorker sends the requests the dispatcher hands it. A request
// received after the run stopped is missed, never started. It returns
// false if the engine abandoned it in a backend call.
func (e *Engine) openWorker(r *recorder, rng *rand.Rand, work <-chan int64) bool {
	for due := range work {
		start := e.now()
		if start < due { // handed out ahead of time (see handAhead)
			e.clock.Yield(e.base.Add(time.Duration(due)))
			start = e.now()
		}
		if start >= e.endNs || e.stop.Load() {
			if due >= e.measNs {
				r.c.missed++
			}
			continue
		}
		if start >= e.measNs {
			if due < e.measNs {
				continue // the warm-up's backlog is dropped (see dispatch)
			}
			r.c.started++
		}
		if due >= e.measNs && start-due > int64(LateAfter) {
			r.c.late++
		}
		if !e.request(r, rng, due, start) {
			return false
		}
	}
	return true
}

// request sends one validation whose intended start is due and actual
// start is start, and records its latency and outcome. It returns false
// if the engine abandoned it in a backend call.
func (e *Engine) request(r *recorder, rng *rand.Rand, due, start int64) bool {
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
			var ok bool
			if c, ok = e.renew(r, rng, user, c); !ok {
				return false
			}
			if c == nil {
				return true
			}
			// The renewal is measured as a login or refresh. The
			// validation starts now; in the closed model its latency does
			// too, while in the open model the wait for the renewal is
			// part of what the user waited since the request was due.
			start = e.now()
			if e.closed {
				due = start
			}
		}
	}
	node := e.route(user, rng)

	r.enter()
	err := e.nodes[node].Validate(e.opCtx, c.Token)
	end := e.now()
	if !r.leave() {
		return false
	}
	r.validations++
	if r.validations&63 == 0 {
		r.done.Store(r.validations)
	}

	if due < e.measNs {
		return true // warm-up
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
	case errors.Is(err, backends.ErrStoreDataLoss) && backends.IsRejection(err):
		// The store lost its data and the backend refused a credential
		// from before the loss (fail closed): not a false reject but a
		// loss, counted apart. The user logs in again.
		r.c.rejected++
		if exp == expectValid {
			r.c.lossRejects++
		}
		if !replay && e.slots[user].CompareAndSwap(c, nil) {
			r.c.forcedLogins++
		}
	case backends.IsRejection(err):
		r.c.rejected++
		if exp == expectValid {
			r.c.falseRejects++
			sc.falseRejects++
		}
	case e.cancelled.Load():
		// The engine cancelled it at the end of the run: not the backend's error.
		r.c.cancelled++
	default:
		r.c.errors++
		sc.errors++
		r.sampleError(err)
	}
	return true
}

// renew gives user a fresh credential before the current one expires (or
// a first one after a failed login): a refresh where the backend has
// refresh tokens, a login otherwise. Only one client renews a credential;
// the others go on using it meanwhile.
// The second result is false if the engine abandoned it in a backend call.
func (e *Engine) renew(r *recorder, rng *rand.Rand, user int, c *cred) (*cred, bool) {
	if c != nil && !c.renewing.CompareAndSwap(false, true) {
		return c, true
	}
	node := e.route(user, rng)
	measured := e.now() >= e.measNs
	var (
		nc  backends.Credential
		err error
		o   = opLogin
	)
	r.enter()
	t0 := e.now()
	if c != nil && c.Refresh != "" && e.refr[node] != nil {
		o = opRefresh
		nc, err = e.refr[node].Refresh(e.opCtx, c.Credential)
	} else {
		nc, err = e.nodes[node].Issue(e.opCtx, userName(user))
	}
	t1 := e.now()
	if !r.leave() {
		return nil, false
	}
	if measured {
		r.record(o, t1-t0)
	}
	if err != nil {
		if c != nil && errors.Is(err, backends.ErrStoreDataLoss) && backends.IsRejection(err) {
			// The store lost the refresh family: the user logs in again
			// (at the next request), as after a refused validation.
			if e.slots[user].CompareAndSwap(c, nil) && measured {
				r.c.forcedLogins++
			}
			return e.slots[user].Load(), true
		}
		if c != nil && c.revokeStart.Load() != 0 && backends.IsRejection(err) {
			// The user logged out while this client refreshed: refusing
			// is the right answer, and the revoker logs the user in again.
			return e.slots[user].Load(), true
		}
		if c != nil {
			c.renewing.Store(false)
		}
		if e.cancelled.Load() {
			return nil, true // cancelled by the engine at the end: no validation follows
		}
		if measured {
			r.c.opErrors[o]++
		}
		r.sampleError(fmt.Errorf("%s: %w", opNames[o], err))
		return c, true
	}
	n := e.newCred(nc, user)
	if !e.slots[user].CompareAndSwap(c, n) {
		// The revoker replaced the credential meanwhile; use its one.
		return e.slots[user].Load(), true
	}
	return n, true
}

// revoke logs users out at the configured rate, paced from the start of
// the run like the open model, and logs each of them in again. It returns
// false if the engine abandoned it in a backend call.
func (e *Engine) revoke(rng *rand.Rand) bool {
	r := e.revRec
	s := newSchedule(e.startNs, e.cfg.RevocationRate)
	for n := int64(0); ; n++ {
		due := s.due(n)
		if due >= e.endNs || !e.waitUntil(due, false) {
			return true
		}
		user := rng.IntN(e.cfg.Users)
		c := e.slots[user].Load()
		if c == nil || c.revokeStart.Load() != 0 {
			continue
		}
		node := e.route(user, rng)
		measured := due >= e.measNs

		r.enter()
		t0 := e.now()
		c.revokeStart.Store(t0)
		err := e.nodes[node].Revoke(e.opCtx, c.Credential)
		t1 := e.now()
		if !r.leave() {
			return false
		}
		if err == nil {
			c.revokedAt.Store(t1)
			e.ring.push(c)
			e.revoked = append(e.revoked, c)
		}
		if e.cancelled.Load() {
			return true // the engine cancelled the call at the end of the run
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
		r.enter()
		t2 := e.now()
		nc, err := e.nodes[node].Issue(e.opCtx, userName(user))
		t3 := e.now()
		if !r.leave() {
			return false
		}
		if e.cancelled.Load() {
			return true
		}
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
		Accepted: c.accepted, Rejected: c.rejected, Errors: c.errors, Cancelled: c.cancelled,
		FalseAccepts: c.falseAccepts, FalseRejects: c.falseRejects,
		ExpectedValid: c.expValid, ExpectedRevoked: c.expRevoked, ExpectedExpired: c.expExpired,
		Undecided:        c.undecided,
		StoreLossRejects: c.lossRejects, ForcedLogins: c.forcedLogins,
	}
	for _, n := range e.nodes {
		if lr, ok := n.(backends.LossReporter); ok {
			if lost, _ := lr.StoreLoss(); lost {
				res.StoreLost = true
			}
		}
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
		res.Open = &OpenStats{TargetRate: e.cfg.Rate, Late: c.late, Missed: c.missed + e.dispatchMissed, Started: c.started}
	}
	return res
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}
