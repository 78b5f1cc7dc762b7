package results

import (
	"fmt"
	"strconv"
)

// DefaultMaxErrorShare is max_error_share when a summary does not say.
const DefaultMaxErrorShare = 0.001

// MaxErrorShareOf is the summary's max_error_share, or the default.
func MaxErrorShareOf(s *Summary) float64 {
	if s.MaxErrorShare != nil {
		return *s.MaxErrorShare
	}
	return DefaultMaxErrorShare
}

// nodesOf is the number of validator nodes of a run.
func nodesOf(r *Run) int {
	if k, err := strconv.Atoi(r.Params["cluster.nodes"]); err == nil {
		return k
	}
	return 1
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func pct(share float64) string { return strconv.FormatFloat(share*100, 'g', 3, 64) + "%" }

// Attention lists what a user must act on after a run — the reasons for
// exit status 3: an operation failing more often than max_error_share, a
// false accept on a backend that promises immediate revocation, an attack
// of the catalogue accepted by a token backend, a store
// failure that ended validations (a second in which every validation
// failed). A few errors below the limit are warnings, not this.
func Attention(s *Summary) []string {
	limit := MaxErrorShareOf(s)
	info := map[string]BackendInfo{}
	for _, b := range s.Backends {
		info[b.Name] = b
	}
	var out []string
	// Error shares are per operation over the whole run folder: one
	// logout time-out among thousands is a warning, not a failed bench.
	failed, total := map[string]int64{}, map[string]int64{}
	for i := range s.Runs {
		r := &s.Runs[i]
		for _, op := range Ops {
			n := r.Ops[op].Errors
			if op == OpValidate {
				n = max(n, r.Outcomes.Errors)
			}
			failed[op] += n
			total[op] += r.Ops[op].Count
		}
	}
	above := func(n, of int64) bool { return n > 0 && float64(n) > limit*float64(max(of, 1)) }
	for _, op := range Ops {
		if n := failed[op]; above(n, total[op]) {
			out = append(out, fmt.Sprintf("%s of %s %s operations failed (%s), above max_error_share %s", itoa(n), itoa(total[op]), op, pct(float64(n)/float64(max(total[op], 1))), pct(limit)))
		}
	}
	// One backend failing often must not hide behind the others' volume;
	// a handful of failures (under minFailures) is a warning.
	const minFailures = 10
	type key struct{ backend, op string }
	bFailed, bTotal := map[key]int64{}, map[key]int64{}
	var keys []key
	for i := range s.Runs {
		r := &s.Runs[i]
		for _, op := range Ops {
			k := key{r.Backend, op}
			if _, seen := bTotal[k]; !seen {
				keys = append(keys, k)
			}
			n := r.Ops[op].Errors
			if op == OpValidate {
				n = max(n, r.Outcomes.Errors)
			}
			bFailed[k] += n
			bTotal[k] += r.Ops[op].Count
		}
	}
	for _, k := range keys {
		if n := bFailed[k]; n >= minFailures && above(n, bTotal[k]) && !above(failed[k.op], total[k.op]) {
			out = append(out, fmt.Sprintf("%s: %s of %s %s operations failed (%s), above max_error_share %s", k.backend, itoa(n), itoa(bTotal[k]), k.op, pct(float64(n)/float64(max(bTotal[k], 1))), pct(limit)))
		}
	}
	out = append(out, integrityAttention(s)...)
	for i := range s.Runs {
		r := &s.Runs[i]
		where := fmt.Sprintf("run %s (%s, repeat %d)", r.ID, r.Backend, r.Repeat)
		bi := info[r.Backend]
		if bi.ImmediateRevocation && r.Outcomes.FalseAccepts > 0 && !(bi.NodeLocal && nodesOf(r) > 1) {
			out = append(out, fmt.Sprintf("%s: %s false accepts on a backend that promises immediate revocation", where, itoa(r.Outcomes.FalseAccepts)))
		}
		for _, sec := range r.Timeline {
			if sec.Errors > 0 && sec.Errors >= sec.Validations {
				out = append(out, fmt.Sprintf("%s: in second %d every validation failed (%s errors): the store stopped answering", where, sec.T, itoa(sec.Errors)))
				break
			}
		}
	}
	return out
}
