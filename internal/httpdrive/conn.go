package httpdrive

import (
	"context"
	"crypto/tls"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// wireConn counts the bytes that cross the socket: request and response
// headers, bodies, and in https mode the TLS records and handshakes.
type wireConn struct {
	net.Conn
	d          *dialer
	sent, recv atomic.Int64 // written by the conn's user, read by snapshots
	closed     atomic.Bool
}

func (c *wireConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.recv.Add(int64(n))
	return n, err
}

func (c *wireConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.sent.Add(int64(n))
	return n, err
}

func (c *wireConn) Close() error {
	if c.closed.CompareAndSwap(false, true) {
		c.d.retire(c)
	}
	return c.Conn.Close()
}

// dialer opens every connection of one client, TLS included, and keeps
// the counts: connections, full handshakes and resumptions with their
// time, bytes per direction.
type dialer struct {
	addr string
	tls  *tls.Config // nil: plain HTTP
	net  net.Dialer

	mu                   sync.Mutex
	live                 map[*wireConn]struct{}
	doneSent, doneRecv   int64 // bytes of closed connections
	conns                int64
	handshakes, resumed  int64
	fullNs, resumedNs    int64
	handshakeErrs, dialE int64
}

func newDialer(addr string, tlsCfg *tls.Config) *dialer {
	return &dialer{addr: addr, tls: tlsCfg, live: map[*wireConn]struct{}{}, net: net.Dialer{Timeout: 5 * time.Second}}
}

func (d *dialer) retire(c *wireConn) {
	d.mu.Lock()
	delete(d.live, c)
	d.doneSent += c.sent.Load()
	d.doneRecv += c.recv.Load()
	d.mu.Unlock()
}

// dial opens a TCP connection and, in https mode, completes the TLS
// handshake on it, offering protos by ALPN. resume false makes it a full
// handshake even when a session ticket is at hand.
func (d *dialer) dial(ctx context.Context, protos []string, resume bool) (net.Conn, error) {
	raw, err := d.net.DialContext(ctx, "tcp", d.addr)
	if err != nil {
		d.mu.Lock()
		d.dialE++
		d.mu.Unlock()
		return nil, err
	}
	if tc, ok := raw.(*net.TCPConn); ok {
		tc.SetNoDelay(true)
	}
	wc := &wireConn{Conn: raw, d: d}
	d.mu.Lock()
	d.live[wc] = struct{}{}
	d.conns++
	d.mu.Unlock()
	if d.tls == nil {
		return wc, nil
	}
	cfg := d.tls.Clone()
	cfg.NextProtos = protos
	if !resume {
		cfg.ClientSessionCache = nil
	}
	if cfg.ServerName == "" {
		host, _, _ := net.SplitHostPort(d.addr)
		cfg.ServerName = host
	}
	tc := tls.Client(wc, cfg)
	t0 := time.Now()
	err = tc.HandshakeContext(ctx)
	took := int64(time.Since(t0))
	d.mu.Lock()
	if err != nil {
		d.handshakeErrs++
	} else if tc.ConnectionState().DidResume {
		d.resumed++
		d.resumedNs += took
	} else {
		d.handshakes++
		d.fullNs += took
	}
	d.mu.Unlock()
	if err != nil {
		tc.Close()
		return nil, err
	}
	return tc, nil
}

// wire is a snapshot of the dialer's counts.
type wire struct {
	sent, recv          int64
	conns               int64
	handshakes, resumed int64
	fullNs, resumedNs   int64
	handshakeErrs, dial int64
}

func (d *dialer) snapshot() wire {
	d.mu.Lock()
	defer d.mu.Unlock()
	w := wire{sent: d.doneSent, recv: d.doneRecv, conns: d.conns, handshakes: d.handshakes, resumed: d.resumed,
		fullNs: d.fullNs, resumedNs: d.resumedNs, handshakeErrs: d.handshakeErrs, dial: d.dialE}
	for c := range d.live {
		w.sent += c.sent.Load()
		w.recv += c.recv.Load()
	}
	return w
}

func (w wire) minus(o wire) wire {
	return wire{sent: w.sent - o.sent, recv: w.recv - o.recv, conns: w.conns - o.conns,
		handshakes: w.handshakes - o.handshakes, resumed: w.resumed - o.resumed,
		fullNs: w.fullNs - o.fullNs, resumedNs: w.resumedNs - o.resumedNs,
		handshakeErrs: w.handshakeErrs - o.handshakeErrs, dial: w.dial - o.dial}
}
