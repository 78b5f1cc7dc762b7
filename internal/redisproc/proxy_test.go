package redisproc

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
)

// echoServer echoes every connection back on loopback until the test ends.
func echoServer(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				io.Copy(c, c)
			}()
		}
	}()
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	return ln.Addr().String()
}

func startProxy(t *testing.T, upstream string, latency, jitter time.Duration) *Proxy {
	t.Helper()
	p, err := StartProxy(upstream, latency, jitter)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := p.Close(); err != nil {
			t.Errorf("proxy Close: %v", err)
		}
	})
	return p
}

func dialProxy(t *testing.T, p *Proxy) net.Conn {
	t.Helper()
	c, err := net.Dial("tcp", p.Addr())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestProxyDelaysEachRoundTrip checks the injected round trip is never
// shorter than asked, and that messages sent in a row are each delayed
// from their own arrival (a delay line), not one after the other (a queue
// of sleeps, where the k-th message would wait k times the latency).
func TestProxyDelaysEachRoundTrip(t *testing.T) {
	t.Parallel()
	const (
		latency = 60 * time.Millisecond
		n       = 20
	)
	p := startProxy(t, echoServer(t), latency, 0)
	c := dialProxy(t, p)

	var sent [n]atomic.Int64 // UnixNano; written before the byte leaves
	go func() {
		for i := range n {
			sent[i].Store(time.Now().UnixNano())
			if _, err := c.Write([]byte{byte(i)}); err != nil {
				return
			}
			time.Sleep(time.Millisecond) // separate chunks
		}
	}()
	var b [1]byte
	for i := range n {
		if _, err := io.ReadFull(c, b[:]); err != nil {
			t.Fatal(err)
		}
		rtt := time.Since(time.Unix(0, sent[b[0]].Load()))
		if int(b[0]) != i {
			t.Fatalf("echo %d arrived as number %d: out of order", b[0], i)
		}
		if rtt < latency {
			t.Errorf("message %d came back after %v, less than the injected %v", i, rtt, latency)
		}
		// A queue of sleeps would give message i a round trip of about
		// (i+1)·latency; the bound leaves 4 latencies of scheduling noise.
		if i == n-1 && rtt > 5*latency {
			t.Errorf("last message came back after %v: delays add up instead of overlapping (latency %v)", rtt, latency)
		}
	}
}

// TestProxyJitterKeepsTheStream sends a numbered stream through a jittery
// proxy: every byte must come back, in order.
func TestProxyJitterKeepsTheStream(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t), 2*time.Millisecond, 2*time.Millisecond)
	c := dialProxy(t, p)
	var want bytes.Buffer
	for i := range 2000 {
		fmt.Fprintf(&want, "%d,", i)
	}
	go func() {
		data := want.Bytes()
		for len(data) > 0 {
			k := min(len(data), 37) // many small chunks, each with its own delay
			if _, err := c.Write(data[:k]); err != nil {
				return
			}
			data = data[k:]
		}
	}()
	got := make([]byte, want.Len())
	c.SetReadDeadline(time.Now().Add(30 * time.Second))
	if _, err := io.ReadFull(c, got); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want.Bytes()) {
		t.Fatal("the stream came back altered: chunks overtook each other or were lost")
	}
}

func TestProxyDelayBounds(t *testing.T) {
	t.Parallel()
	p := &Proxy{oneWay: time.Millisecond, spread: 500 * time.Microsecond}
	lo, hi := time.Hour, time.Duration(0)
	for range 10000 {
		d := p.delay()
		lo, hi = min(lo, d), max(hi, d)
	}
	if lo < 500*time.Microsecond || hi > 1500*time.Microsecond {
		t.Errorf("delays span [%v, %v], want within [500µs, 1.5ms]", lo, hi)
	}
	if lo > 600*time.Microsecond || hi < 1400*time.Microsecond {
		t.Errorf("delays span [%v, %v]: jitter does not reach its bounds", lo, hi)
	}
	if _, err := StartProxy("127.0.0.1:1", -time.Millisecond, 0); err == nil {
		t.Error("negative latency accepted")
	}
}

// TestProxyHalfClose checks that the end of a stream is forwarded after
// the data still in the delay line, not before it.
func TestProxyHalfClose(t *testing.T) {
	t.Parallel()
	p := startProxy(t, echoServer(t), 20*time.Millisecond, 0)
	c := dialProxy(t, p)
	if _, err := c.Write([]byte("bye")); err != nil {
		t.Fatal(err)
	}
	c.(*net.TCPConn).CloseWrite()
	got, err := io.ReadAll(c)
	if err != nil || string(got) != "bye" {
		t.Fatalf("read %q, %v; want \"bye\" then EOF", got, err)
	}
}

// TestNetworkRedis runs commands and pub/sub through a Network in front of
// a real redis-server, then cuts it: commands fail while it is cut and
// work again after Restore.
func TestNetworkRedis(t *testing.T) {
	s := needServer(t)
	const latency = 4 * time.Millisecond
	nw := NewNetwork(latency, 0)
	defer nw.Close()
	cfg := backends.RedisConfig{Timeout: time.Second, Latency: latency}
	client, err := newClient(s.URL(), cfg, nw.Dial)
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()

	start := time.Now()
	if err := client.Set(ctx, "k", "v", time.Minute).Err(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < latency {
		t.Errorf("SET through the proxy took %v, less than the injected %v", d, latency)
	}
	if ps := nw.Proxies(); len(ps) != 1 || ps[0].Upstream() != s.Addr() {
		t.Fatalf("proxies = %v, want one in front of %s", ps, s.Addr())
	}

	sub := client.Subscribe(ctx, "ch")
	defer sub.Close()
	if _, err := sub.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	if err := client.Publish(ctx, "ch", "hello").Err(); err != nil {
		t.Fatal(err)
	}
	msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
	if m, ok := msg.(*redis.Message); err != nil || !ok || m.Payload != "hello" {
		t.Fatalf("pub/sub through the proxy: %v, %v", msg, err)
	}
	if open := nw.Proxies()[0].Open(); open < 2 {
		t.Errorf("%d connections through the proxy, want the command pool's and the subscriber's", open)
	}

	nw.Cut()
	if err := client.Get(ctx, "k").Err(); err == nil {
		t.Error("GET succeeded while the network was cut")
	} else if errors.Is(err, redis.Nil) {
		t.Errorf("GET while cut: %v, want a network error", err)
	}
	nw.Restore()
	if v, err := client.Get(ctx, "k").Result(); err != nil || v != "v" {
		t.Errorf("GET after Restore = %q, %v", v, err)
	}
}

// TestConnectLatency checks that Connect puts the proxy in when
// redis.latency is set and takes it down on Close.
func TestConnectLatency(t *testing.T) {
	needServer(t)
	t.Setenv("REDIS_URL", "")
	c, err := Connect(context.Background(), backends.RedisConfig{Latency: 2 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if c.Network == nil || len(c.Network.Proxies()) != 1 {
		c.Close()
		t.Fatal("Connect with redis.latency did not dial through a proxy")
	}
	p := c.Network.Proxies()[0]
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := net.DialTimeout("tcp", p.Addr(), time.Second); err == nil {
		t.Error("proxy still listening after Close")
	}
}
