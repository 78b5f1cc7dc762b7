package runner

import (
	"context"
	"strings"
	"testing"
)

// transport https puts every node behind a loopback server: the summary
// holds the wire figures, the nodes' own store figures, the CSRF
// attacker's tally, and report.md the "Over the wire" section.
func TestRunOverHTTPS(t *testing.T) {
	const yaml = `name: wire
backends: [session-memory]
duration: 600ms
warmup: 100ms
repeat: 1
users: 100
load: {clients: 2}
cluster: {nodes: 2, routing: sticky}
revocation: {rate: 20, replay: 0.1}
transport: https
credential: {in: cookie, same_site: none}
csrf: "off"
http: {new_connections: 0.05}
attack: {csrf: 50}
`
	var opt Options
	s, plan := planOf(t, yaml, &opt)
	out, err := Run(context.Background(), s, plan, opt)
	if err != nil {
		t.Fatal(err)
	}
	sum, md := readFolder(t, out.Dir)
	run := sum.Runs[0]
	h := run.HTTP
	if h == nil {
		t.Fatal("no http figures in summary.json")
	}
	if h.Transport != "https" || h.Credential != "cookie" || h.SameSite != "none" || h.CSRFDefence {
		t.Errorf("wire setup %+v", h)
	}
	// The driver's counts start when a timer fires at the measured
	// period's start, which a busy machine delays; the engine counts
	// validations from their start times. Requests (validations, logins,
	// refreshes, logouts) fall short of the validations only by that.
	if h.Requests < run.Ops["validate"].Count*9/10 || h.BytesSentPerRequest <= 0 || h.Connections == 0 ||
		h.Handshakes+h.Resumptions == 0 || h.ValidateShare <= 0 || h.ValidateShare > 1 || h.CPUPerRequestUS <= 0 {
		t.Errorf("wire figures %+v (validations %d)", h, run.Ops["validate"].Count)
	}
	// session-memory behind the servers: the in-process nodes are still
	// asked for their store, and sessions revoked over the wire stay revoked.
	if run.Store.Entries == 0 || run.Revocation.ReplaysAccepted != 0 || run.Outcomes.FalseAccepts != 0 {
		t.Errorf("store %+v revocation %+v outcomes %+v", run.Store, run.Revocation, run.Outcomes)
	}
	// csrf off and SameSite=None: every forged request carries the
	// victim's cookie and is accepted, but for a victim logged out
	// between the attacker's choice and its request (401).
	if c := h.CSRF; c == nil || c.Attempts == 0 || c.CookieAttached != c.Attempts || c.RefusedCSRF != 0 ||
		c.Accepted+c.RefusedAuth != c.Attempts || c.Accepted < c.Attempts*9/10 {
		t.Errorf("CSRF tally %+v: want every forged request attached and accepted", c)
	}
	for _, want := range []string{"## Over the wire", "### CSRF: a forged cross-site request", "| https | cookie | none | off |"} {
		if !strings.Contains(md, want) {
			t.Errorf("report.md lacks %q", want)
		}
	}
}
