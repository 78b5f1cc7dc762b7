// Package httpdrive is authbench's HTTP client side: a backends.Strategy
// whose Issue, Validate, Revoke and Refresh are HTTP requests to a server
// (an httpserve node on loopback, `authbench serve`, or any server the
// scenario describes). The load engine drives it exactly like an
// in-process backend, so its closed and open models, coordinated-omission
// correction, ground truth, revocation and exposure accounting all apply
// over the wire unchanged.
//
// Status codes map onto the engine's outcomes: 2xx accepted, 401 and 403
// rejected (backends.IsRejection holds), anything else, and every
// transport failure, an error.
//
// Validations over HTTP/1.1 go through a small keep-alive client of its own
// (h1.go) that writes a prebuilt request and parses the response without
// allocating; logins, logouts, refreshes and everything over HTTP/2 use
// net/http. Both dial through one counting dialer, so bytes on the wire,
// connections, TLS handshakes and resumptions cover every request.
package httpdrive

import (
	"bytes"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpserve"
)

// Route is one request of the protocol: method and path.
type Route struct {
	Method string
	Path   string
}

// Protocol describes how to talk to the server: where each operation goes
// and where the credential comes back. The zero value is authbench's own
// server (httpserve).
type Protocol struct {
	Login    Route // POST /login
	Validate Route // GET /api/resource
	Logout   Route // POST /logout
	Refresh  Route // POST /refresh; used only when the client refreshes
	// LoginBody is the login request's JSON body; {user} is replaced by
	// the user's name, JSON-escaped.
	LoginBody string
	// TokenFrom says where login puts the credential: "json:FIELD" (a
	// top-level string field of the JSON body) or "cookie:NAME" (a
	// Set-Cookie). The default follows the credential mode:
	// json:access_token or cookie:__Host-authbench.
	TokenFrom   string
	RefreshFrom string // json:refresh_token or cookie:__Host-authbench-refresh
	CSRFFrom    string // cookie mode: json:csrf_token
}

// Config is one client: one validator node as seen from the network.
type Config struct {
	URL        string      // http://host:port or https://host:port (a path is ignored)
	Credential string      // header (default) or cookie
	TLS        *tls.Config // https: trusted roots and a ClientSessionCache for resumption
	H2         bool        // offer HTTP/2 by ALPN (https only)
	// NewConnections is the share of validations sent on a connection of
	// their own, dialled (and in https handshaked) for that request.
	NewConnections float64
	// Resumption is the share of those new connections that resume a TLS
	// session (a ticket from an earlier connection); the others make a full
	// handshake, so both costs are measured. Kept-alive connections always
	// resume when they can.
	Resumption float64
	Conns      int           // keep-alive connections kept; default 16
	Timeout    time.Duration // per request; default 1s
	Refresh    bool          // the server has refresh tokens: implement backends.Refresher
	Protocol   Protocol
}

func (c *Config) fill() error {
	if c.Credential == "" {
		c.Credential = httpserve.InHeader
	}
	if c.Credential != httpserve.InHeader && c.Credential != httpserve.InCookie {
		return fmt.Errorf("httpdrive: credential must be header or cookie, got %q", c.Credential)
	}
	if c.Conns <= 0 {
		c.Conns = 16
	}
	if c.Timeout <= 0 {
		c.Timeout = time.Second
	}
	if c.NewConnections < 0 || c.NewConnections > 1 {
		return fmt.Errorf("httpdrive: new_connections must be within 0..1, got %g", c.NewConnections)
	}
	if c.Resumption < 0 || c.Resumption > 1 {
		return fmt.Errorf("httpdrive: resumption must be within 0..1, got %g", c.Resumption)
	}
	p := &c.Protocol
	def := func(r *Route, m, path string) {
		if r.Method == "" {
			r.Method = m
		}
		if r.Path == "" {
			r.Path = path
		}
	}
	def(&p.Login, "POST", httpserve.PathLogin)
	def(&p.Validate, "GET", httpserve.PathResource)
	def(&p.Logout, "POST", httpserve.PathLogout)
	def(&p.Refresh, "POST", httpserve.PathRefresh)
	if p.LoginBody == "" {
		p.LoginBody = `{"user":{user}}`
	}
	if c.Credential == httpserve.InHeader {
		p.TokenFrom = cmp(p.TokenFrom, "json:access_token")
		p.RefreshFrom = cmp(p.RefreshFrom, "json:refresh_token")
	} else {
		p.TokenFrom = cmp(p.TokenFrom, "cookie:"+httpserve.CookieAuth)
		p.RefreshFrom = cmp(p.RefreshFrom, "cookie:"+httpserve.CookieRefresh)
		p.CSRFFrom = cmp(p.CSRFFrom, "json:csrf_token")
	}
	for _, s := range []string{p.TokenFrom, p.RefreshFrom, p.CSRFFrom} {
		if s == "" {
			continue
		}
		if _, _, err := ParseSource(s); err != nil {
			return err
		}
	}
	if c.Credential == httpserve.InCookie && !strings.HasPrefix(p.TokenFrom, "cookie:") {
		return fmt.Errorf("httpdrive: with credential.in cookie the credential must come back in a cookie (cookie:NAME), got %q", p.TokenFrom)
	}
	return nil
}

func cmp(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// ParseSource reads "json:FIELD" or "cookie:NAME".
func ParseSource(s string) (kind, name string, err error) {
	kind, name, ok := strings.Cut(s, ":")
	if !ok || (kind != "json" && kind != "cookie") || name == "" || len(name) > 128 {
		return "", "", fmt.Errorf("httpdrive: %q: want json:FIELD or cookie:NAME", s)
	}
	return kind, name, nil
}

// Client is one node of a strategy reached over HTTP.
type Client struct {
	cfg    Config
	base   *url.URL
	d      *dialer
	hot    *h1          // HTTP/1.1 validations; nil with HTTP/2
	std    *http.Client // everything else
	cookie string       // the credential cookie's name in cookie mode

	sent atomic.Uint64 // validations, for the new-connection share
	news atomic.Uint64 // new connections of validations, for the resumption share
	reqs atomic.Int64  // requests of every operation

	csrf     sync.Map // cookie mode: credential → its CSRF token, for logout and refresh
	victims  [victimRing]atomic.Pointer[victim]
	victimN  atomic.Uint64
	sameSite atomic.Int32 // the credential cookie's SameSite, as the server set it

	window  sync.Mutex
	began   bool
	timer   *time.Timer
	startW  wire
	startR  int64
	startV  uint64
	startC  time.Duration
	attacks *attacker
	onClose func() error // Loopback: the server and the node behind it

	node    backends.Strategy // Loopback: the in-process node behind the server
	server  *httpserve.Server // Loopback: read its validation figures directly
	startS  httpserve.Stats
	startOK bool
}

var (
	_ backends.Strategy = (*Client)(nil)
	_ backends.Starter  = (*Client)(nil)
)

// RefreshClient is a Client whose server has refresh tokens.
type RefreshClient struct{ *Client }

var _ backends.Refresher = RefreshClient{}

// New returns a client for cfg: a *Client, or a RefreshClient when
// cfg.Refresh is set, so the engine refreshes exactly when the backend can.
func New(cfg Config) (backends.Strategy, error) {
	return build(cfg, nil)
}

// build makes the client; server is the loopback server behind it (nil:
// another process's).
func build(cfg Config, server *httpserve.Server) (backends.Strategy, error) {
	c, err := newClient(cfg)
	if err != nil {
		return nil, err
	}
	c.server = server
	c.mark()
	if c.cfg.Refresh {
		return RefreshClient{c}, nil
	}
	return c, nil
}

func newClient(cfg Config) (*Client, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	u, err := url.Parse(cfg.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("httpdrive: URL %q: want http://host:port or https://host:port", cfg.URL)
	}
	addr := u.Host
	if u.Port() == "" {
		addr = net.JoinHostPort(u.Hostname(), map[string]string{"http": "80", "https": "443"}[u.Scheme])
	}
	var tlsCfg *tls.Config
	if u.Scheme == "https" {
		tlsCfg = cfg.TLS
		if tlsCfg == nil {
			tlsCfg = &tls.Config{MinVersion: tls.VersionTLS13}
		}
		tlsCfg = tlsCfg.Clone()
		if tlsCfg.ClientSessionCache == nil {
			tlsCfg.ClientSessionCache = tls.NewLRUClientSessionCache(1024)
		}
	}
	c := &Client{cfg: cfg, base: u, d: newDialer(addr, tlsCfg)}
	if cfg.Credential == httpserve.InCookie {
		_, c.cookie, _ = ParseSource(cfg.Protocol.TokenFrom)
	}
	c.std = &http.Client{Transport: c.transport(false, true), Timeout: cfg.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	if !(cfg.H2 && tlsCfg != nil) {
		credPrefix := "Authorization: Bearer "
		if cfg.Credential == httpserve.InCookie {
			credPrefix = "Cookie: " + c.cookie + "="
		}
		c.hot = newH1(c.d, u.Host, cfg.Protocol.Validate.Method, cfg.Protocol.Validate.Path, credPrefix, nil, cfg.Conns, cfg.Timeout)
	}
	c.sameSite.Store(int32(http.SameSiteDefaultMode))
	return c, nil
}

// transport is net/http's transport over the counting dialer. once makes
// it dial a connection per request (a fresh connection under HTTP/2).
func (c *Client) transport(once, resume bool) *http.Transport {
	h2 := c.cfg.H2 && c.d.tls != nil
	t := &http.Transport{
		MaxIdleConnsPerHost: c.cfg.Conns,
		DisableKeepAlives:   once,
		ForceAttemptHTTP2:   h2,
		DisableCompression:  true,
	}
	protos := protoH1
	if h2 {
		protos = []string{"h2", "http/1.1"}
	}
	if c.d.tls != nil {
		t.DialTLSContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return c.d.dial(ctx, protos, resume) }
	} else {
		t.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) { return c.d.dial(ctx, nil, true) }
	}
	return t
}

// ownSessions returns cfg with a session cache of its own, so that side
// requests (stats, the attacker) neither use nor seed the driver's TLS
// resumptions.
func ownSessions(cfg *tls.Config) *tls.Config {
	if cfg == nil {
		return nil
	}
	cfg = cfg.Clone()
	cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	return cfg
}

// Rejections, built once: the hot path returns them without allocating.
var (
	ErrUnauthorized = errors.New("HTTP 401 Unauthorized")
	ErrForbidden    = errors.New("HTTP 403 Forbidden")
	reject401       = backends.Reject(ErrUnauthorized)
	reject403       = backends.Reject(ErrForbidden)
)

// statusErr maps a status code to the engine's outcomes.
func statusErr(status int) error {
	switch {
	case status >= 200 && status < 300:
		return nil
	case status == http.StatusUnauthorized:
		return reject401
	case status == http.StatusForbidden:
		return reject403
	}
	return fmt.Errorf("HTTP %d %s", status, http.StatusText(status))
}

// share says whether event n (from 1) is among a share p of events: exact
// over any run of events, with no random number needed.
func share(n uint64, p float64) bool {
	return p > 0 && int64(float64(n)*p) != int64(float64(n-1)*p)
}

// Validate sends the protected GET with token.
func (c *Client) Validate(ctx context.Context, token string) error {
	n := c.sent.Add(1)
	c.reqs.Add(1)
	fresh, resume := share(n, c.cfg.NewConnections), true
	if fresh {
		resume = share(c.news.Add(1), c.cfg.Resumption)
	}
	if c.hot != nil {
		status, err := c.hot.do(ctx, token, fresh, resume)
		if err != nil {
			return err
		}
		return statusErr(status)
	}
	req, err := c.request(ctx, c.cfg.Protocol.Validate, nil, token, "", "")
	if err != nil {
		return err
	}
	cl := c.std
	if fresh {
		t := c.transport(true, resume)
		defer t.CloseIdleConnections()
		cl = &http.Client{Transport: t, Timeout: c.cfg.Timeout}
	}
	resp, err := cl.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return statusErr(resp.StatusCode)
}

// request builds a request carrying the credential (and in cookie mode
// the CSRF token and refresh cookie) the way the scenario says.
func (c *Client) request(ctx context.Context, r Route, body []byte, token, csrf, refresh string) (*http.Request, error) {
	u := *c.base
	u.Path, u.RawQuery = r.Path, ""
	if i := strings.IndexByte(r.Path, '?'); i >= 0 {
		u.Path, u.RawQuery = r.Path[:i], r.Path[i+1:]
	}
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, r.Method, u.String(), rd)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "authbench")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.cfg.Credential == httpserve.InHeader {
		if token != "" {
			req.Header.Set("Authorization", "Bearer "+token)
		}
		return req, nil
	}
	var cookies []string
	if token != "" {
		cookies = append(cookies, c.cookie+"="+token)
	}
	if csrf != "" {
		cookies = append(cookies, httpserve.CookieCSRF+"="+csrf)
		req.Header.Set(httpserve.HeaderCSRF, csrf)
	}
	if refresh != "" {
		if _, name, _ := ParseSource(c.cfg.Protocol.RefreshFrom); name != "" {
			cookies = append(cookies, name+"="+refresh)
		}
	}
	if len(cookies) > 0 {
		req.Header.Set("Cookie", strings.Join(cookies, "; "))
	}
	return req, nil
}

// Issue logs user in.
func (c *Client) Issue(ctx context.Context, user string) (backends.Credential, error) {
	name, _ := json.Marshal(user)
	body := strings.ReplaceAll(c.cfg.Protocol.LoginBody, "{user}", string(name))
	req, err := c.request(ctx, c.cfg.Protocol.Login, []byte(body), "", "", "")
	if err != nil {
		return backends.Credential{}, err
	}
	cred, err := c.issued(req)
	cred.Subject = user
	return cred, err
}

// Refresh exchanges old's refresh token for a new credential.
func (c *Client) Refresh(ctx context.Context, old backends.Credential) (backends.Credential, error) {
	var body []byte
	csrf, _ := c.csrf.Load(old.Token)
	cs, _ := csrf.(string)
	refresh := old.Refresh
	if c.cfg.Credential == httpserve.InHeader {
		body, _ = json.Marshal(httpserve.RefreshRequest{RefreshToken: old.Refresh})
		refresh = ""
	}
	req, err := c.request(ctx, c.cfg.Protocol.Refresh, body, tokenIfCookie(c, old.Token), cs, refresh)
	if err != nil {
		return backends.Credential{}, err
	}
	cred, err := c.issued(req)
	if err == nil {
		c.csrf.Delete(old.Token)
		cred.Subject = old.Subject
	}
	return cred, err
}

func tokenIfCookie(c *Client, tok string) string {
	if c.cfg.Credential == httpserve.InCookie {
		return tok
	}
	return ""
}

func (r RefreshClient) Refresh(ctx context.Context, old backends.Credential) (backends.Credential, error) {
	return r.Client.Refresh(ctx, old)
}

// issued sends a login or refresh and reads the credential from the
// response as the protocol says.
func (c *Client) issued(req *http.Request) (backends.Credential, error) {
	c.reqs.Add(1)
	resp, err := c.std.Do(req)
	if err != nil {
		return backends.Credential{}, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return backends.Credential{}, err
	}
	if err := statusErr(resp.StatusCode); err != nil {
		return backends.Credential{}, err
	}
	var fields map[string]any
	if len(bytes.TrimSpace(data)) > 0 {
		if err := json.Unmarshal(data, &fields); err != nil {
			fields = nil
		}
	}
	cookies := resp.Cookies()
	get := func(src string) string {
		kind, name, err := ParseSource(src)
		if err != nil {
			return ""
		}
		if kind == "json" {
			s, _ := fields[name].(string)
			return s
		}
		for _, ck := range cookies {
			if ck.Name == name {
				return ck.Value
			}
		}
		return ""
	}
	p := c.cfg.Protocol
	cred := backends.Credential{Token: get(p.TokenFrom), Refresh: get(p.RefreshFrom)}
	if cred.Token == "" {
		return cred, fmt.Errorf("login answered %d without a credential at %s", resp.StatusCode, p.TokenFrom)
	}
	if id, ok := fields["id"].(string); ok {
		cred.ID = id
	}
	if ms, ok := fields["expires_at"].(float64); ok && ms > 0 {
		cred.ExpiresAt = time.UnixMilli(int64(ms))
	}
	if c.cfg.Credential == httpserve.InCookie {
		csrf := get(p.CSRFFrom)
		if csrf != "" {
			c.csrf.Store(cred.Token, csrf)
		}
		for _, ck := range cookies {
			if ck.Name == c.cookie {
				c.sameSite.Store(int32(ck.SameSite))
			}
		}
		c.addVictim(&victim{token: cred.Token, csrf: csrf})
	} else {
		c.addVictim(&victim{token: cred.Token})
	}
	return cred, nil
}

// Revoke logs the credential out.
func (c *Client) Revoke(ctx context.Context, cred backends.Credential) error {
	var body []byte
	csrf, _ := c.csrf.Load(cred.Token)
	cs, _ := csrf.(string)
	refresh := cred.Refresh
	if c.cfg.Credential == httpserve.InHeader && cred.Refresh != "" {
		body, _ = json.Marshal(httpserve.RefreshRequest{RefreshToken: cred.Refresh})
		refresh = ""
	}
	req, err := c.request(ctx, c.cfg.Protocol.Logout, body, cred.Token, cs, refresh)
	if err != nil {
		return err
	}
	c.reqs.Add(1)
	resp, err := c.std.Do(req)
	if err != nil {
		return err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
	resp.Body.Close()
	if err := statusErr(resp.StatusCode); err != nil {
		return err
	}
	c.csrf.Delete(cred.Token)
	return nil
}

// Close closes every connection.
func (c *Client) Close() error {
	c.window.Lock()
	if c.timer != nil {
		c.timer.Stop()
	}
	c.window.Unlock()
	if c.attacks != nil {
		c.attacks.stop()
	}
	if c.hot != nil {
		c.hot.close()
	}
	c.std.CloseIdleConnections()
	if c.onClose != nil {
		return c.onClose()
	}
	return nil
}

// Begin is called by the engine once every user is logged in: the
// driver's counts start at the measured period's start, so logins before
// the run and the warm-up are not in them.
func (c *Client) Begin(measuredStart time.Time) {
	c.window.Lock()
	defer c.window.Unlock()
	c.began = true
	if st, ok := c.node.(backends.Starter); ok {
		st.Begin(measuredStart) // the sleep backend's stall is timed from it
	}
	c.timer = time.AfterFunc(time.Until(measuredStart), c.mark)
	if c.attacks != nil {
		c.attacks.begin(measuredStart)
	}
}

func (c *Client) mark() {
	c.window.Lock()
	defer c.window.Unlock()
	c.startW = c.d.snapshot()
	c.startR = c.reqs.Load()
	c.startV = c.sent.Load()
	c.startC = cpuTime()
	c.startS, c.startOK = c.serverStats()
}

// serverStats reads the server's validation figures: directly from a
// loopback server, from the stats route of another one (authbench serve
// has it; other servers do not, and then the figures are unknown).
func (c *Client) serverStats() (httpserve.Stats, bool) {
	if c.server != nil {
		return c.server.Stats(), true
	}
	u := *c.base
	u.Path, u.RawQuery = httpserve.PathStats, ""
	t := &http.Transport{TLSClientConfig: ownSessions(c.d.tls), DisableKeepAlives: true}
	defer t.CloseIdleConnections()
	resp, err := (&http.Client{Transport: t, Timeout: c.cfg.Timeout}).Get(u.String())
	if err != nil {
		return httpserve.Stats{}, false
	}
	defer resp.Body.Close()
	var st httpserve.Stats
	if resp.StatusCode != http.StatusOK || json.NewDecoder(io.LimitReader(resp.Body, 4096)).Decode(&st) != nil {
		return httpserve.Stats{}, false
	}
	return st, true
}

// Stats are the driver's counts over the measured period (from the start
// of the measured period given to Begin until now).
type Stats struct {
	Requests        int64 // HTTP requests of every operation
	Validations     int64
	BytesSent       int64 // on the wire, TLS records and handshakes included
	BytesReceived   int64
	Connections     int64 // dialled
	Handshakes      int64 // full TLS handshakes
	Resumptions     int64 // resumed TLS sessions
	HandshakeNs     int64 // total time of the full handshakes, client side
	ResumptionNs    int64
	HandshakeErrors int64
	DialErrors      int64
	CPU             time.Duration // the process's CPU time (user + system)

	// The server's side, when it can be read (ServerKnown).
	ServerKnown        bool
	ServerValidations  int64
	ServerValidateNs   int64
	ServerConnErrors   int64
	ServerConnsDropped int64
}

// Stats returns the counts since the measured period began.
func (c *Client) Stats() Stats {
	c.window.Lock()
	defer c.window.Unlock()
	w := c.d.snapshot().minus(c.startW)
	cpu := cpuTime() - c.startC
	srv, ok := c.serverStats()
	st := Stats{
		Requests: c.reqs.Load() - c.startR, Validations: int64(c.sent.Load() - c.startV),
		BytesSent: w.sent, BytesReceived: w.recv, Connections: w.conns,
		Handshakes: w.handshakes, Resumptions: w.resumed, HandshakeNs: w.fullNs, ResumptionNs: w.resumedNs,
		HandshakeErrors: w.handshakeErrs, DialErrors: w.dial, CPU: cpu,
	}
	if ok && c.startOK {
		st.ServerKnown = true
		st.ServerValidations = srv.Validations - c.startS.Validations
		st.ServerValidateNs = srv.ValidateNs - c.startS.ValidateNs
		st.ServerConnErrors = srv.ConnErrors - c.startS.ConnErrors
		st.ServerConnsDropped = srv.ConnsDropped - c.startS.ConnsDropped
	}
	return st
}
