package redisproc

import (
	"context"
	"errors"
	"net"
	"sync"
	"time"
)

// Network puts a Proxy in front of every Redis address a client dials: one
// proxy per address, started on the first dial. Its Dial is go-redis's
// Dialer hook, so every connection goes through it, pub/sub connections
// and the nodes a cluster client discovers by itself included.
type Network struct {
	latency, jitter time.Duration

	mu      sync.Mutex
	proxies map[string]*Proxy // by upstream address
	closed  bool
	down    bool // cut: proxies started now start cut
	dialer  net.Dialer
}

// NewNetwork returns a network adding latency (a round trip) and jitter
// to every connection dialled through it.
func NewNetwork(latency, jitter time.Duration) *Network {
	return &Network{latency: latency, jitter: jitter, proxies: map[string]*Proxy{}}
}

// errNetworkClosed is what a dial through a closed Network returns.
var errNetworkClosed = errors.New("redis network proxy closed")

// Dial connects to addr through its proxy.
func (n *Network) Dial(ctx context.Context, network, addr string) (net.Conn, error) {
	if network != "tcp" && network != "tcp4" && network != "tcp6" {
		// A unix socket has no network to delay; refusing beats
		// silently measuring without the latency the scenario asked for.
		return nil, &net.OpError{Op: "dial", Net: network, Err: errors.New("redis.latency and redis.jitter need a TCP address")}
	}
	p, err := n.proxy(addr)
	if err != nil {
		return nil, err
	}
	return n.dialer.DialContext(ctx, "tcp", p.Addr())
}

func (n *Network) proxy(addr string) (*Proxy, error) {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.closed {
		return nil, errNetworkClosed
	}
	if p, ok := n.proxies[addr]; ok {
		return p, nil
	}
	p, err := StartProxy(addr, n.latency, n.jitter)
	if err != nil {
		return nil, err
	}
	if n.down {
		p.Cut()
	}
	n.proxies[addr] = p
	return p, nil
}

// Reset drops every connection through every proxy (Proxy.Reset) and
// returns how many it dropped.
func (n *Network) Reset() int {
	total := 0
	for _, p := range n.list() {
		total += p.Reset()
	}
	return total
}

// Cut cuts every proxy (Proxy.Cut), those started later included, until
// Restore.
func (n *Network) Cut() {
	n.mu.Lock()
	n.down = true
	n.mu.Unlock()
	for _, p := range n.list() {
		p.Cut()
	}
}

// Restore ends a Cut.
func (n *Network) Restore() {
	n.mu.Lock()
	n.down = false
	n.mu.Unlock()
	for _, p := range n.list() {
		p.Restore()
	}
}

// Proxies is the proxies started so far.
func (n *Network) Proxies() []*Proxy { return n.list() }

func (n *Network) list() []*Proxy {
	n.mu.Lock()
	defer n.mu.Unlock()
	ps := make([]*Proxy, 0, len(n.proxies))
	for _, p := range n.proxies {
		ps = append(ps, p)
	}
	return ps
}

// Close closes every proxy; later dials fail.
func (n *Network) Close() error {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	var err error
	for _, p := range n.list() {
		err = errors.Join(err, p.Close())
	}
	return err
}
