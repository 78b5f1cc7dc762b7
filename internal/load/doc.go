// Package load is authbench's load engine: virtual clients drive validator
// nodes in-process while a revoker logs users out and an attacker replays
// revoked credentials, and every answer is checked against the ground truth.
//
// Design positions, each of which the tests check:
//
//   - Closed model: Clients goroutines, each sending its next request when the
//     previous one returns (after an optional think time). Latency is measured
//     from the actual start of each request, after the renewal of its
//     credential if it needed one (the renewal is measured on its own).
//   - Open model: request n is due at start + n/rate, never "previous +
//     interval", so sleep jitter does not accumulate (see schedule). One
//     dispatcher waits for the due times and hands each request to an idle
//     worker; Clients bounds the requests in flight. Latency is measured
//     from the intended start, so a stalled backend shows its stall in the
//     percentiles instead of hiding it (coordinated omission); the latency
//     from the actual start (service time) is kept beside it. Requests that
//     start late are counted; those due in the measured period but not
//     started within it are missed, never started after it. The achieved
//     rate is the requests started in the period over its length.
//   - The end: a run ends within Config.Grace after its measured period.
//     Requests still in flight then are cancelled (Outcomes.Cancelled) or,
//     if the backend ignores cancellation, abandoned (Result.Abandoned);
//     Run returns what was measured either way.
//   - Time: the engine reads and waits for time only through its Clock,
//     so tests run it on virtual time (testing/synctest).
//   - Every worker records into its own HDR histograms (1 ns .. 1 h, 3
//     significant digits) and counters; they are merged once, at the end. The
//     per-request path takes no lock of its own and does not allocate; its
//     shared writes are the open model's hand-off (one operation on an
//     unbuffered channel from the dispatcher), an atomic phase around each
//     backend call (so a stuck worker can be abandoned at the end) and the
//     security events (a revoked credential accepted).
//   - Ground truth: the engine knows for every validation whether the
//     credential was valid, revoked or expired when the request started and
//     when it ended; a validation that overlaps a revocation or an expiry
//     (leeway included) is "undecided" and is never counted as a false
//     accept or a false reject. Backends never report their own correctness.
//   - Warm-up runs the full load but records nothing.
package load
