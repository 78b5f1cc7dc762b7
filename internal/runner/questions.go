package runner

import (
	"context"
	"fmt"
	"runtime"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// stepBudget is about how long each stage of a validation is timed (twice
// that with the calibration): a dozen token backends cost a few seconds.
const stepBudget = 20 * time.Millisecond

// questions answers two of the source note's questions for every token
// backend of the plan, once per backend, before the first measured run:
// is the token's integrity protected (the attack catalogue, replayed
// against a node of its own), and what does each step of a validation cost
// (backends.MeasureSteps). Nodes are opened with the settings of the
// backend's first planned run and its keys; nothing here touches a
// measured period.
func (r *runner) questions(ctx context.Context, plan []scenarios.Run, sum *results.Summary) {
	first := map[string]scenarios.Run{}
	for _, pr := range plan {
		if _, ok := first[pr.Backend]; !ok {
			first[pr.Backend] = pr
		}
	}
	var (
		attacker                      *keys.Ring
		backendsDone, tried, byDesign int
		accepted                      []string
		start                         = time.Now()
	)
	for i := range sum.Backends {
		b := &sum.Backends[i]
		pr, planned := first[b.Name]
		if !planned || b.Skipped != "" || !backends.Attackable(b.Name) || pr.Scenario.HTTP.Target != "" || ctx.Err() != nil {
			continue
		}
		if attacker == nil {
			attacker = keys.NewRing("", keys.DefaultRSABits)
		}
		b.Integrity = r.attack(ctx, pr, attacker)
		b.Steps = r.steps(ctx, pr)
		for _, w := range []string{b.Integrity.Error, b.Steps.Error} {
			if w != "" {
				r.warnings = append(r.warnings, fmt.Sprintf("%s: %s", b.Name, w))
			}
		}
		backendsDone++
		tried += b.Integrity.Attacks
		byDesign += b.Integrity.AcceptedByDesign
		for _, a := range b.Integrity.AcceptedAttacks() {
			accepted = append(accepted, b.Name+": "+a)
		}
	}
	if backendsDone > 0 {
		fmt.Fprintf(r.opt.Stdout, "attack catalogue: %d token backends, %d attacks, %d accepted (%d by design); validation steps timed (%s)\n",
			backendsDone, tried, len(accepted), byDesign, time.Since(start).Round(100*time.Millisecond))
		for _, a := range accepted {
			fmt.Fprintf(r.opt.Stdout, "  ACCEPTED %s\n", a)
		}
	}
	// The catalogue's megabyte tokens are garbage now: collect them before
	// the first run rather than during it.
	runtime.GC()
}

// attack replays the attack catalogue against a node of pr's backend.
func (r *runner) attack(ctx context.Context, pr scenarios.Run, attacker *keys.Ring) *results.Integrity {
	env, err := r.env(ctx, pr, "attacks")
	if err != nil {
		return &results.Integrity{Error: "attack catalogue not run: " + err.Error()}
	}
	res, err := backends.RunAttacks(ctx, backends.AttackRun{
		Backend: pr.Backend, Env: env, Attacker: attacker, Timeout: 5 * max(pr.Scenario.Redis.Timeout, 200*time.Millisecond),
		Open: func(env *backends.Env) (backends.Strategy, error) {
			node, err := r.open(pr.Backend, env)
			if err == nil && r.opt.attackNode != nil {
				node = r.opt.attackNode(node)
			}
			return node, err
		},
	})
	if err != nil {
		return &results.Integrity{Error: "attack catalogue not run: " + err.Error()}
	}
	return results.NewIntegrity(res)
}

// steps times each stage of a validation on a node of pr's backend.
func (r *runner) steps(ctx context.Context, pr scenarios.Run) *results.Steps {
	env, err := r.env(ctx, pr, "steps")
	if err != nil {
		return &results.Steps{Error: "validation steps not timed: " + err.Error()}
	}
	env.Now = stepsClock(time.Now())
	node, err := r.open(pr.Backend, env)
	if err != nil {
		return &results.Steps{Error: "validation steps not timed: " + err.Error()}
	}
	defer node.Close()
	c, err := backends.MeasureSteps(ctx, node, stepBudget)
	if err != nil {
		return &results.Steps{Error: "validation steps not timed: " + err.Error()}
	}
	return results.NewSteps(c)
}

// stepsClock is the clock of the node whose steps are timed: the timing
// lasts longer than a short token.ttl, so the clock stands still at the
// instant the token is issued, and still reads the real clock on every
// call so that each step pays what a clock read costs.
func stepsClock(now time.Time) func() time.Time {
	return func() time.Time {
		_ = time.Now()
		return now
	}
}
