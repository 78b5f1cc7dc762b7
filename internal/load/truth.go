package load

import (
	"sync/atomic"

	"github.com/authbench/authbench/backends"
)

// cred is one credential handed out during a run and everything the engine
// needs to judge the answers given about it. Times are nanoseconds on the
// run's monotonic clock (see clock).
type cred struct {
	backends.Credential
	user    int
	expires int64 // 0: never

	// revokeStart is set just before the revoker calls Revoke, revokedAt
	// when Revoke has returned without error. A failed revocation leaves
	// revokedAt at 0: the credential's state is unknown from then on.
	revokeStart atomic.Int64
	revokedAt   atomic.Int64

	// renewing is held by the one client that refreshes the credential.
	renewing atomic.Bool

	// Security events, written only when a revoked credential is replayed
	// or accepted: off the common path.
	replayed     atomic.Bool
	lastAccepted atomic.Int64 // latest start of an accepted request at or after revokedAt
}

// expectation is what the answer to a validation should have been.
type expectation uint8

const (
	expectValid expectation = iota
	expectRevoked
	expectExpired
	// expectEither: the request overlapped a revocation or an expiry, so
	// accepting and refusing are both right.
	expectEither
)

// expect judges a validation of c that ran from start to end. It is called
// after the answer came back, so a revocation that began while the request
// was in flight is seen.
func (c *cred) expect(start, end, leeway int64) expectation {
	if rs := c.revokeStart.Load(); rs != 0 && rs <= end {
		if rc := c.revokedAt.Load(); rc != 0 && rc <= start {
			return expectRevoked
		}
		return expectEither
	}
	if c.expires != 0 {
		if start > c.expires+leeway {
			return expectExpired
		}
		if end > c.expires {
			return expectEither
		}
	}
	return expectValid
}

// noteAccepted records that c was accepted in a request that started at
// start, for the exposure window.
func (c *cred) noteAccepted(start int64) {
	rc := c.revokedAt.Load()
	if rc == 0 || start < rc {
		return
	}
	for {
		last := c.lastAccepted.Load()
		if start <= last || c.lastAccepted.CompareAndSwap(last, start) {
			return
		}
	}
}

// revokedRing holds the most recent revoked credentials for the attacker.
// The revoker is its only writer; clients read it without locks.
type revokedRing struct {
	slots []atomic.Pointer[cred]
	n     atomic.Int64 // credentials pushed so far
}

func newRevokedRing(size int) *revokedRing {
	return &revokedRing{slots: make([]atomic.Pointer[cred], size)}
}

func (r *revokedRing) push(c *cred) {
	n := r.n.Load()
	r.slots[n%int64(len(r.slots))].Store(c)
	r.n.Store(n + 1)
}

// pick chooses a revoked credential: half of the time the most recent one
// (revoked milliseconds ago), otherwise one at random among those kept, so
// both fresh and old revocations are replayed. It returns nil when nothing
// has been revoked yet.
func (r *revokedRing) pick(coin uint64, idx uint64) *cred {
	n := r.n.Load()
	if n == 0 {
		return nil
	}
	kept := min(n, int64(len(r.slots)))
	if coin&1 == 0 {
		return r.slots[(n-1)%int64(len(r.slots))].Load()
	}
	back := int64(idx % uint64(kept))
	return r.slots[(n-1-back)%int64(len(r.slots))].Load()
}
