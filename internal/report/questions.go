package report

import (
	"fmt"
	"github.com/authbench/authbench/backends"
	"sort"
	"strings"
	"time"

	"github.com/authbench/authbench/internal/results"
)

// The source note asks four questions besides its claims: can a client
// tamper with a token, how does a server validate one, how do expiry and
// refresh bound the damage, and where does the client keep it. Each gets a
// section answered from what the run recorded, and says plainly what the
// run did not measure.

// writeQuestions writes the four sections.
func writeQuestions(p func(string, ...any), s *results.Summary, v *view) {
	p("## The note's four questions\n\n")
	writeIntegrity(p, v)
	writeSteps(p, v)
	writeExpiry(p, v)
	writeStorage(p, s)
}

// unmeasured lists the token backends of the run (those the runner
// attacks and times, backends.Attackable) with no figure of the
// kind has says they have.
func (v *view) unmeasured(has func(results.BackendInfo) bool) []string {
	var out []string
	for _, b := range v.backends {
		if bi := v.info[b]; backends.Attackable(b) && !has(bi) {
			out = append(out, b)
		}
	}
	return out
}

func writeIntegrity(p func(string, ...any), v *view) {
	p("### Can a client tamper with its token? (integrity)\n\n")
	var rows []results.BackendInfo
	for _, b := range v.backends {
		if bi := v.info[b]; bi.Integrity != nil {
			rows = append(rows, bi)
		}
	}
	missing := v.unmeasured(func(bi results.BackendInfo) bool { return bi.Integrity != nil })
	if len(rows) == 0 {
		p("Not measured in this run: ")
		if len(missing) > 0 {
			p("no attack results for %s (a summary written before `authbench run` replayed the attack catalogue, or backends behind `http.target`, which run in another process).\n\n", strings.Join(missing, ", "))
		} else {
			p("no token backend ran (the catalogue applies to JWT and JWE backends; session IDs are opaque random strings with nothing to tamper with).\n\n")
		}
		return
	}
	p("Before its first measured run, each token backend was sent the attack catalogue of `backends/attacks.go` (the one the tests check word for word): forged and tampered tokens it must refuse, and controls, well-formed tokens it must accept. *accepted* must be 0: an accepted attack is a broken validator and makes the run need attention (exit status 3). Refusal reasons are in the words of `authbench token verify`.\n\n")
	p("| backend | attacks | rejected | accepted | accepted by design | refused for another reason | errors | controls accepted | refusals by reason |\n")
	p("|---|--:|--:|--:|--:|--:|--:|--:|---|\n")
	for _, bi := range rows {
		in := bi.Integrity
		if in.Error != "" {
			p("| %s | – | – | – | – | – | – | – | not run: %s |\n", bi.Name, cell(in.Error))
			continue
		}
		acc := fmt.Sprint(in.Accepted)
		if in.Accepted > 0 {
			acc = "**" + acc + "**"
		}
		p("| %s | %d | %d | %s | %d | %d | %d | %d of %d | %s |\n", bi.Name, in.Attacks, in.Rejected, acc, in.AcceptedByDesign,
			in.OtherReason, in.Errors, in.ControlsAccepted, in.Controls, cell(reasonList(in.Reasons)))
	}
	p("\n")
	for _, bi := range rows {
		in := bi.Integrity
		for _, r := range in.Results {
			switch r.Outcome {
			case results.AttackAccepted:
				p("- **%s ACCEPTED \"%s\"** (must be refused: %s).\n", bi.Name, r.Attack, r.Want)
			case results.AttackAcceptedByDesign:
				p("- %s accepted \"%s\" by design: %s.\n", bi.Name, r.Attack, r.Weakness)
			case results.ControlRefused:
				p("- %s refused the control \"%s\" (%s): it refuses well-formed tokens.\n", bi.Name, r.Attack, r.Got)
			case results.AttackError:
				p("- %s: \"%s\" ended in %s.\n", bi.Name, r.Attack, r.Got)
			case results.AttackOtherReason:
				p("- %s refused \"%s\" as %s, where the catalogue expects %s.\n", bi.Name, r.Attack, r.Got, r.Want)
			}
		}
	}
	if len(missing) > 0 {
		p("- Not measured for %s (no attack results in summary.json).\n", strings.Join(missing, ", "))
	}
	p("\nSession backends are not attacked: their credential is an opaque random ID that names a server-side record, so there is no claim to alter and no signature to forge; guessing one is the only attack.\n\n")
}

// reasonList writes refusal counts, most frequent first.
func reasonList(m map[string]int) string {
	type rc struct {
		r string
		n int
	}
	var rs []rc
	for r, n := range m {
		rs = append(rs, rc{r, n})
	}
	sort.Slice(rs, func(i, j int) bool {
		if rs[i].n != rs[j].n {
			return rs[i].n > rs[j].n
		}
		return rs[i].r < rs[j].r
	})
	parts := make([]string, len(rs))
	for i, x := range rs {
		parts[i] = fmt.Sprintf("%s ×%d", x.r, x.n)
	}
	return strings.Join(parts, ", ")
}

// cryptoStep reports whether a step is the signature check or the
// decryption: the cryptography a validation pays for.
func cryptoStep(name string) bool {
	return strings.HasPrefix(name, "signature:") || strings.HasPrefix(name, "decrypt:") || strings.HasPrefix(name, "inner JWS signature:")
}

func writeSteps(p func(string, ...any), v *view) {
	p("### How does a server validate a JWT? (the steps and what each costs)\n\n")
	var rows []results.BackendInfo
	for _, b := range v.backends {
		if bi := v.info[b]; bi.Steps != nil {
			rows = append(rows, bi)
		}
	}
	missing := v.unmeasured(func(bi results.BackendInfo) bool { return bi.Steps != nil })
	if len(rows) == 0 {
		p("Not measured in this run: ")
		if len(missing) > 0 {
			p("no step timings for %s (a summary written before `authbench run` timed them, or backends behind `http.target`).\n\n", strings.Join(missing, ", "))
		} else {
			p("no token backend ran.\n\n")
		}
		return
	}
	rounds, clock := 0, ""
	for _, bi := range rows {
		rounds = max(rounds, bi.Steps.Rounds)
		if bi.Steps.Clock != "" {
			clock = bi.Steps.Clock
		}
	}
	storeWait := ""
	switch clock {
	case "":
		clock = "time"
	case "thread CPU time":
		clock = "the measuring thread's CPU time (what other processes took of the machine is not counted)"
		storeWait = ", its CPU only: the wait for a store's answer is not counted, the latency tables show it"
	}
	p("Each token backend's validation of one fresh token, taken apart into the stages it goes through, in order, each timed alone with the backend's own parser, keys and claim rules: one thread, before the load, on this machine, counting %s; each figure is the median of %d rounds. *whole* is the complete check timed as one call: the stages add up to about it. *Validate* adds what the backend does beyond the token (a hybrid's store check%s). The latency under load, in the tables above, adds queueing and the load generator.\n\n", clock, rounds, storeWait)
	p("| backend | signature or decryption | its cost | share of the steps | steps' sum | whole | Validate | validate p50 under load (headline point) |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|\n")
	for _, bi := range rows {
		st := bi.Steps
		if st.Error != "" {
			p("| %s | not timed: %s | | | | | | |\n", bi.Name, cell(st.Error))
			continue
		}
		sum, crypto, names := 0.0, 0.0, []string{}
		for _, x := range st.Steps {
			sum += x.NSPerOp
			if cryptoStep(x.Name) {
				crypto += x.NSPerOp
				names = append(names, x.Name)
			}
		}
		under := "–"
		if s, ok := v.stats[v.headline][bi.Name]; ok {
			under = fmtNS(s.p50)
		}
		p("| %s | %s | %s | %s | %s | %s | %s | %s |\n", bi.Name, cell(strings.Join(names, " + ")), fmtNS(crypto), fmtPct(crypto/max(sum, 1)),
			fmtNS(sum), fmtNS(st.VerifyNSPerOp), fmtNS(st.ValidateNSPerOp), under)
	}
	p("\n")
	for _, bi := range rows {
		if line := stepsSentence(bi.Name, bi.Steps); line != "" {
			p("- %s\n", line)
		}
	}
	p("\n")
	for _, bi := range rows {
		st := bi.Steps
		if st.Error != "" || len(st.Steps) == 0 {
			continue
		}
		sum := 0.0
		for _, x := range st.Steps {
			sum += x.NSPerOp
		}
		p("#### %s\n\n", bi.Name)
		p("| # | step | ns/op | share of the steps |\n|--:|---|--:|--:|\n")
		for i, x := range st.Steps {
			p("| %d | %s | %s | %s |\n", i+1, cell(x.Name), sig3(x.NSPerOp), fmtPct(x.NSPerOp/max(sum, 1)))
		}
		p("| | steps' sum | %s | |\n", sig3(sum))
		p("| | whole verification, one call | %s | |\n", sig3(st.VerifyNSPerOp))
		p("| | Validate | %s | |\n\n", sig3(st.ValidateNSPerOp))
	}
	if len(missing) > 0 {
		p("Not measured for %s (no step timings in summary.json).\n\n", strings.Join(missing, ", "))
	}
}

// stepsSentence says, from the timings, what share of a backend's
// validation its cryptography is and which step is the largest.
func stepsSentence(name string, st *results.Steps) string {
	if st == nil || st.Error != "" || len(st.Steps) == 0 {
		return ""
	}
	sum, crypto := 0.0, 0.0
	top := st.Steps[0]
	for _, x := range st.Steps {
		sum += x.NSPerOp
		if cryptoStep(x.Name) {
			crypto += x.NSPerOp
		}
		if x.NSPerOp > top.NSPerOp {
			top = x
		}
	}
	if sum <= 0 {
		return ""
	}
	line := fmt.Sprintf("%s: the signature check or decryption is %s of the validation's steps", name, fmtPct(crypto/sum))
	if cryptoStep(top.Name) {
		return line + ", the largest of them."
	}
	return line + fmt.Sprintf("; the largest step is %s (%s).", top.Name, fmtPct(top.NSPerOp/sum))
}

// expiryRow is one backend at one point of the expiry section.
type expiryRow struct {
	point, backend, ttl       string
	ttlD                      time.Duration
	runS                      float64
	replays                   bool
	expP99                    float64 // ms
	loginsPerS, refreshesPerS float64
	refreshP50, refreshP99    float64 // ns
	refreshes                 int64
	avoided                   string
}

func writeExpiry(p func(string, ...any), v *view) {
	p("### Expiry and refresh: how long does a stolen token stay usable, and what does refreshing cost?\n\n")
	var rows []expiryRow
	for _, pt := range v.points {
		jwt := v.fastestJWTAt(pt, false)
		for _, b := range v.backends {
			st, ok := v.stats[pt][b]
			if !ok || v.info[b].Family == "calibration" || (!st.hasReplays() && st.refreshes == 0) {
				continue
			}
			runs := v.runs[pt][b]
			row := expiryRow{point: pt, backend: b, replays: st.hasReplays(), expP99: st.expP99, refreshes: st.refreshes}
			row.ttl = runs[0].Params["token.ttl"]
			row.ttlD, _ = time.ParseDuration(row.ttl)
			var runS, lps, rps, r50, r99 []float64
			for _, r := range runs {
				runS = append(runS, r.DurationS)
				lps = append(lps, r.Ops[results.OpLogin].ThroughputPerS)
				rps = append(rps, r.Ops[results.OpRefresh].ThroughputPerS)
				r50 = append(r50, float64(r.Ops[results.OpRefresh].LatencyNS.P50))
				r99 = append(r99, float64(r.Ops[results.OpRefresh].LatencyNS.P99))
			}
			row.runS, row.loginsPerS, row.refreshesPerS = median(runS), median(lps), median(rps)
			row.refreshP50, row.refreshP99 = median(r50), median(r99)
			row.avoided = "–"
			if st.refreshes > 0 && jwt != "" {
				mb, mj := v.measured(pt, b), v.measured(pt, jwt)
				row.avoided = fmt.Sprintf("%s vs %s", fmtInt(mj.logins-mb.logins), jwt)
			}
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		p("Not measured in this run: no revoked credential was replayed (revocation.replay is 0 or revocation.rate is 0) and no backend refreshed a token. `scenarios/revocation.yaml` measures both, with a token lifetime shorter than the runs.\n\n")
		return
	}
	p("Per point and backend, medians over repeats. The exposure window of a revoked credential is the time from its logout to the last accepted replay; for a backend that cannot revoke, it is bounded by the token's lifetime (token.ttl plus the leeway) — but only when the lifetime is shorter than the run: otherwise the run ended first, and the figure measures the run, not the lifetime. Logins per second include the re-logins after logouts and, for backends without refresh tokens, the renewals of expiring tokens; *logins avoided* is how many fewer logins per run than the fastest plain JWT backend at the same point.\n\n")
	p("| point | backend | token.ttl | run | exposure p99 | exposure p99 / ttl | logins/s | refreshes/s | refresh p50 | refresh p99 | logins avoided per run |\n")
	p("|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n")
	cutOff := false
	for _, r := range rows {
		exp, share := "–", "–"
		if r.replays {
			exp = fmtMS(r.expP99)
			if r.ttlD > 0 {
				share = fmt.Sprintf("%.3g", r.expP99/float64(r.ttlD.Milliseconds()))
			}
			if r.expP99 > 0 && r.ttlD.Seconds() >= r.runS && r.runS > 0 {
				exp += " (cut off by the run)"
				cutOff = true
			}
		}
		rps, r50, r99 := "–", "–", "–"
		if r.refreshes > 0 {
			rps, r50, r99 = sig3(r.refreshesPerS), fmtNS(r.refreshP50), fmtNS(r.refreshP99)
		}
		p("| %s | %s | %s | %.3g s | %s | %s | %s | %s | %s | %s | %s |\n", cell(pointLabel(r.point)), r.backend, orDash(r.ttl), r.runS, exp, share,
			sig3(r.loginsPerS), rps, r50, r99, r.avoided)
	}
	p("\n")
	if cutOff {
		p("Where the token outlived the run (*cut off by the run*), no token expired: the exposure of a backend that cannot revoke is as long as the run let it be, and says nothing of token.ttl. A point with token.ttl shorter than the run measures the bound (`scenarios/revocation.yaml` sweeps it).\n\n")
	}
	if !hasRefresh(rows) {
		p("No backend refreshed a token in this run: refresh rate and cost are not measured (jwt-refresh with a token.ttl shorter than the run measures them).\n\n")
	}
}

func hasRefresh(rows []expiryRow) bool {
	for _, r := range rows {
		if r.refreshes > 0 {
			return true
		}
	}
	return false
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func writeStorage(p func(string, ...any), s *results.Summary) {
	p("### Where does the client keep the token? (client-side storage)\n\n")
	type key struct{ backend, transport, cred string }
	type agg struct {
		sent, recv                 []float64
		attempts, attached, accept int64
		refusedCSRF, refusedAuth   int64
		csrf                       bool
	}
	rows := map[key]*agg{}
	var order []key
	for _, r := range s.Runs {
		h := r.HTTP
		if h == nil {
			continue
		}
		k := key{r.Backend, h.Transport, h.Credential}
		if h.H2 {
			k.transport += " h2"
		}
		if h.SameSite != "" {
			k.cred += " (SameSite=" + h.SameSite + ")"
		}
		if h.CSRFDefence {
			k.cred += ", CSRF defence"
		}
		a := rows[k]
		if a == nil {
			a = &agg{}
			rows[k] = a
			order = append(order, k)
		}
		a.sent = append(a.sent, h.BytesSentPerRequest)
		a.recv = append(a.recv, h.BytesReceivedPerRequest)
		if c := h.CSRF; c != nil {
			a.csrf = true
			a.attempts += c.Attempts
			a.attached += c.CookieAttached
			a.accept += c.Accepted
			a.refusedCSRF += c.RefusedCSRF
			a.refusedAuth += c.RefusedAuth
		}
	}
	if len(order) == 0 {
		p("Not measured in this run: every run was in-process, so no credential crossed a wire in a header or a cookie. `scenarios/http.yaml` measures it (`authbench run scenarios/http.yaml`: loopback HTTP and HTTPS servers, the credential in a bearer header or a cookie, and a CSRF attacker); the README's section *Over the wire: HTTP, HTTPS, header or cookie, CSRF* explains the set-up.\n\n")
		return
	}
	sort.SliceStable(order, func(i, j int) bool {
		a, b := order[i], order[j]
		if a.backend != b.backend {
			return a.backend < b.backend
		}
		if a.transport != b.transport {
			return a.transport < b.transport
		}
		return a.cred < b.cred
	})
	p("The runs over HTTP measured what each placement costs on the wire and whether a forged cross-site request got through. Bytes per request are counted on the socket, both directions, medians over runs; the CSRF attacker sends state-changing requests from another site without the CSRF token, with the victim's cookie when a browser would attach it.\n\n")
	p("| backend | transport | credential in | bytes sent/request | bytes received/request | CSRF attempts | cookie attached | forged changes accepted | refused (CSRF check) | refused (no credential) |\n")
	p("|---|---|---|--:|--:|--:|--:|--:|--:|--:|\n")
	for _, k := range order {
		a := rows[k]
		csrf := "– | – | – | – | –"
		if a.csrf {
			acc := fmtInt(a.accept)
			if a.accept > 0 {
				acc = "**" + acc + "**"
			}
			csrf = fmt.Sprintf("%s | %s | %s | %s | %s", fmtInt(a.attempts), fmtInt(a.attached), acc, fmtInt(a.refusedCSRF), fmtInt(a.refusedAuth))
		}
		p("| %s | %s | %s | %s | %s | %s |\n", k.backend, k.transport, cell(k.cred), sig3(median(a.sent)), sig3(median(a.recv)), csrf)
	}
	p("\nNot measured, because a benchmark cannot: where a browser script can read the token. A token in `localStorage` or a non-HttpOnly cookie is readable by any script injected into the page (XSS); an HttpOnly cookie is not, but the browser sends it on cross-site requests unless SameSite or a CSRF check stops them — the last columns above.\n\n")
}
