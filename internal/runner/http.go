package runner

import (
	"crypto/tls"
	"errors"
	"fmt"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpdrive"
	"github.com/authbench/authbench/internal/httpserve"
	"github.com/authbench/authbench/internal/keys"
	"github.com/authbench/authbench/internal/results"
	"github.com/authbench/authbench/scenarios"
)

// tlsKeys returns the certificate of https runs: the key folder's, or one
// generated once per invocation when the scenario uses fresh keys.
func (r *runner) tlsKeys(dir string) (*keys.TLS, error) {
	if k, ok := r.certs[dir]; ok {
		return k, nil
	}
	var (
		k   *keys.TLS
		err error
	)
	if dir == "" {
		k, err = keys.GenerateTLS()
	} else {
		k, err = keys.LoadTLS(dir)
	}
	if err != nil {
		return nil, err
	}
	if r.certs == nil {
		r.certs = map[string]*keys.TLS{}
	}
	r.certs[dir] = k
	return k, nil
}

func clientConfig(sc *scenarios.Scenario) httpdrive.Config {
	return httpdrive.Config{
		Credential:     sc.Credential.In,
		H2:             sc.HTTP.H2,
		NewConnections: sc.HTTP.NewConnections,
		Resumption:     sc.HTTP.Resumption,
		Conns:          sc.Load.Clients,
		Timeout:        sc.HTTP.Timeout,
	}
}

// overHTTP puts every node behind a loopback HTTP server of its own and
// replaces it in nodes by the client that reaches it, so the engine
// drives the wire exactly as it drives a node in-process.
func (r *runner) overHTTP(sc *scenarios.Scenario, nodes []backends.Strategy) error {
	srv := httpserve.Config{Credential: sc.Credential.In, SameSite: sc.Credential.SameSite, NoCSRF: sc.CSRF == "off"}
	cli := clientConfig(sc)
	var stls *tls.Config
	if sc.Transport == scenarios.TransportHTTPS {
		k, err := r.tlsKeys(sc.Keys)
		if err != nil {
			return err
		}
		stls, cli.TLS = k.ServerConfig(), k.ClientConfig()
	}
	for i, n := range nodes {
		st, _, err := httpdrive.Loopback(n, srv, stls, cli)
		if err != nil {
			return err
		}
		nodes[i] = st
	}
	r.arm(sc, nodes)
	return nil
}

// targetNodes returns clients of the external server http.target, one per
// cluster node (they share the server; routing between them changes only
// which connection pool a request uses).
func (r *runner) targetNodes(sc *scenarios.Scenario) ([]backends.Strategy, error) {
	cli := clientConfig(sc)
	cli.URL = sc.HTTP.Target
	h := sc.HTTP
	cli.Protocol = httpdrive.Protocol{
		Login:     httpdrive.Route{Method: h.Login.Method, Path: h.Login.Path},
		Validate:  httpdrive.Route{Method: h.Validate.Method, Path: h.Validate.Path},
		Logout:    httpdrive.Route{Method: h.Logout.Method, Path: h.Logout.Path},
		LoginBody: h.Login.Body, TokenFrom: h.Login.Token, RefreshFrom: h.Login.Refresh, CSRFFrom: h.Login.CSRF,
	}
	if sc.Transport == scenarios.TransportHTTPS {
		// Trust the key folder's certificate (authbench serve --keys DIR);
		// without one, the system's roots.
		cli.TLS = &tls.Config{MinVersion: tls.VersionTLS13}
		if sc.Keys != "" {
			k, err := r.tlsKeys(sc.Keys)
			if err != nil && !errors.Is(err, keys.ErrNoTLS) {
				return nil, err
			}
			if k != nil {
				cli.TLS = k.ClientConfig()
			}
		}
	}
	var nodes []backends.Strategy
	for range max(1, sc.Cluster.Nodes) {
		st, err := httpdrive.New(cli)
		if err != nil {
			for _, n := range nodes {
				n.Close()
			}
			return nil, fmt.Errorf("http.target: %w", err)
		}
		nodes = append(nodes, st)
	}
	r.arm(sc, nodes)
	return nodes, nil
}

// arm gives the first client the CSRF attacker, when the scenario has one.
func (r *runner) arm(sc *scenarios.Scenario, nodes []backends.Strategy) {
	if sc.Attack.CSRF > 0 && len(nodes) > 0 {
		httpdrive.ClientOf(nodes[0]).EnableCSRF(sc.Attack.CSRF, sc.Duration, sc.Seed)
	}
}

// httpSummary adds up what the clients measured.
func httpSummary(sc *scenarios.Scenario, nodes []backends.Strategy, run *results.Run) *results.HTTP {
	out := &results.HTTP{
		Transport: sc.Transport, Credential: sc.Credential.In, CSRFDefence: sc.CSRF == "on",
		H2: sc.HTTP.H2, NewConnections: sc.HTTP.NewConnections, Target: sc.HTTP.Target, ValidateShare: -1,
	}
	if sc.Credential.In == "cookie" {
		out.SameSite = sc.Credential.SameSite
	}
	var (
		sent, recv, hsNs, resNs, srvN, srvNs int64
		cpu                                  float64
		known                                = true
	)
	for _, n := range nodes {
		c := httpdrive.ClientOf(n)
		if c == nil {
			continue
		}
		s := c.Stats()
		out.Requests += s.Requests
		sent += s.BytesSent
		recv += s.BytesReceived
		out.Connections += s.Connections
		out.Handshakes += s.Handshakes
		out.Resumptions += s.Resumptions
		out.HandshakeErrors += s.HandshakeErrors
		out.DialErrors += s.DialErrors
		hsNs += s.HandshakeNs
		resNs += s.ResumptionNs
		// CPU time is the process's: the same figure on every client.
		cpu = max(cpu, s.CPU.Seconds())
		known = known && s.ServerKnown
		srvN += s.ServerValidations
		srvNs += s.ServerValidateNs
		out.ServerConnErrors += s.ServerConnErrors
		out.ServerConnsDropped += s.ServerConnsDropped
		if cs := c.CSRF(); cs != nil {
			out.CSRF = &results.CSRF{Rate: sc.Attack.CSRF, Attempts: cs.Attempts, CookieAttached: cs.CookieAttached,
				Accepted: cs.Accepted, RefusedCSRF: cs.RefusedCSRF, RefusedAuth: cs.RefusedAuth, Errors: cs.Errors}
		}
	}
	if out.Requests > 0 {
		out.BytesSentPerRequest = float64(sent) / float64(out.Requests)
		out.BytesReceivedPerRequest = float64(recv) / float64(out.Requests)
		out.CPUPerRequestUS = cpu * 1e6 / float64(out.Requests)
	}
	if out.Handshakes > 0 {
		out.HandshakeUS = float64(hsNs) / float64(out.Handshakes) / 1e3
	}
	if out.Resumptions > 0 {
		out.ResumptionUS = float64(resNs) / float64(out.Resumptions) / 1e3
	}
	if known && srvN > 0 {
		out.ServerValidateNS = float64(srvNs) / float64(srvN)
		if m := run.ServiceNS.Mean; m > 0 {
			out.ValidateShare = out.ServerValidateNS / m
		}
	}
	return out
}
