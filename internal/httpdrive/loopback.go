package httpdrive

import (
	"crypto/tls"
	"errors"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpserve"
)

// Loopback puts node behind an httpserve server on a free loopback port
// (over TLS when serverTLS is not nil) and returns the client strategy
// that reaches it. Closing the strategy closes the client, the server and
// node. cli.URL is filled in; cli.Refresh follows node.
func Loopback(node backends.Strategy, srv httpserve.Config, serverTLS *tls.Config, cli Config) (backends.Strategy, *httpserve.Listener, error) {
	s, err := httpserve.New(node, srv)
	if err != nil {
		return nil, nil, err
	}
	l, err := httpserve.Listen(s, "127.0.0.1:0", serverTLS, cli.H2)
	if err != nil {
		return nil, nil, err
	}
	cli.URL = l.URL
	cli.Credential = s.Config().Credential
	_, cli.Refresh = node.(backends.Refresher)
	st, err := build(cli, s)
	if err != nil {
		l.Close()
		return nil, nil, err
	}
	c := ClientOf(st)
	c.onClose = func() error { return errors.Join(l.Close(), node.Close()) }
	c.node = node
	return st, l, nil
}

// Inner returns the in-process node behind a Loopback strategy, or s
// itself for any other strategy (and nil for a client of another process).
func Inner(s backends.Strategy) backends.Strategy {
	if c := ClientOf(s); c != nil {
		return c.node
	}
	return s
}

// ClientOf returns the *Client behind a strategy New or Loopback returned
// (nil for any other strategy).
func ClientOf(s backends.Strategy) *Client {
	switch c := s.(type) {
	case *Client:
		return c
	case RefreshClient:
		return c.Client
	}
	return nil
}
