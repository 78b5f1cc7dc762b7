package main

import (
	"testing"

	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// TestApplyShard checks that the shards' parts add up to the whole and
// that a plan's runs sharing a scenario are divided once, not once each.
func TestApplyShard(t *testing.T) {
	whole := scenarios.Defaults()
	whole.Users, whole.Load.Clients, whole.Load.Rate, whole.Revocation.Rate = 301, 3, 900, 30
	var users, clients int
	var rate, logouts float64
	seeds := map[uint64]bool{}
	for i := range 2 {
		sc := whole
		plan := []scenarios.Run{{Scenario: &sc}, {Scenario: &sc}} // two backends, one point
		if err := applyShard(plan, results.Shard{Index: i, Count: 2}); err != nil {
			t.Fatal(err)
		}
		p := plan[0].Scenario
		if plan[1].Scenario != p {
			t.Error("runs of one point got different scenarios")
		}
		if sc.Users != 301 || sc.Load.Clients != 3 {
			t.Error("applyShard changed the whole scenario")
		}
		users += p.Users
		clients += p.Load.Clients
		rate += p.Load.Rate
		logouts += p.Revocation.Rate
		seeds[p.Seed] = true
	}
	if users != 301 || clients != 3 || rate != 900 || logouts != 30 {
		t.Errorf("shards add up to %d users, %d clients, %g/s, %g logouts/s; want 301, 3, 900, 30", users, clients, rate, logouts)
	}
	if len(seeds) != 2 {
		t.Error("both shards have the same seed")
	}
	sc := whole
	sc.Load.Clients = 1
	if err := applyShard([]scenarios.Run{{Scenario: &sc}}, results.Shard{Index: 1, Count: 2}); err == nil {
		t.Error("one client divided into two shards")
	}
}
