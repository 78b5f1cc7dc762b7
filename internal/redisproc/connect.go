package redisproc

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/authbench/authbench/backends"
)

// Conn is a connected client and, when authbench started it, the private
// server behind it.
type Conn struct {
	Client redis.UniversalClient
	// Server is the private server, nil when the URL came from the scenario
	// or REDIS_URL.
	Server *Server
	// URL is what the client connected to, without a password.
	URL string
	// Cluster is the private cluster (redis.mode cluster without a URL),
	// nil otherwise.
	Cluster *Cluster
	// Network is the latency-injecting proxy layer between the client and
	// Redis, nil when redis.latency and redis.jitter are zero.
	Network *Network
}

// Close closes the client and stops a private server.
func (c *Conn) Close() error {
	var err error
	if c.Client != nil { // nil while Connect is still setting up
		err = c.Client.Close()
	}
	if c.Network != nil {
		err = errors.Join(err, c.Network.Close())
	}
	if c.Server != nil {
		err = errors.Join(err, c.Server.Stop())
	}
	if c.Cluster != nil {
		err = errors.Join(err, c.Cluster.Stop())
	}
	return err
}

// Connect returns a client for cfg: cfg.URL, else $REDIS_URL, else a
// private server started for the occasion (a private three-master cluster
// when cfg.Mode is cluster). It pings before returning, so a
// wrong URL or a dead server is an error here, before anything is measured.
// Without a URL and without redis-server the error wraps both
// ErrNoRedisServer and backends.ErrUnavailable, so a run skips its Redis
// backends with a warning; a URL that was given but does not answer is a
// plain error, because the user asked for that server.
//
// URL forms: redis://[user:pass@]host:port[/db][?opts] for one server;
// the same with ?addr=host:port&addr=... for a cluster (or any of these
// with redis.mode cluster: the host is then a seed of the cluster); with
// ?master_name=NAME for Sentinel (the host is then a sentinel). Options in
// the query are go-redis's (dial_timeout, max_retries, ...).
func Connect(ctx context.Context, cfg backends.RedisConfig) (*Conn, error) {
	u := cfg.URL
	if u == "" {
		u = os.Getenv("REDIS_URL")
	}
	c := &Conn{}
	if u == "" {
		var err error
		if u, err = c.startPrivate(ctx, cfg.Mode); err != nil {
			return nil, err
		}
	}
	var dial dialFunc
	if cfg.Latency > 0 || cfg.Jitter > 0 {
		c.Network = NewNetwork(cfg.Latency, cfg.Jitter)
		dial = c.Network.Dial
	}
	client, err := newClient(u, cfg, dial)
	if err != nil {
		c.Close()
		return nil, err
	}
	c.Client = client
	c.URL = Redact(u)
	pctx, cancel := context.WithTimeout(ctx, max(Timeout(cfg), time.Second))
	defer cancel()
	if err := client.Ping(pctx).Err(); err != nil {
		c.Close()
		// go-redis retries a failed dial until the deadline and then
		// reports only the deadline: dial once more to say why.
		if derr := dialOnce(u, cfg); derr != nil {
			return nil, fmt.Errorf("redis at %s cannot be reached: %w", c.URL, derr)
		}
		return nil, fmt.Errorf("redis at %s does not answer PING: %w", c.URL, err)
	}
	return c, nil
}

// dialOnce opens and closes one connection to the first address of
// rawURL, and returns the dial error (connection refused, no such socket
// file, no route), nil when the address answers.
func dialOnce(rawURL string, cfg backends.RedisConfig) error {
	p, err := parseURL(rawURL, cfg.Mode == backends.RedisCluster)
	if err != nil {
		return err
	}
	network, addr := "tcp", ""
	switch {
	case p.single != nil:
		network, addr = p.single.Network, p.single.Addr
	case p.cluster != nil && len(p.cluster.Addrs) > 0:
		addr = p.cluster.Addrs[0]
	case p.failover != nil && len(p.failover.SentinelAddrs) > 0:
		addr = p.failover.SentinelAddrs[0]
	default:
		return nil
	}
	conn, err := net.DialTimeout(network, addr, max(Timeout(cfg), time.Second))
	if err != nil {
		return err
	}
	return conn.Close()
}

// startPrivate starts a private server, or a private cluster for mode
// cluster, and returns its URL. Without redis-server the error wraps
// backends.ErrUnavailable too.
func (c *Conn) startPrivate(ctx context.Context, mode string) (string, error) {
	var err error
	if mode == backends.RedisCluster {
		c.Cluster, err = StartCluster(ctx)
	} else {
		c.Server, err = Start(ctx)
	}
	switch {
	case errors.Is(err, ErrNoRedisServer):
		return "", fmt.Errorf("%w: %w", backends.ErrUnavailable, err)
	case err != nil:
		return "", err
	case c.Cluster != nil:
		return c.Cluster.URL(), nil
	}
	return c.Server.URL(), nil
}

// Timeout is cfg.Timeout or backends.DefaultRedisTimeout.
func Timeout(cfg backends.RedisConfig) time.Duration {
	if cfg.Timeout > 0 {
		return cfg.Timeout
	}
	return backends.DefaultRedisTimeout
}

// NewClient builds a client for rawURL with the pool size and time-outs of
// cfg.
func NewClient(rawURL string, cfg backends.RedisConfig) (redis.UniversalClient, error) {
	return newClient(rawURL, cfg, nil)
}

// dialFunc is go-redis's Dialer hook; nil keeps go-redis's own dialer.
type dialFunc = func(ctx context.Context, network, addr string) (net.Conn, error)

// CheckURL checks cfg.URL in every form Connect accepts (see Connect),
// read as a cluster seed when cfg.Mode is cluster. Its error never quotes
// the password.
func CheckURL(cfg backends.RedisConfig) error {
	_, err := parseURL(cfg.URL, cfg.Mode == backends.RedisCluster)
	return err
}

// parsedURL holds the options of exactly one topology.
type parsedURL struct {
	single   *redis.Options
	cluster  *redis.ClusterOptions
	failover *redis.FailoverOptions
}

func parseURL(rawURL string, cluster bool) (parsedURL, error) {
	var p parsedURL
	pu, err := url.Parse(rawURL)
	if err == nil {
		q := pu.Query()
		switch {
		case q.Has("master_name"):
			p.failover, err = redis.ParseFailoverURL(rawURL)
		case q.Has("addr") || cluster:
			p.cluster, err = redis.ParseClusterURL(rawURL)
		default:
			p.single, err = redis.ParseURL(rawURL)
		}
	}
	var ue *url.Error
	if errors.As(err, &ue) {
		err = ue.Err // url.Error quotes the whole URL, password included
	}
	return p, err
}

// newClient is NewClient with every connection dialled by dial (the
// latency proxy) when dial is not nil. Each topology is built with its own
// constructor so that every option go-redis parsed from the URL is kept.
func newClient(rawURL string, cfg backends.RedisConfig, dial dialFunc) (redis.UniversalClient, error) {
	p, err := parseURL(rawURL, cfg.Mode == backends.RedisCluster)
	if err != nil {
		return nil, fmt.Errorf("redis url %s: %w", Redact(rawURL), err)
	}
	// Every call carries a context deadline of t; the connection time-outs
	// match it so that no layer waits longer than the scenario allows (a
	// pool wait included).
	t := Timeout(cfg)
	switch {
	case p.failover != nil:
		o := p.failover
		o.PoolSize, o.ContextTimeoutEnabled = cfg.PoolSize, true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t, t, t, t
		if dial != nil {
			o.Dialer = dial
		}
		return redis.NewFailoverClient(o), nil
	case p.cluster != nil:
		o := p.cluster
		o.PoolSize, o.ContextTimeoutEnabled = cfg.PoolSize, true
		o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t, t, t, t
		if dial != nil {
			o.Dialer = dial
		}
		return redis.NewClusterClient(o), nil
	}
	o := p.single
	o.PoolSize, o.ContextTimeoutEnabled = cfg.PoolSize, true
	o.DialTimeout, o.ReadTimeout, o.WriteTimeout, o.PoolTimeout = t, t, t, t
	if dial != nil {
		o.Dialer = dial
	}
	return redis.NewClient(o), nil
}

// Connector is Connect in the shape the run orchestration takes
// (runner.RedisConnector): the client and the function that releases it.
func Connector(ctx context.Context, cfg backends.RedisConfig) (redis.UniversalClient, func() error, error) {
	c, err := Connect(ctx, cfg)
	if err != nil {
		return nil, nil, err
	}
	return c.Client, c.Close, nil
}
