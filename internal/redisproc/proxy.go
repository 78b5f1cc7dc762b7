package redisproc

import (
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"time"
)

// Proxy is a TCP proxy on loopback between Redis clients and one Redis
// address that holds every byte for a while in each direction: the network
// of a store in another rack or zone, reproduced on one machine.
//
// The delay is per chunk (what one read returns), measured from the moment
// the chunk arrived, so a chunk that waited behind another is not delayed
// twice: each direction is a delay line, not a queue of sleeps. Chunks
// keep their order, as on a TCP connection, so with jitter a chunk never
// overtakes the one before it.
//
// Go's own timers sleep to the millisecond when the process is idle (the
// runtime's poller waits in whole milliseconds), far too coarse for
// 0.1 ms; on Linux each direction waits on a timerfd through the poller
// instead, which wakes within about 10 µs (see delay_linux.go).
//
// Connection set-up is not delayed: clients keep pooled connections, and a
// run measures requests, not dials.
type Proxy struct {
	ln       net.Listener
	upstream string
	oneWay   time.Duration // half the added round trip
	spread   time.Duration // half the jitter: each direction varies by ±spread

	mu     sync.Mutex
	links  map[*link]struct{}
	closed bool
	down   bool // Cut: every connection is reset at once
	wg     sync.WaitGroup
}

// StartProxy listens on a free loopback port and forwards each connection
// to upstream, adding latency to every round trip (half on the way there,
// half on the way back), varied by up to ±jitter/2 in each direction.
// With both zero it forwards without holding anything.
func StartProxy(upstream string, latency, jitter time.Duration) (*Proxy, error) {
	if latency < 0 || jitter < 0 {
		return nil, fmt.Errorf("proxy: latency %v and jitter %v must not be negative", latency, jitter)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("proxy: %w", err)
	}
	p := &Proxy{
		ln: ln, upstream: upstream,
		oneWay: latency / 2, spread: jitter / 2,
		links: map[*link]struct{}{},
	}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// Addr is the address clients dial instead of the upstream.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Upstream is the address the proxy forwards to.
func (p *Proxy) Upstream() string { return p.upstream }

// Reset drops every open connection with a TCP reset, both towards the
// client and towards Redis, as a failing switch or a restarted load
// balancer would; new connections are accepted as before. It returns how
// many connections it dropped.
func (p *Proxy) Reset() int {
	p.mu.Lock()
	links := make([]*link, 0, len(p.links))
	for l := range p.links {
		links = append(links, l)
	}
	p.mu.Unlock()
	for _, l := range links {
		l.reset()
	}
	return len(links)
}

// Cut resets every open connection and every new one until Restore: a
// network that drops all traffic to Redis, as toxiproxy's reset_peer toxic
// with no timeout does. Clients see "connection reset by peer", and their
// retries fail too.
func (p *Proxy) Cut() {
	p.mu.Lock()
	p.down = true
	p.mu.Unlock()
	p.Reset()
}

// Restore ends a Cut: new connections are forwarded again.
func (p *Proxy) Restore() {
	p.mu.Lock()
	p.down = false
	p.mu.Unlock()
}

// Open is the number of connections the proxy is forwarding.
func (p *Proxy) Open() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.links)
}

// Close stops accepting, drops every open connection and waits until every
// goroutine of the proxy has ended.
func (p *Proxy) Close() error {
	p.mu.Lock()
	if p.closed {
		p.mu.Unlock()
		return nil
	}
	p.closed = true
	p.mu.Unlock()
	err := p.ln.Close()
	p.Reset()
	p.wg.Wait()
	return err
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return // closed
		}
		p.wg.Add(1)
		go p.serve(c.(*net.TCPConn))
	}
}

// dialTimeout bounds the proxy's own dial to Redis. A dead Redis refuses
// at once on loopback; the bound is for a paused one, whose listen
// backlog still accepts.
const dialTimeout = 5 * time.Second

func (p *Proxy) serve(client *net.TCPConn) {
	defer p.wg.Done()
	p.mu.Lock()
	down := p.down
	p.mu.Unlock()
	if down {
		client.SetLinger(0)
		client.Close()
		return
	}
	c, err := net.DialTimeout("tcp", p.upstream, dialTimeout)
	if err != nil {
		// The client sees a reset, as it would if it had dialled Redis
		// directly and been refused.
		client.SetLinger(0)
		client.Close()
		return
	}
	l := &link{client: client, upstream: c.(*net.TCPConn)}
	for _, tc := range []*net.TCPConn{l.client, l.upstream} {
		// Redis replies are small: Nagle would add delay of its own.
		tc.SetNoDelay(true)
	}
	p.mu.Lock()
	if p.closed || p.down {
		p.mu.Unlock()
		l.reset()
		return
	}
	p.links[l] = struct{}{}
	p.mu.Unlock()

	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		p.forward(l, l.upstream, l.client)
	}()
	p.forward(l, l.client, l.upstream)
	wg.Wait()
	l.close()
	p.mu.Lock()
	delete(p.links, l)
	p.mu.Unlock()
}

// link is one proxied connection: the client's side and Redis's side.
type link struct {
	client, upstream *net.TCPConn
	once             sync.Once
}

// reset closes both sides with RST (SO_LINGER 0): unsent data is dropped
// and both peers get "connection reset by peer".
func (l *link) reset() {
	l.once.Do(func() {
		l.client.SetLinger(0)
		l.upstream.SetLinger(0)
		l.client.Close()
		l.upstream.Close()
	})
}

// close closes both sides normally (after both directions ended).
func (l *link) close() {
	l.once.Do(func() {
		l.client.Close()
		l.upstream.Close()
	})
}

// forward copies src to dst until src ends, then half-closes dst so the
// peer sees the end too. A failure in either direction resets the link,
// which ends the other direction as well.
func (p *Proxy) forward(l *link, dst, src *net.TCPConn) {
	var err error
	if p.oneWay == 0 && p.spread == 0 {
		// Nothing to hold: the kernel copies (splice on Linux).
		_, err = io.Copy(dst, src)
	} else {
		err = p.delayLine(dst, src)
	}
	if err != nil {
		l.reset()
		return
	}
	dst.CloseWrite()
}

// chunk is one read from src, due for writing to dst at due.
type chunk struct {
	buf *[]byte
	n   int
	due time.Time
}

// chunkSize is the largest read; Redis commands and replies of authbench
// are a few hundred bytes, a SCAN reply a few kilobytes.
const chunkSize = 32 << 10

var chunkPool = sync.Pool{New: func() any { b := make([]byte, chunkSize); return &b }}

// queueLen bounds the chunks in flight in one direction; a full queue
// stops reading, and TCP flow control pushes back on the sender.
const queueLen = 256

// delayLine forwards src to dst, each chunk written when it is due. A
// reader goroutine stamps chunks as they arrive; this goroutine writes
// them. It returns nil when src ended cleanly and everything read was
// written, else the first error.
func (p *Proxy) delayLine(dst, src *net.TCPConn) error {
	w, err := newWaiter()
	if err != nil {
		return err
	}
	defer w.close()
	q := make(chan chunk, queueLen)
	readErr := make(chan error, 1)
	go func() {
		defer close(q)
		var last time.Time
		for {
			b := chunkPool.Get().(*[]byte)
			n, err := src.Read(*b)
			if n > 0 {
				due := time.Now().Add(p.delay())
				if due.Before(last) {
					due = last // never overtake the chunk before
				}
				last = due
				q <- chunk{buf: b, n: n, due: due}
			} else {
				chunkPool.Put(b)
			}
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				return
			}
		}
	}()
	var writeErr error
	for c := range q {
		if writeErr == nil {
			if d := time.Until(c.due); d > 0 {
				writeErr = w.sleep(d)
			}
			if writeErr == nil {
				_, writeErr = dst.Write((*c.buf)[:c.n])
			}
			if writeErr != nil {
				// Unblock the reader; keep draining so it can finish.
				src.SetLinger(0)
				src.Close()
			}
		}
		chunkPool.Put(c.buf)
	}
	return errors.Join(writeErr, <-readErr)
}

// delay is one chunk's one-way delay: oneWay ± spread, never negative.
func (p *Proxy) delay() time.Duration {
	d := p.oneWay
	if p.spread > 0 {
		d += time.Duration(rand.Int64N(int64(2*p.spread)+1)) - p.spread
	}
	return max(d, 0)
}
