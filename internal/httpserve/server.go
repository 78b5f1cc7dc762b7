// Package httpserve puts one authbench validator node behind a real
// net/http server: routes for login, refresh, logout and one protected
// resource, and a middleware that calls the node's own Validate, the same
// function the in-process engine calls. It is what `transport: http|https`
// and `authbench serve` run.
//
// Where the credential travels is the server's choice (Config.Credential):
//
//   - header: `Authorization: Bearer <token>`. Login returns the token in
//     the JSON body; nothing is ambient, so a cross-site request carries no
//     credential at all.
//   - cookie: the token rides in an HttpOnly, Secure cookie with the
//     configured SameSite attribute. Every state-changing request (POST to
//     the resource, refresh, logout) must carry a signed double-submit CSRF
//     token: the X-CSRF-Token header must equal the __Host-csrf cookie, and
//     that value must be the server's HMAC of the credential, so an
//     attacker who can plant a cookie still cannot forge it. Config.CSRF
//     false turns the check off, only to demonstrate the attack.
//
// Status codes are part of the contract the driver relies on: 401 for a
// refused or missing credential (malformed headers included, never 500),
// 403 for a failed CSRF check, 503 when the backend's store fails, 431 for
// headers over the limit (net/http's own answer), 413 for bodies over it.
package httpserve

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/authbench/authbench/backends"
)

// Routes.
const (
	PathLogin    = "/login"
	PathRefresh  = "/refresh"
	PathLogout   = "/logout"
	PathResource = "/api/resource" // GET reads (one validation); POST changes state (CSRF-checked in cookie mode)
	PathNoop     = "/noop"         // no authentication: the cost of HTTP alone
	PathStats    = "/.well-known/authbench/stats"
)

// Cookie and header names in cookie mode. The __Host- prefix makes a
// browser refuse the cookie unless it is Secure, has Path=/ and no Domain,
// so a sibling subdomain cannot plant it.
const (
	CookieAuth    = "__Host-authbench"
	CookieRefresh = "__Host-authbench-refresh"
	CookieCSRF    = "__Host-csrf"
	HeaderCSRF    = "X-CSRF-Token"
)

// Where the credential travels.
const (
	InHeader = "header"
	InCookie = "cookie"
)

// Defaults of Config.
const (
	DefaultMaxHeaderBytes    = 8 << 10
	DefaultMaxBodyBytes      = 4 << 10
	DefaultReadHeaderTimeout = 5 * time.Second
	DefaultIdleTimeout       = 60 * time.Second
)

// Config describes one server. The zero value is a header-mode server with
// the default limits.
type Config struct {
	Credential string // InHeader (default) or InCookie
	SameSite   string // lax (default), strict or none; cookie mode only
	// NoCSRF turns off the double-submit check in cookie mode. It exists
	// only to show the attack succeeding.
	NoCSRF bool

	MaxHeaderBytes    int           // request line and headers, cookies included
	MaxBodyBytes      int64         // login, refresh and logout bodies
	ReadHeaderTimeout time.Duration // a slow-loris client is cut off after it
	IdleTimeout       time.Duration
}

func (c *Config) fill() error {
	switch c.Credential {
	case "":
		c.Credential = InHeader
	case InHeader, InCookie:
	default:
		return fmt.Errorf("httpserve: credential must be %q or %q, got %q", InHeader, InCookie, c.Credential)
	}
	if _, err := ParseSameSite(c.SameSite); err != nil {
		return err
	}
	if c.SameSite == "" {
		c.SameSite = "lax"
	}
	if c.MaxHeaderBytes <= 0 {
		c.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if c.MaxBodyBytes <= 0 {
		c.MaxBodyBytes = DefaultMaxBodyBytes
	}
	if c.ReadHeaderTimeout <= 0 {
		c.ReadHeaderTimeout = DefaultReadHeaderTimeout
	}
	if c.IdleTimeout <= 0 {
		c.IdleTimeout = DefaultIdleTimeout
	}
	return nil
}

// Check reports what is wrong with c, if anything.
func (c Config) Check() error { return c.fill() }

// ParseSameSite reads lax, strict or none ("" is lax).
func ParseSameSite(s string) (http.SameSite, error) {
	switch s {
	case "", "lax":
		return http.SameSiteLaxMode, nil
	case "strict":
		return http.SameSiteStrictMode, nil
	case "none":
		return http.SameSiteNoneMode, nil
	}
	return 0, fmt.Errorf("httpserve: same_site must be lax, strict or none, got %q", s)
}

// Server serves one validator node over HTTP.
type Server struct {
	node     backends.Strategy
	refr     backends.Refresher
	cfg      Config
	sameSite http.SameSite
	csrfKey  []byte
	mux      *http.ServeMux

	// Validation time, for the share of end-to-end latency that is
	// validation. Two atomic adds per request; the handlers share them.
	validations  atomic.Int64
	validateNs   atomic.Int64
	serverErrors atomic.Int64
	dropped      atomic.Int64

	connMu sync.Mutex
	conns  map[net.Conn]*connInfo
}

// connInfo follows one connection: whether it ever carried a complete
// request. Connections closed without one (a slow-loris client cut off by
// ReadHeaderTimeout, a client that connects and leaves, a reset before the
// request ended) are counted as dropped.
type connInfo struct{ served atomic.Bool }

type connKey struct{}

func (s *Server) connContext(ctx context.Context, c net.Conn) context.Context {
	ci := &connInfo{}
	s.connMu.Lock()
	s.conns[c] = ci
	s.connMu.Unlock()
	return context.WithValue(ctx, connKey{}, ci)
}

func (s *Server) connState(c net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	s.connMu.Lock()
	ci := s.conns[c]
	delete(s.conns, c)
	s.connMu.Unlock()
	if ci != nil && !ci.served.Load() {
		s.dropped.Add(1)
	}
}

// ServeHTTP marks the connection as having carried a request, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if ci, ok := r.Context().Value(connKey{}).(*connInfo); ok && !ci.served.Load() {
		ci.served.Store(true)
	}
	s.mux.ServeHTTP(w, r)
}

// countWriter counts the lines net/http logs (one Write per line).
type countWriter struct{ n *atomic.Int64 }

func (c countWriter) Write(p []byte) (int, error) {
	c.n.Add(1)
	return len(p), nil
}

// New wraps node. The server does not own node: closing it is the caller's job.
func New(node backends.Strategy, cfg Config) (*Server, error) {
	if err := cfg.fill(); err != nil {
		return nil, err
	}
	ss, _ := ParseSameSite(cfg.SameSite)
	s := &Server{node: node, cfg: cfg, sameSite: ss, csrfKey: make([]byte, 32), mux: http.NewServeMux(), conns: map[net.Conn]*connInfo{}}
	rand.Read(s.csrfKey) // never fails (crypto/rand since Go 1.24)
	s.refr, _ = node.(backends.Refresher)
	s.mux.HandleFunc("POST "+PathLogin, s.login)
	s.mux.HandleFunc("POST "+PathRefresh, s.refresh)
	s.mux.HandleFunc("POST "+PathLogout, s.logout)
	s.mux.Handle("GET "+PathResource, s.Middleware(http.HandlerFunc(resource)))
	s.mux.Handle("POST "+PathResource, s.Middleware(s.csrf(http.HandlerFunc(resource))))
	s.mux.HandleFunc("GET "+PathNoop, resource)
	s.mux.HandleFunc("GET "+PathStats, s.stats)
	return s, nil
}

// Config returns the server's configuration with defaults filled in.
func (s *Server) Config() Config { return s.cfg }

// Handler is the server's routes.
func (s *Server) Handler() http.Handler { return s }

// HTTPServer returns an http.Server for the routes with the configured
// limits; tlsCfg nil serves plain HTTP. h2 enables HTTP/2 (over TLS only).
func (s *Server) HTTPServer(tlsCfg *tls.Config, h2 bool) *http.Server {
	hs := &http.Server{
		Handler:           s,
		ConnContext:       s.connContext,
		ConnState:         s.connState,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		// Failed handshakes, resets and time-outs are counted, not printed.
		ErrorLog: log.New(countWriter{&s.serverErrors}, "", 0),
	}
	if tlsCfg != nil {
		hs.TLSConfig = tlsCfg.Clone()
		hs.TLSConfig.MinVersion = tls.VersionTLS13
	}
	p := new(http.Protocols)
	p.SetHTTP1(true)
	p.SetHTTP2(h2 && tlsCfg != nil)
	hs.Protocols = p
	return hs
}

// Stats is the server's count of validations and the time they took.
type Stats struct {
	Validations int64 `json:"validations"`
	ValidateNs  int64 `json:"validate_ns"`
	// ConnErrors counts what net/http logs: failed TLS handshakes, for
	// the most part.
	ConnErrors int64 `json:"conn_errors"`
	// ConnsDropped counts connections closed before they carried one
	// complete request: slow-loris clients cut off by the header time-out,
	// resets, clients that connect and leave.
	ConnsDropped int64 `json:"conns_dropped"`
}

// Stats returns the validations so far.
func (s *Server) Stats() Stats {
	return Stats{Validations: s.validations.Load(), ValidateNs: s.validateNs.Load(), ConnErrors: s.serverErrors.Load(), ConnsDropped: s.dropped.Load()}
}

func (s *Server) stats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}

func resource(w http.ResponseWriter, _ *http.Request) {
	h := w.Header()
	h["Content-Type"] = textPlain
	w.Write(okBody)
}

var (
	okBody    = []byte("ok\n")
	textPlain = []string{"text/plain; charset=utf-8"}
	bearerErr = []string{`Bearer error="invalid_token"`}
	bearer    = []string{`Bearer`}
)

type ctxKey struct{}

// Middleware admits a request only when the node's Validate accepts its
// credential. It is the same middleware for every strategy: the strategy
// is the node.
func (s *Server) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, ok := s.credential(r)
		if !ok {
			s.unauthorized(w, bearer)
			return
		}
		t0 := time.Now()
		err := s.node.Validate(r.Context(), tok)
		s.validateNs.Add(int64(time.Since(t0)))
		s.validations.Add(1)
		switch {
		case err == nil:
			next.ServeHTTP(w, r)
		case backends.IsRejection(err):
			s.unauthorized(w, bearerErr)
		default:
			http.Error(w, "authentication store unavailable", http.StatusServiceUnavailable)
		}
	})
}

func (s *Server) unauthorized(w http.ResponseWriter, challenge []string) {
	if s.cfg.Credential == InHeader {
		w.Header()["Www-Authenticate"] = challenge
	}
	w.WriteHeader(http.StatusUnauthorized)
}

// credential finds the request's credential where the server expects it.
// Anything ambiguous (two Authorization headers, two auth cookies, a
// scheme other than Bearer, characters outside token68) is no credential.
func (s *Server) credential(r *http.Request) (string, bool) {
	if s.cfg.Credential == InCookie {
		return cookieValue(r.Header, CookieAuth)
	}
	v := r.Header["Authorization"]
	if len(v) != 1 {
		return "", false
	}
	return BearerToken(v[0])
}

// BearerToken parses an Authorization header value (RFC 6750 §2.1: the
// scheme is case-insensitive, the token is token68).
func BearerToken(h string) (string, bool) {
	const scheme = "bearer "
	if len(h) <= len(scheme) || !strings.EqualFold(h[:len(scheme)], scheme) {
		return "", false
	}
	tok := h[len(scheme):]
	if !token68(tok) {
		return "", false
	}
	return tok, true
}

func token68(s string) bool {
	if s == "" {
		return false
	}
	i := 0
	for ; i < len(s); i++ {
		c := s[i]
		if !('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' ||
			c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/') {
			break
		}
	}
	for ; i < len(s); i++ { // trailing '=' padding only
		if s[i] != '=' {
			return false
		}
	}
	return true
}

// cookieValue returns the value of the one cookie called name. A name sent
// twice is refused: with two values a server cannot know which one a
// subdomain planted (cookie tossing).
func cookieValue(h http.Header, name string) (string, bool) {
	var val string
	found := 0
	for _, line := range h["Cookie"] {
		for line != "" {
			var part string
			part, line, _ = strings.Cut(line, ";")
			part = strings.TrimSpace(part)
			k, v, ok := strings.Cut(part, "=")
			if !ok || k != name {
				continue
			}
			found++
			val = v
		}
	}
	if found != 1 || !token68(val) {
		return "", false
	}
	return val, true
}

// csrfToken is the signed double-submit token bound to one credential.
func (s *Server) csrfToken(cred string) string {
	m := hmac.New(sha256.New, s.csrfKey)
	m.Write([]byte("authbench csrf\x00"))
	m.Write([]byte(cred))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:24])
}

// csrfOK checks the double-submit token of a state-changing request in
// cookie mode; in header mode there is nothing ambient to forge.
func (s *Server) csrfOK(r *http.Request, cred string) bool {
	if s.cfg.Credential != InCookie || s.cfg.NoCSRF {
		return true
	}
	hv := r.Header.Values(HeaderCSRF)
	if len(hv) != 1 {
		return false
	}
	cv, ok := cookieValue(r.Header, CookieCSRF)
	if !ok {
		return false
	}
	want := s.csrfToken(cred)
	return hmac.Equal([]byte(hv[0]), []byte(cv)) && hmac.Equal([]byte(cv), []byte(want))
}

func (s *Server) csrf(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		tok, _ := s.credential(r) // the middleware has accepted it
		if !s.csrfOK(r, tok) {
			http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// LoginRequest is the body of POST /login. authbench's logins carry no
// password, exactly like the in-process Issue: what is measured is issuing.
type LoginRequest struct {
	User string `json:"user"`
}

// TokenResponse is what login and refresh return. In cookie mode the
// credential and the refresh token are in HttpOnly cookies instead and
// the body holds only what script may read.
type TokenResponse struct {
	AccessToken  string `json:"access_token,omitempty"`
	TokenType    string `json:"token_type,omitempty"`
	RefreshToken string `json:"refresh_token,omitempty"`
	ID           string `json:"id,omitempty"`
	ExpiresAt    int64  `json:"expires_at,omitempty"` // Unix milliseconds
	CSRFToken    string `json:"csrf_token,omitempty"`
}

// RefreshRequest is the body of refresh and logout in header mode.
type RefreshRequest struct {
	RefreshToken string `json:"refresh_token"`
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	var req LoginRequest
	if !s.readJSON(w, r, &req) {
		return
	}
	if req.User == "" || len(req.User) > 256 {
		http.Error(w, "user: 1 to 256 bytes", http.StatusBadRequest)
		return
	}
	c, err := s.node.Issue(r.Context(), req.User)
	if err != nil {
		s.opError(w, err)
		return
	}
	s.issued(w, c)
}

func (s *Server) refresh(w http.ResponseWriter, r *http.Request) {
	if s.refr == nil {
		http.Error(w, "this backend has no refresh tokens", http.StatusNotFound)
		return
	}
	rt, ok := s.refreshToken(w, r)
	if !ok {
		return
	}
	old := backends.Credential{Refresh: rt}
	if s.cfg.Credential == InCookie {
		// The refresh cookie is ambient too: the CSRF token, bound to the
		// access credential, must come with it.
		tok, _ := cookieValue(r.Header, CookieAuth)
		if !s.csrfOK(r, tok) {
			http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
			return
		}
		old.Token = tok
	}
	c, err := s.refr.Refresh(r.Context(), old)
	if err != nil {
		s.opError(w, err)
		return
	}
	s.issued(w, c)
}

// logout revokes the credential presented. Its jti and expiry are read
// from the token only after Validate has accepted it, so a client cannot
// revoke a token it does not hold. A credential that is already refused
// (expired, revoked) has nothing left to revoke, except a refresh family,
// which its refresh token alone may end.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	tok, haveTok := s.credential(r)
	rt := ""
	if s.refr != nil {
		var ok bool
		if rt, ok = s.refreshToken(w, r); !ok {
			return
		}
	}
	if !haveTok && rt == "" {
		s.unauthorized(w, bearer)
		return
	}
	if !s.csrfOK(r, tok) {
		http.Error(w, "CSRF token missing or wrong", http.StatusForbidden)
		return
	}
	c := backends.Credential{Token: tok, Refresh: rt}
	valid := false
	if haveTok {
		err := s.node.Validate(r.Context(), tok)
		switch {
		case err == nil:
			valid = true
			c.ID, c.Subject, c.ExpiresAt = describe(tok)
		case !backends.IsRejection(err):
			s.opError(w, err)
			return
		}
	}
	if valid || rt != "" {
		if err := s.node.Revoke(r.Context(), c); err != nil {
			s.opError(w, err)
			return
		}
	}
	if s.cfg.Credential == InCookie {
		for _, name := range []string{CookieAuth, CookieRefresh, CookieCSRF} {
			http.SetCookie(w, &http.Cookie{Name: name, Value: "", Path: "/", MaxAge: -1, Secure: true, HttpOnly: name != CookieCSRF, SameSite: s.sameSite})
		}
	}
	w.WriteHeader(http.StatusNoContent)
}

// describe reads the jti, subject and expiry of a validated JWS. Other
// credentials (session IDs, JWE) are their own ID: session stores revoke
// by ID, and JWE backends keep no revocation state.
func describe(tok string) (id, sub string, exp time.Time) {
	if strings.Count(tok, ".") != 2 {
		return tok, "", time.Time{}
	}
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(tok, &claims); err != nil {
		return tok, "", time.Time{}
	}
	if claims.ExpiresAt != nil {
		exp = claims.ExpiresAt.Time
	}
	return claims.ID, claims.Subject, exp
}

// refreshToken reads the refresh token of refresh and logout: the refresh
// cookie in cookie mode, the JSON body in header mode. It answers the
// request itself when the body is bad.
func (s *Server) refreshToken(w http.ResponseWriter, r *http.Request) (string, bool) {
	if s.cfg.Credential == InCookie {
		v, _ := cookieValue(r.Header, CookieRefresh)
		return v, true
	}
	var req RefreshRequest
	if r.ContentLength == 0 {
		return "", true
	}
	if !s.readJSON(w, r, &req) {
		return "", false
	}
	if len(req.RefreshToken) > 512 {
		http.Error(w, "refresh_token too long", http.StatusBadRequest)
		return "", false
	}
	return req.RefreshToken, true
}

func (s *Server) issued(w http.ResponseWriter, c backends.Credential) {
	resp := TokenResponse{ID: c.ID}
	if !c.ExpiresAt.IsZero() {
		resp.ExpiresAt = c.ExpiresAt.UnixMilli()
	}
	if s.cfg.Credential == InHeader {
		resp.AccessToken, resp.TokenType, resp.RefreshToken = c.Token, "Bearer", c.Refresh
	} else {
		maxAge := 0
		if !c.ExpiresAt.IsZero() {
			maxAge = max(1, int(time.Until(c.ExpiresAt).Seconds()))
		}
		resp.CSRFToken = s.csrfToken(c.Token)
		http.SetCookie(w, &http.Cookie{Name: CookieAuth, Value: c.Token, Path: "/", MaxAge: maxAge, Secure: true, HttpOnly: true, SameSite: s.sameSite})
		// Script reads the CSRF token from this cookie or the body, so it is
		// not HttpOnly; it is worthless without the HttpOnly credential.
		http.SetCookie(w, &http.Cookie{Name: CookieCSRF, Value: resp.CSRFToken, Path: "/", MaxAge: maxAge, Secure: true, SameSite: s.sameSite})
		if c.Refresh != "" {
			http.SetCookie(w, &http.Cookie{Name: CookieRefresh, Value: c.Refresh, Path: "/", Secure: true, HttpOnly: true, SameSite: http.SameSiteStrictMode})
		}
	}
	writeJSON(w, http.StatusOK, resp)
}

// opError answers a failed login, refresh or logout: 401 for a refusal,
// 503 for a store failure.
func (s *Server) opError(w http.ResponseWriter, err error) {
	if backends.IsRejection(err) {
		s.unauthorized(w, bearerErr)
		return
	}
	http.Error(w, "authentication store unavailable", http.StatusServiceUnavailable)
}

func (s *Server) readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	body := http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
	dec := json.NewDecoder(body)
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		} else {
			http.Error(w, "bad JSON body", http.StatusBadRequest)
		}
		return false
	}
	if _, err := io.Copy(io.Discard, body); err != nil {
		http.Error(w, "body too large", http.StatusRequestEntityTooLarge)
		return false
	}
	return true
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	w.Write(b)
}

// Listener is a running server on loopback.
type Listener struct {
	URL    string // http://127.0.0.1:port or https://…
	Server *Server
	hs     *http.Server
	ln     net.Listener
	done   chan struct{}
}

// Listen serves s on addr ("127.0.0.1:0" for a free loopback port), over
// TLS when tlsCfg is not nil.
func Listen(s *Server, addr string, tlsCfg *tls.Config, h2 bool) (*Listener, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("httpserve: %w", err)
	}
	hs := s.HTTPServer(tlsCfg, h2)
	l := &Listener{Server: s, hs: hs, ln: ln, done: make(chan struct{}), URL: "http://" + ln.Addr().String()}
	go func() {
		defer close(l.done)
		if tlsCfg != nil {
			hs.ServeTLS(ln, "", "")
		} else {
			hs.Serve(ln)
		}
	}()
	if tlsCfg != nil {
		l.URL = "https://" + ln.Addr().String()
	}
	return l, nil
}

// Addr is the listening address.
func (l *Listener) Addr() string { return l.ln.Addr().String() }

// Close stops the server at once: connections in use are closed too (a
// server killed mid-run, from the clients' point of view).
func (l *Listener) Close() error {
	err := l.hs.Close()
	<-l.done
	return err
}

// Shutdown stops accepting and waits for requests in flight until ctx ends.
func (l *Listener) Shutdown(ctx context.Context) error {
	err := l.hs.Shutdown(ctx)
	<-l.done
	return err
}
