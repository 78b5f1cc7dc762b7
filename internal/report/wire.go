package report

import (
	"fmt"
	"slices"
	"strings"

	"github.com/authbench/authbench/internal/results"
)

// The "Over the wire" section of report.md: runs with transport http or
// https (scenarios/http.yaml), next to the in-process runs of the same
// backends. Every figure is read from summary.json: the driver's counts
// (runs[].http) and the latency histograms' summaries.

// wireKey groups the runs that differ only by repeat.
type wireKey struct {
	backend, point string
}

type wireRow struct {
	backend, transport, credential string
	p50, p99, thr                  []float64
	sent, recv, cpu, share, valNS  []float64
	handshakes, resumptions        int64
	hsUS, resUS                    []float64
	conns, dialErr, dropped        int64
	errors                         int64
	inproc                         bool
}

// hasWire reports whether any run went over HTTP.
func hasWire(s *results.Summary) bool {
	for _, r := range s.Runs {
		if r.HTTP != nil {
			return true
		}
	}
	return false
}

// writeWire writes the section; nothing when no run went over HTTP.
func writeWire(p func(string, ...any), s *results.Summary) {
	if !hasWire(s) {
		return
	}
	rows := map[wireKey]*wireRow{}
	var order []wireKey
	for _, r := range s.Runs {
		k := wireKey{r.Backend, r.Point}
		row := rows[k]
		if row == nil {
			row = &wireRow{backend: r.Backend, transport: "inproc", inproc: r.HTTP == nil}
			if h := r.HTTP; h != nil {
				row.transport, row.credential = h.Transport, h.Credential
				if h.H2 {
					row.transport += " h2"
				}
			}
			rows[k] = row
			order = append(order, k)
		}
		v := r.Ops[results.OpValidate]
		row.p50 = append(row.p50, float64(v.LatencyNS.P50))
		row.p99 = append(row.p99, float64(v.LatencyNS.P99))
		row.thr = append(row.thr, v.ThroughputPerS)
		row.errors += r.Outcomes.Errors
		if h := r.HTTP; h != nil {
			row.sent = append(row.sent, h.BytesSentPerRequest)
			row.recv = append(row.recv, h.BytesReceivedPerRequest)
			row.cpu = append(row.cpu, h.CPUPerRequestUS)
			if h.ValidateShare >= 0 {
				row.share = append(row.share, h.ValidateShare)
				row.valNS = append(row.valNS, h.ServerValidateNS)
			}
			row.handshakes += h.Handshakes
			row.resumptions += h.Resumptions
			if h.Handshakes > 0 {
				row.hsUS = append(row.hsUS, h.HandshakeUS)
			}
			if h.Resumptions > 0 {
				row.resUS = append(row.resUS, h.ResumptionUS)
			}
			row.conns += h.Connections
			row.dialErr += h.DialErrors + h.HandshakeErrors
			row.dropped += h.ServerConnsDropped
		}
	}
	// One row per backend and wire setup: points that differ only by
	// fields that do not change the wire (csrf, for instance) are merged.
	type mergedKey struct{ backend, transport, credential string }
	merged := map[mergedKey]*wireRow{}
	var morder []mergedKey
	for _, k := range order {
		r := rows[k]
		mk := mergedKey{r.backend, r.transport, r.credential}
		m := merged[mk]
		if m == nil {
			cp := *r
			merged[mk] = &cp
			morder = append(morder, mk)
			continue
		}
		m.p50, m.p99, m.thr = append(m.p50, r.p50...), append(m.p99, r.p99...), append(m.thr, r.thr...)
		m.sent, m.recv, m.cpu = append(m.sent, r.sent...), append(m.recv, r.recv...), append(m.cpu, r.cpu...)
		m.share, m.valNS = append(m.share, r.share...), append(m.valNS, r.valNS...)
		m.hsUS, m.resUS = append(m.hsUS, r.hsUS...), append(m.resUS, r.resUS...)
		m.handshakes += r.handshakes
		m.resumptions += r.resumptions
		m.conns += r.conns
		m.dialErr += r.dialErr
		m.dropped += r.dropped
		m.errors += r.errors
	}
	slices.SortStableFunc(morder, func(a, b mergedKey) int {
		return strings.Compare(a.backend, b.backend)
	})

	p("## Over the wire\n\n")
	p("The same backends behind a real net/http server on loopback (one per validator node), driven by authbench's HTTP client: " +
		"latency is end to end (request written to response read, coordinated-omission corrected in the open model). " +
		"*Validation share* is the server's mean time in the backend's Validate over the client's mean validate service time. " +
		"Bytes are counted on the socket, both ways, per HTTP request of any operation (headers, bodies, TLS records and handshakes). " +
		"CPU per request is the whole authbench process (driver, loopback servers, backends). Medians over runs; points that differ only in fields that do not change the wire (csrf) are merged.\n\n")
	p("| backend | transport | credential | runs | validations/s | p50 | p99 | validation share | server Validate | bytes sent/req | bytes received/req | CPU/req | errors |\n")
	p("|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, k := range morder {
		r := merged[k]
		share, val, sent, recv, cpu := "–", "–", "–", "–", "–"
		cred := r.credential
		if r.inproc {
			cred = "–"
			share = "100%"
		} else {
			if len(r.share) > 0 {
				share = fmt.Sprintf("%.1f%%", 100*median(r.share))
				val = fmtNS(median(r.valNS))
			}
			sent = fmt.Sprintf("%.0f", median(r.sent))
			recv = fmt.Sprintf("%.0f", median(r.recv))
			cpu = fmt.Sprintf("%.1f µs", median(r.cpu))
		}
		p("| %s | %s | %s | %d | %.0f | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			r.backend, r.transport, cred, len(r.p50), median(r.thr), fmtNS(median(r.p50)), fmtNS(median(r.p99)),
			share, val, sent, recv, cpu, fmtInt(r.errors))
	}
	p("\n")

	// TLS: handshakes against resumptions, over every https run.
	var hs, res int64
	var hsUS, resUS []float64
	for _, k := range morder {
		r := merged[k]
		hs += r.handshakes
		res += r.resumptions
		hsUS = append(hsUS, r.hsUS...)
		resUS = append(resUS, r.resUS...)
	}
	if hs+res > 0 {
		p("### TLS: full handshake against resumption\n\n")
		p("New connections (`http.new_connections` of the validations) either resume a TLS 1.3 session from a ticket or make a full handshake (`http.resumption` sets the share); the time is the client's, from the first byte sent to the handshake's end, on loopback.\n\n")
		p("| | connections | median time per handshake (median over runs) |\n|---|--:|--:|\n")
		p("| full handshake | %d | %s |\n", hs, usOrDash(hsUS))
		p("| resumption | %d | %s |\n\n", res, usOrDash(resUS))
	}

	writeCSRF(p, s)

	p("Not measured: a bearer token kept where script can read it (memory, localStorage) can be read and sent elsewhere by an XSS payload; an HttpOnly cookie cannot be read by script, though an XSS payload can still make requests with it while the page is open. That is how browsers behave, stated here, not something authbench measures.\n\n")
}

func usOrDash(xs []float64) string {
	if len(xs) == 0 {
		return "–"
	}
	return fmt.Sprintf("%.0f µs", median(xs))
}

// writeCSRF tallies the CSRF attacker's forged requests by wire setup.
func writeCSRF(p func(string, ...any), s *results.Summary) {
	type key struct {
		transport, credential, sameSite string
		defence                         bool
	}
	tally := map[key]*results.CSRF{}
	var order []key
	for _, r := range s.Runs {
		h := r.HTTP
		if h == nil || h.CSRF == nil {
			continue
		}
		k := key{h.Transport, h.Credential, h.SameSite, h.CSRFDefence}
		if h.Credential == "header" {
			k.defence = true // no cookie: the CSRF setting changes nothing
		}
		t := tally[k]
		if t == nil {
			t = &results.CSRF{}
			tally[k] = t
			order = append(order, k)
		}
		c := h.CSRF
		t.Attempts += c.Attempts
		t.CookieAttached += c.CookieAttached
		t.Accepted += c.Accepted
		t.RefusedCSRF += c.RefusedCSRF
		t.RefusedAuth += c.RefusedAuth
		t.Errors += c.Errors
	}
	if len(order) == 0 {
		return
	}
	p("### CSRF: a forged cross-site request\n\n")
	p("The attacker sends a state-changing POST from another site (`Origin: https://attacker.example`) with no CSRF token; the simulated browser attaches the victim's cookies only when they are SameSite=None, as browsers do for cross-site POSTs. *Accepted* means the forged change was made: a false accept. Summed over backends and repeats.\n\n")
	p("| transport | credential | SameSite | CSRF defence | forged requests | cookie attached | accepted (false accepts) | refused 403 (CSRF check) | refused 401 (no credential) | errors |\n")
	p("|---|---|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, k := range order {
		t := tally[k]
		ss, def := k.sameSite, "on"
		if k.credential == "header" {
			ss, def = "–", "– (nothing ambient)"
		} else if !k.defence {
			def = "off"
		}
		p("| %s | %s | %s | %s | %d | %d | **%d** | %d | %d | %d |\n", k.transport, k.credential, ss, def,
			t.Attempts, t.CookieAttached, t.Accepted, t.RefusedCSRF, t.RefusedAuth, t.Errors)
	}
	p("\n")
}
