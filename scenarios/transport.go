package scenarios

import (
	"net/url"
	"strings"
	"time"
)

// The fields of issue "over the wire": how requests reach the validator
// (transport), where the credential travels (credential, csrf), the HTTP
// driver (http) and the CSRF attacker (attack). With transport inproc,
// the default, they are ignored and runs are what they always were.

// Transports.
const (
	TransportInproc = "inproc"
	TransportHTTP   = "http"
	TransportHTTPS  = "https"
)

// Defaults of the transport fields.
const (
	DefaultTransport   = TransportInproc
	DefaultCredential  = "header"
	DefaultSameSite    = "lax"
	DefaultCSRF        = "on"
	DefaultHTTPTimeout = time.Second
	DefaultResumption  = 0.5
	MaxHTTPTimeout     = time.Minute
	MaxAttackRate      = 100_000.0
)

// Credential is the `credential:` section.
type Credential struct {
	In       string `yaml:"in"`        // header | cookie
	SameSite string `yaml:"same_site"` // lax | strict | none (cookie only)
}

// HTTP is the `http:` section.
type HTTP struct {
	H2             bool          `yaml:"h2"`              // HTTP/2 (https only)
	NewConnections float64       `yaml:"new_connections"` // share of validations on a fresh connection
	Resumption     float64       `yaml:"resumption"`      // share of those that resume a TLS session
	Timeout        time.Duration `yaml:"timeout"`         // per request
	// Target drives an external server instead of a loopback one per node.
	Target   string      `yaml:"target"`
	Login    HTTPLogin   `yaml:"login"`
	Validate HTTPRequest `yaml:"validate"`
	Logout   HTTPRequest `yaml:"logout"`
}

// HTTPRequest is one request of an external target's protocol.
type HTTPRequest struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
}

// HTTPLogin is the login request and where its answer puts the credential.
type HTTPLogin struct {
	Method string `yaml:"method"`
	Path   string `yaml:"path"`
	Body   string `yaml:"body"`  // JSON; {user} becomes the user's name
	Token  string `yaml:"token"` // json:FIELD or cookie:NAME; "" follows credential.in
	// Refresh and CSRF say where the refresh and CSRF tokens come back ("" : authbench serve's places).
	Refresh string `yaml:"refresh"`
	CSRF    string `yaml:"csrf"`
}

// Attack is the `attack:` section.
type Attack struct {
	CSRF float64 `yaml:"csrf"` // forged cross-site requests per second (http/https, cookie or header)
}

func transportDefaults(s *Scenario) {
	s.Transport = DefaultTransport
	s.Credential = Credential{In: DefaultCredential, SameSite: DefaultSameSite}
	s.CSRF = DefaultCSRF
	s.HTTP = HTTP{Timeout: DefaultHTTPTimeout, Resumption: DefaultResumption}
}

// OverHTTP reports whether the scenario's requests go over the network.
func (s *Scenario) OverHTTP() bool {
	return s.Transport == TransportHTTP || s.Transport == TransportHTTPS
}

func (s *Scenario) checkTransport() error {
	oneOf := func(path, v string, allowed ...string) error {
		for _, a := range allowed {
			if v == a {
				return nil
			}
		}
		return s.blame(path).errorf("%s: must be %s, got %s", path, orList(allowed), quoteClip(v))
	}
	for _, c := range []struct {
		path, v string
		allowed []string
	}{
		{"transport", s.Transport, []string{TransportInproc, TransportHTTP, TransportHTTPS}},
		{"credential.in", s.Credential.In, []string{"header", "cookie"}},
		{"credential.same_site", s.Credential.SameSite, []string{"lax", "strict", "none"}},
		{"csrf", s.CSRF, []string{"on", "off"}},
	} {
		if err := oneOf(c.path, c.v, c.allowed...); err != nil {
			return err
		}
	}
	h := s.HTTP
	switch {
	case h.NewConnections < 0 || h.NewConnections > 1 || h.NewConnections != h.NewConnections:
		return s.blame("http.new_connections").errorf("http.new_connections: must be a share within 0 .. 1, got %s", fmtNum(h.NewConnections))
	case h.Resumption < 0 || h.Resumption > 1 || h.Resumption != h.Resumption:
		return s.blame("http.resumption").errorf("http.resumption: must be a share within 0 .. 1, got %s", fmtNum(h.Resumption))
	case h.Timeout <= 0 || h.Timeout > MaxHTTPTimeout:
		return s.blame("http.timeout").errorf("http.timeout: must be > 0 and at most %s, got %s", fmtDur(MaxHTTPTimeout), fmtDur(h.Timeout))
	case h.H2 && s.Transport == TransportHTTP:
		return s.blame("http.h2", "transport").errorf("http.h2: HTTP/2 needs transport https (authbench does not speak cleartext h2c)")
	case s.Attack.CSRF < 0 || s.Attack.CSRF > MaxAttackRate || s.Attack.CSRF != s.Attack.CSRF:
		return s.blame("attack.csrf").errorf("attack.csrf: must be within 0 .. %s forged requests per second, got %s", fmtNum(MaxAttackRate), fmtNum(s.Attack.CSRF))
	}
	if h.Target != "" {
		u, err := url.Parse(h.Target)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(h.Target) > 2048 {
			return s.blame("http.target").errorf("http.target: want http://host:port or https://host:port, got %s", quoteClip(h.Target))
		}
		if s.Transport != u.Scheme {
			return s.blame("transport", "http.target").errorf("transport: %s conflicts with http.target %s (set transport: %s)", s.Transport, quoteClip(h.Target), u.Scheme)
		}
	}
	for _, r := range []struct {
		path   string
		method string
		p      string
	}{
		{"http.login", h.Login.Method, h.Login.Path},
		{"http.validate", h.Validate.Method, h.Validate.Path},
		{"http.logout", h.Logout.Method, h.Logout.Path},
	} {
		if r.method != "" && !validMethod(r.method) {
			return s.blame(r.path+".method").errorf("%s.method: want an upper-case HTTP method such as GET or POST, got %s", r.path, quoteClip(r.method))
		}
		if r.p != "" && (!strings.HasPrefix(r.p, "/") || len(r.p) > 1024 || strings.ContainsAny(r.p, " \r\n\t")) {
			return s.blame(r.path+".path").errorf("%s.path: want an absolute path such as /login, got %s", r.path, quoteClip(r.p))
		}
	}
	for _, f := range []struct{ path, v string }{
		{"http.login.token", h.Login.Token}, {"http.login.refresh", h.Login.Refresh}, {"http.login.csrf", h.Login.CSRF},
	} {
		if f.v == "" {
			continue
		}
		kind, name, ok := strings.Cut(f.v, ":")
		if !ok || (kind != "json" && kind != "cookie") || name == "" || len(name) > 128 {
			return s.blame(f.path).errorf("%s: want json:FIELD or cookie:NAME, got %s", f.path, quoteClip(f.v))
		}
	}
	if s.Credential.In == "cookie" && strings.HasPrefix(h.Login.Token, "json:") {
		return s.blame("http.login.token", "credential.in").errorf("http.login.token: with credential.in cookie the credential must come back in a cookie (cookie:NAME), got %s", quoteClip(h.Login.Token))
	}
	if len(h.Login.Body) > 4096 {
		return s.blame("http.login.body").errorf("http.login.body: at most 4096 bytes, got %d", len(h.Login.Body))
	}
	return nil
}

func validMethod(m string) bool {
	if m == "" || len(m) > 16 {
		return false
	}
	for _, c := range m {
		if c < 'A' || c > 'Z' {
			return false
		}
	}
	return true
}
