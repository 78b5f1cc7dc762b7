package main

import (
	"fmt"

	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// applyShard turns plan into shard sh's part of it: users, clients, the
// open model's rate and the logout rate divided among the shards (the
// first total%count shards take one more user or client), and a seed of
// its own so shards do not make the same random choices in step. The
// scenario each run records (Config, Params) stays the whole one, so the
// shards of one run agree and authbench merge can check it.
func applyShard(plan []scenarios.Run, sh results.Shard) error {
	parts := map[*scenarios.Scenario]*scenarios.Scenario{}
	for i := range plan {
		orig := plan[i].Scenario
		if p, ok := parts[orig]; ok {
			plan[i].Scenario = p
			continue
		}
		p := *orig
		p.Users = part(orig.Users, sh)
		p.Load.Clients = part(orig.Load.Clients, sh)
		if p.Users < 1 || p.Load.Clients < 1 {
			return fmt.Errorf("--shard %s: %d users and %d clients cannot be divided into %d shards (each needs at least one of each)",
				sh, orig.Users, orig.Load.Clients, sh.Count)
		}
		p.Load.Rate = orig.Load.Rate / float64(sh.Count)
		p.Revocation.Rate = orig.Revocation.Rate / float64(sh.Count)
		p.Seed = orig.Seed + uint64(sh.Index)*0x9E3779B97F4A7C15
		parts[orig] = &p
		plan[i].Scenario = &p
	}
	return nil
}

// part is shard sh's share of total.
func part(total int, sh results.Shard) int {
	n := total / sh.Count
	if sh.Index < total%sh.Count {
		n++
	}
	return n
}
