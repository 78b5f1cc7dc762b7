package backends

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"hash/maphash"
	"strconv"
	"sync"
	"time"
)

func init() {
	Register(Entry{
		Info: Info{
			Name:                "session-memory",
			LoginCost:           2 * time.Microsecond,
			Family:              "session",
			Stateful:            true,
			StoreLookups:        1,
			ImmediateRevocation: true,
			NodeLocal:           true,
			Description:         "Opaque 256-bit session IDs in a sharded in-process map with expiry; logout deletes the entry. Each node has its own map, so it needs sticky routing behind a load balancer.",
		},
		New: func(env *Env) (Strategy, error) { return newMemorySessions(env), nil },
	})
}

// sessionIDBytes is the entropy of an opaque session ID (OWASP asks for at
// least 64 bits; 256 leaves no doubt).
const sessionIDBytes = 32

// memoryShards spreads the map over independent locks so that concurrent
// validations rarely wait on each other.
const memoryShards = 64

type memorySessions struct {
	ttl    time.Duration
	now    func() time.Time
	seed   maphash.Seed
	shards [memoryShards]sessionShard
}

type sessionShard struct {
	mu      sync.RWMutex
	m       map[string]session
	lookups lookupCounter // validations that read this shard (see StoreOps)
	_       [32]byte      // keep neighbouring shard locks off one cache line
}

type session struct {
	user    string
	expires int64 // unix nanoseconds
}

var (
	_ Strategy  = (*memorySessions)(nil)
	_ Sizer     = (*memorySessions)(nil)
	_ OpCounter = (*memorySessions)(nil)
)

func newMemorySessions(env *Env) *memorySessions {
	s := &memorySessions{ttl: env.Token.TTL, now: env.Clock(), seed: maphash.MakeSeed()}
	if s.ttl <= 0 {
		s.ttl = DefaultToken.TTL
	}
	for i := range s.shards {
		s.shards[i].m = make(map[string]session)
	}
	return s
}

// newSessionID returns an opaque, URL-safe random session ID.
func newSessionID() (string, error) {
	var b [sessionIDBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// maxSessionIDLen bounds what is looked up, so a huge header never reaches the map.
var maxSessionIDLen = base64.RawURLEncoding.EncodedLen(sessionIDBytes)

func (s *memorySessions) shard(id string) *sessionShard {
	return &s.shards[maphash.String(s.seed, id)%memoryShards]
}

func (s *memorySessions) Issue(_ context.Context, user string) (Credential, error) {
	id, err := newSessionID()
	if err != nil {
		return Credential{}, err
	}
	exp := s.now().Add(s.ttl)
	sh := s.shard(id)
	sh.mu.Lock()
	sh.m[id] = session{user: user, expires: exp.UnixNano()}
	sh.mu.Unlock()
	return Credential{Token: id, Subject: user, ID: id, ExpiresAt: exp}, nil
}

func (s *memorySessions) Validate(_ context.Context, token string) error {
	if len(token) != maxSessionIDLen {
		return rejectMalformed
	}
	sh := s.shard(token)
	sh.lookups.inc()
	sh.mu.RLock()
	sess, ok := sh.m[token]
	sh.mu.RUnlock()
	if !ok {
		return rejectUnknownSession
	}
	if s.now().UnixNano() >= sess.expires {
		// Expired entries are removed lazily, on the first look-up after expiry.
		sh.mu.Lock()
		if cur, ok := sh.m[token]; ok && cur.expires == sess.expires {
			delete(sh.m, token)
		}
		sh.mu.Unlock()
		return rejectExpired
	}
	return nil
}

func (s *memorySessions) Revoke(_ context.Context, c Credential) error {
	sh := s.shard(c.Token)
	sh.mu.Lock()
	delete(sh.m, c.Token)
	sh.mu.Unlock()
	return nil
}

// StoreSize counts the sessions; their bytes are measured on a probe map
// of the same shape (see heapBytes).
func (s *memorySessions) StoreSize(context.Context) (int64, int64, error) {
	var n int64
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.RLock()
		n += int64(len(sh.m))
		sh.mu.RUnlock()
	}
	bytes := heapBytes(n, maxSessionIDLen, func(i int) session {
		return session{user: "user-" + strconv.Itoa(i), expires: int64(i)}
	})
	return n, bytes, nil
}

// StoreOps counts the map look-ups of validations.
func (s *memorySessions) StoreOps() StoreOps {
	var n int64
	for i := range s.shards {
		n += s.shards[i].lookups.load()
	}
	return StoreOps{LocalLookups: n}
}

func (s *memorySessions) Close() error { return nil }
