package backends

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"
)

// Store data loss. A Redis that is flushed, restarted without persistence,
// fails over to an empty replica or evicts keys under memory pressure loses
// revocations silently: a denylist read afterwards answers "not revoked"
// for every token. A store that cannot know what it lost must fail closed,
// so every Redis backend keeps a data-loss marker beside its records:
//
//   - At open, each node writes the marker ("epoch") with SET NX: its value
//     is a cutoff, the Unix time in milliseconds at which the store's
//     current generation of records began.
//   - Every read of a record reads the marker in the same round trip (MGET,
//     a transaction or the rotation script; the marker shares the record's
//     hash tag, so this holds on a Redis Cluster too). A missing marker
//     means the store lost its data: the node writes a fresh marker with the
//     current time as cutoff (SET NX: the first node to notice wins, the
//     others read its cutoff).
//   - A credential issued before the cutoff is refused with
//     ErrStoreDataLoss, as rotating the signing key would refuse it: its
//     revocation may have been lost. Credentials issued after the cutoff
//     are judged by the records, which are complete since then.
//
// Users whose credentials are refused this way have to log in again; the
// engine counts them apart from false rejects (see LossReporter).

// ErrStoreDataLoss: the store lost its data and the credential was issued
// before the loss was noticed, so whether it was revoked is unknown. It is
// always returned wrapped in a rejection (fail closed).
var ErrStoreDataLoss = errors.New("store lost its data: credential from before the loss refused")

// LossReporter is implemented by the strategies whose store can lose its
// data (the Redis backends).
type LossReporter interface {
	// StoreLoss reports whether this node has seen its store lose data
	// since it opened (noticed the loss itself, or read the marker another
	// node rewrote), and how many validations and refreshes it refused
	// with ErrStoreDataLoss.
	StoreLoss() (lost bool, refused int64)
}

// epochTags is the number of markers: one per base64url character, the
// first character of a record's random ID choosing its marker. Records and
// their marker share a Redis Cluster hash tag ({c}), so one command reads
// both, and a cluster node that loses its data loses the markers of its
// own records with them.
const epochTags = 64

const b64URLAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"

// lossGuard keeps the markers of one node.
type lossGuard struct {
	client redis.UniversalClient
	keys   [epochTags]string
	ttl    time.Duration
	now    func() time.Time

	lost    atomic.Bool
	refused atomic.Int64
}

// newLossGuard writes the markers of namespace ns (unless they exist) with
// the current time as cutoff. ttl bounds how long they outlive the run; it
// must exceed the life of every credential the backend issues.
//
// The first node of a namespace in this process writes the run's initial
// markers. A later node (another validator of the same run) that finds
// them missing has met a loss, and declares it: otherwise its fresh
// markers would hide the loss from the nodes that opened before.
func newLossGuard(ctx context.Context, client redis.UniversalClient, ns string, now func() time.Time, ttl time.Duration) (*lossGuard, error) {
	g := &lossGuard{client: client, ttl: ttl, now: now}
	for i := range g.keys {
		g.keys[i] = ns + "epoch:{" + b64URLAlphabet[i:i+1] + "}"
	}
	_, later := markedNamespaces.LoadOrStore(marked{client, ns}, struct{}{})
	cutoff := strconv.FormatInt(now().UnixMilli(), 10)
	if later {
		cutoff = strconv.FormatInt(now().UnixMilli()+1, 10) + lossSuffix
	}
	set := make([]*redis.BoolCmd, len(g.keys))
	_, err := client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, k := range g.keys {
			set[i] = p.SetNX(ctx, k, cutoff, ttl)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("write data-loss markers: %w", err)
	}
	if later {
		for _, c := range set {
			if c.Val() {
				g.lost.Store(true)
			}
		}
	}
	return g, nil
}

// markedNamespaces holds the namespaces whose markers this process wrote,
// per client: a namespace reused on another store (a test's fresh server)
// starts afresh.
var markedNamespaces sync.Map // marked → struct{}

type marked struct {
	client redis.UniversalClient
	ns     string
}

// tag is the hash tag of a record ID: its first character, when that is a
// base64url one (IDs authbench makes always start with one).
func tag(id string) string {
	if id != "" && b64Value(id[0]) >= 0 {
		return id[:1]
	}
	return "A"
}

// key is the marker of the records tagged t.
func (g *lossGuard) key(t string) string { return g.keys[max(b64Value(t[0]), 0)] }

// cutoff reads the marker value v fetched beside a record (nil when the
// marker is gone) and returns the cutoff in Unix milliseconds. A missing
// marker is a data loss: it is declared, and the new cutoff returned.
func (g *lossGuard) cutoff(ctx context.Context, t string, v any) (int64, error) {
	ms, _, err := g.marker(ctx, t, v)
	return ms, err
}

// marker is cutoff that also says whether the marker was rewritten after a
// loss (true) or is the one written when the run began (false).
func (g *lossGuard) marker(ctx context.Context, t string, v any) (int64, bool, error) {
	s, ok := v.(string)
	if !ok {
		return g.declare(ctx, t)
	}
	num, after := strings.CutSuffix(s, lossSuffix)
	ms, err := strconv.ParseInt(num, 10, 64)
	if err != nil {
		return 0, false, fmt.Errorf("corrupt data-loss marker %q", s)
	}
	if after && !g.lost.Load() {
		// Another node noticed the loss first; this one has seen it now.
		g.lost.Store(true)
	}
	return ms, after, nil
}

// lossSuffix ends a marker rewritten after a loss.
const lossSuffix = ":lost"

// lostRecord tells whether a missing record issued at issuedMs (read from
// its ID) was lost with the store's data rather than deleted, expired or
// never issued: the store lost data after the run began, the record
// predates the cutoff and, issued less than lifetime before it, would
// still have existed. A forged ID lands there only by its chosen time.
func (g *lossGuard) lostRecord(ctx context.Context, t string, v any, issuedMs int64, lifetime time.Duration) (bool, error) {
	cutoff, after, err := g.marker(ctx, t, v)
	if err != nil {
		return false, err
	}
	return after && issuedMs < cutoff && issuedMs >= cutoff-lifetime.Milliseconds(), nil
}

// declare records that the store lost its data, writes fresh markers (all
// of them, with one cutoff: the loss is one event; SET NX keeps a marker
// another node already rewrote) and returns the cutoff of tag t. The cutoff
// is a millisecond past now, so that a credential issued in the very
// millisecond the loss was noticed is refused too.
func (g *lossGuard) declare(ctx context.Context, t string) (int64, bool, error) {
	g.lost.Store(true)
	cutoff := strconv.FormatInt(g.now().UnixMilli()+1, 10) + lossSuffix
	var get *redis.StringCmd
	want := g.key(t)
	_, err := g.client.Pipelined(ctx, func(p redis.Pipeliner) error {
		for _, k := range g.keys {
			p.SetNX(ctx, k, cutoff, g.ttl)
			if k == want {
				get = p.Get(ctx, k)
			}
		}
		return nil
	})
	if err != nil {
		return 0, false, fmt.Errorf("rewrite data-loss markers: %w", err)
	}
	return g.marker(ctx, t, get.Val())
}

// refuse counts a credential refused for the loss and returns the rejection.
func (g *lossGuard) refuse() error {
	g.refused.Add(1)
	return rejectStoreDataLoss
}

var rejectStoreDataLoss = Reject(ErrStoreDataLoss)

// StoreLoss implements LossReporter.
func (g *lossGuard) StoreLoss() (bool, int64) { return g.lost.Load(), g.refused.Load() }

// epochTTL is how long markers live: past the longest credential life, a
// day of margin (runs last minutes; the token CLI may verify later).
func epochTTL(longest time.Duration) time.Duration { return longest + 24*time.Hour }
