package redisproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// ClusterMasters is the number of masters of a private cluster: the
// smallest Redis Cluster that redis-cli --cluster create accepts, and
// enough for keys, pub/sub and a failure to cross node boundaries.
const ClusterMasters = 3

// clusterSlots is the number of hash slots of every Redis Cluster.
const clusterSlots = 16384

// clusterNodeTimeout is cluster-node-timeout: how long a silent node takes
// to be marked failed. Clients do not wait for it (a dead node refuses
// connections at once); it only delays what CLUSTER INFO says.
const clusterNodeTimeout = 2 * time.Second

// Cluster is a private Redis Cluster: ClusterMasters redis-servers on
// loopback, each owning a third of the slots, without replicas. Every node
// has the same random password. With cluster-require-full-coverage off, a
// dead master fails only the keys in its slots; the others keep serving,
// which is what a client of a real cluster sees before a failover.
type Cluster struct {
	// Nodes are the masters, in slot order.
	Nodes    []*Server
	password string
}

// StartCluster starts the masters, gives each a third of the slots, joins
// them with CLUSTER MEET and waits until every node reports
// cluster_state:ok with every slot assigned. It needs redis-server only.
func StartCluster(ctx context.Context) (*Cluster, error) {
	c := &Cluster{password: newPassword()}
	buses := make([]int, 0, ClusterMasters)
	for range ClusterMasters {
		var bus int
		s, err := start(ctx, c.password, func() (string, error) {
			// The bus port is set rather than left at port+10000, which
			// may be taken or past 65535 for an ephemeral port.
			var err error
			bus, err = freePort()
			return fmt.Sprintf("cluster-enabled yes\ncluster-config-file nodes.conf\n"+
				"cluster-node-timeout %d\ncluster-port %d\ncluster-require-full-coverage no\n",
				clusterNodeTimeout.Milliseconds(), bus), err
		})
		if err != nil {
			c.Stop()
			return nil, fmt.Errorf("start private redis cluster: %w", err)
		}
		c.Nodes = append(c.Nodes, s)
		buses = append(buses, bus)
	}
	if err := c.form(ctx, buses); err != nil {
		c.Stop()
		return nil, fmt.Errorf("start private redis cluster: %w", err)
	}
	return c, nil
}

// form assigns the slots, joins the nodes and waits for the cluster.
func (c *Cluster) form(ctx context.Context, buses []int) error {
	clients := make([]*redis.Client, len(c.Nodes))
	for i, s := range c.Nodes {
		clients[i] = redis.NewClient(&redis.Options{Addr: s.Addr(), Password: c.password, MaxRetries: -1})
		defer clients[i].Close()
	}
	ctx, cancel := context.WithTimeout(ctx, StartTimeout)
	defer cancel()
	for i, cl := range clients {
		lo, hi := i*clusterSlots/len(clients), (i+1)*clusterSlots/len(clients)-1
		if err := cl.Do(ctx, "CLUSTER", "ADDSLOTSRANGE", lo, hi).Err(); err != nil {
			return fmt.Errorf("node %s: CLUSTER ADDSLOTSRANGE %d %d: %w", c.Nodes[i].Addr(), lo, hi, err)
		}
		// Distinct epochs up front, as redis-cli --cluster create sets
		// them, so the nodes need not resolve a collision first.
		if err := cl.Do(ctx, "CLUSTER", "SET-CONFIG-EPOCH", i+1).Err(); err != nil {
			return fmt.Errorf("node %s: CLUSTER SET-CONFIG-EPOCH: %w", c.Nodes[i].Addr(), err)
		}
	}
	for i := 1; i < len(clients); i++ {
		host, port, _ := net.SplitHostPort(c.Nodes[i].Addr())
		if err := clients[0].Do(ctx, "CLUSTER", "MEET", host, port, buses[i]).Err(); err != nil {
			return fmt.Errorf("CLUSTER MEET %s: %w", c.Nodes[i].Addr(), err)
		}
	}
	for delay := 10 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		err := c.ready(ctx, clients)
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("cluster not ready within %v: %w", StartTimeout, err)
		case <-time.After(delay):
		}
	}
}

// ready says why the cluster is not usable yet, or nil: every node must
// see every other node, every slot assigned, state ok, and the same three
// slot ranges (a client may ask any node for the map).
func (c *Cluster) ready(ctx context.Context, clients []*redis.Client) error {
	for i, cl := range clients {
		info, err := cl.ClusterInfo(ctx).Result()
		if err != nil {
			return err
		}
		for _, want := range []string{
			"cluster_state:ok",
			"cluster_slots_assigned:" + strconv.Itoa(clusterSlots),
			"cluster_known_nodes:" + strconv.Itoa(len(clients)),
		} {
			if !strings.Contains(info, want+"\r\n") {
				return fmt.Errorf("node %s: CLUSTER INFO lacks %s", c.Nodes[i].Addr(), want)
			}
		}
		slots, err := cl.ClusterSlots(ctx).Result()
		if err != nil {
			return err
		}
		if len(slots) != len(clients) {
			return fmt.Errorf("node %s: CLUSTER SLOTS has %d ranges, want %d", c.Nodes[i].Addr(), len(slots), len(clients))
		}
		for _, r := range slots {
			if len(r.Nodes) == 0 || r.Nodes[0].Addr == "" || strings.HasPrefix(r.Nodes[0].Addr, ":") {
				return fmt.Errorf("node %s: slots %d-%d have no known address yet", c.Nodes[i].Addr(), r.Start, r.End)
			}
		}
	}
	return nil
}

// URL is the cluster's URL in go-redis's form, every master named (the
// first in the host, the others as addr=), with the password.
func (c *Cluster) URL() string {
	u := url.URL{Scheme: "redis", User: url.UserPassword("", c.password), Host: c.Nodes[0].Addr()}
	q := url.Values{}
	for _, s := range c.Nodes[1:] {
		q.Add("addr", s.Addr())
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// Password is the password every node requires.
func (c *Cluster) Password() string { return c.password }

// Stop stops every node (Server.Stop).
func (c *Cluster) Stop() error {
	var err error
	for _, s := range c.Nodes {
		err = errors.Join(err, s.Stop())
	}
	return err
}

// NodeFor is the master that owns key's slot; tests use it to pick a
// master whose death a given key will feel.
func (c *Cluster) NodeFor(ctx context.Context, key string) (*Server, error) {
	cl := redis.NewClient(&redis.Options{Addr: c.Nodes[0].Addr(), Password: c.password})
	defer cl.Close()
	slot, err := cl.ClusterKeySlot(ctx, key).Result()
	if err != nil {
		return nil, err
	}
	for i := range c.Nodes {
		if hi := (i+1)*clusterSlots/len(c.Nodes) - 1; int(slot) <= hi {
			return c.Nodes[i], nil
		}
	}
	return nil, fmt.Errorf("slot %d out of range", slot)
}
