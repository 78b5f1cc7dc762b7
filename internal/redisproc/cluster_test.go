package redisproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
)

// clusterForTest is redistest.StartCluster (which imports this package).
func clusterForTest(t *testing.T, cfg backends.RedisConfig) *Conn {
	t.Helper()
	cl, err := StartCluster(context.Background())
	if errors.Is(err, ErrNoRedisServer) && os.Getenv("AUTHBENCH_REQUIRE_REDIS") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mode = backends.RedisCluster
	client, err := NewClient(cl.URL(), cfg)
	if err != nil {
		cl.Stop()
		t.Fatal(err)
	}
	c := &Conn{Client: client, Cluster: cl, URL: Redact(cl.URL())}
	t.Cleanup(func() { c.Close() })
	return c
}

// TestClusterSpreadsKeysAndPubSub stores keys through the cluster client
// and checks that every master holds some, and that a message published
// by one client reaches a subscriber connected elsewhere in the cluster.
func TestClusterSpreadsKeysAndPubSub(t *testing.T) {
	c := clusterForTest(t, backends.RedisConfig{Timeout: time.Second})
	ctx := context.Background()
	if _, ok := c.Client.(*redis.ClusterClient); !ok {
		t.Fatalf("client is %T, want a cluster client", c.Client)
	}
	for i := range 300 {
		if err := c.Client.Set(ctx, fmt.Sprintf("k%d", i), i, time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range c.Cluster.Nodes {
		n := redis.NewClient(&redis.Options{Addr: s.Addr(), Password: c.Cluster.Password()})
		size, err := n.DBSize(ctx).Result()
		n.Close()
		if err != nil {
			t.Fatal(err)
		}
		if size == 0 || size == 300 {
			t.Errorf("master %s holds %d of 300 keys: keys are not spread", s.Addr(), size)
		}
	}

	// Subscriber and publisher are separate clients, so the message must
	// cross from the publisher's node to the subscriber's over the bus.
	sub := c.Client.Subscribe(ctx, "events")
	defer sub.Close()
	if _, err := sub.ReceiveTimeout(ctx, 5*time.Second); err != nil {
		t.Fatal(err)
	}
	pub, err := NewClient(c.Cluster.URL(), backends.RedisConfig{Mode: backends.RedisCluster, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	for i := range 5 { // PUBLISH goes to a random node each time
		if err := pub.Publish(ctx, "events", fmt.Sprint(i)).Err(); err != nil {
			t.Fatal(err)
		}
		msg, err := sub.ReceiveTimeout(ctx, 5*time.Second)
		if m, ok := msg.(*redis.Message); err != nil || !ok || m.Payload != fmt.Sprint(i) {
			t.Fatalf("message %d: %v, %v", i, msg, err)
		}
	}
}

// TestConnectClusterMode checks that redis.mode cluster without a URL
// starts a private cluster, reaches it through the latency proxy when one
// is asked for (one proxy per master), and stops it on Close.
func TestConnectClusterMode(t *testing.T) {
	needServer(t)
	t.Setenv("REDIS_URL", "")
	c, err := Connect(context.Background(), backends.RedisConfig{Mode: backends.RedisCluster, Latency: time.Millisecond, Timeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 30 {
		if err := c.Client.Set(ctx, fmt.Sprintf("k%d", i), i, time.Minute).Err(); err != nil {
			c.Close()
			t.Fatal(err)
		}
	}
	if c.Cluster == nil || len(c.Cluster.Nodes) != ClusterMasters {
		c.Close()
		t.Fatalf("Connect in cluster mode: cluster %v", c.Cluster)
	}
	if n := len(c.Network.Proxies()); n != ClusterMasters {
		t.Errorf("%d proxies, want one per master (%d): some node is reached directly", n, ClusterMasters)
	}
	if strings.Contains(c.URL, c.Cluster.Password()) {
		t.Errorf("URL %q shows the password", c.URL)
	}
	pids := []int{}
	for _, s := range c.Cluster.Nodes {
		pids = append(pids, s.PID())
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for _, pid := range pids {
		if alive(pid) {
			t.Errorf("cluster node %d still running after Close", pid)
		}
	}
}

// TestClusterMasterDown kills the master owning one key: commands on that
// key fail, commands on keys of the other masters keep working.
func TestClusterMasterDown(t *testing.T) {
	c := clusterForTest(t, backends.RedisConfig{Timeout: 300 * time.Millisecond})
	ctx := context.Background()
	victim, err := c.Cluster.NodeFor(ctx, "doomed")
	if err != nil {
		t.Fatal(err)
	}
	var survivor string
	for i := 0; survivor == ""; i++ {
		k := fmt.Sprintf("k%d", i)
		if s, err := c.Cluster.NodeFor(ctx, k); err == nil && s != victim {
			survivor = k
		}
	}
	for _, k := range []string{"doomed", survivor} {
		if err := c.Client.Set(ctx, k, "v", time.Minute).Err(); err != nil {
			t.Fatal(err)
		}
	}
	if err := victim.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := c.Client.Get(ctx, "doomed").Err(); err == nil || errors.Is(err, redis.Nil) {
		t.Errorf("GET of a key on the dead master: %v, want a connection error", err)
	}
	if v, err := c.Client.Get(ctx, survivor).Result(); err != nil || v != "v" {
		t.Errorf("GET of a key on a live master = %q, %v", v, err)
	}
}
