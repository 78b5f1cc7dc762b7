// Package load is authbench's load engine: virtual clients drive validator
// nodes in-process while a revoker logs users out and an attacker replays
// revoked credentials, and every answer is checked against the ground truth.
//
// Design positions, each of which the tests check:
//
//   - Closed model: Clients goroutines, each sending its next request when the
//     previous one returns (after an optional think time). Latency is measured
//     from the actual start of each request.
//   - Open model: request n is due at start + n/rate, never "previous +
//     interval", so sleep jitter does not accumulate; latency is measured from
//     the intended start, so a stalled backend shows its stall in the
//     percentiles instead of hiding it (coordinated omission). The latency
//     from the actual start (service time) is kept beside it. Clients bounds
//     the requests in flight; requests that start late are counted, and those
//     still due when the run ends are counted as missed.
//   - Every worker records into its own HDR histograms (1 ns .. 1 h, 3
//     significant digits) and counters; they are merged once, at the end. The
//     per-request path takes no lock and does not allocate; the only shared
//     write is an atomic counter in the open model's pacer and on the
//     security events (a revoked credential accepted).
//   - Ground truth: the engine knows for every validation whether the
//     credential was valid, revoked or expired when the request started and
//     when it ended; a validation that overlaps a revocation or an expiry
//     (leeway included) is "undecided" and is never counted as a false
//     accept or a false reject. Backends never report their own correctness.
//   - Warm-up runs the full load but records nothing.
package load
