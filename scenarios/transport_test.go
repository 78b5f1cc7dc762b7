package scenarios

import (
	"testing"
	"time"
)

// The transport fields are checked like the others, with the position of
// the offending value.
func TestTransportRefusals(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, yaml, want string }{
		{"transport", base + "transport: grpc\n", `t.yaml:3:12: transport: must be "inproc", "http" or "https", got "grpc"`},
		{"credential", base + "credential: {in: query}\n", `t.yaml:3:18: credential.in: must be "header" or "cookie", got "query"`},
		{"same site", base + "credential: {same_site: lax-ish}\n", `t.yaml:3:25: credential.same_site: must be "lax", "strict" or "none", got "lax-ish"`},
		{"csrf", base + "csrf: maybe\n", `t.yaml:3:7: csrf: must be "on" or "off", got "maybe"`},
		{"new connections", base + "http: {new_connections: 1.5}\n", "t.yaml:3:25: http.new_connections: must be a share within 0 .. 1, got 1.5"},
		{"resumption", base + "http: {resumption: -1}\n", "t.yaml:3:20: http.resumption: must be a share within 0 .. 1, got -1"},
		{"timeout", base + "http: {timeout: 0s}\n", "t.yaml:3:17: http.timeout: must be > 0 and at most 1m, got 0s"},
		{"h2 over http", base + "transport: http\nhttp: {h2: true}\n", "t.yaml:4:12: http.h2: HTTP/2 needs transport https (authbench does not speak cleartext h2c)"},
		{"attack", base + "attack: {csrf: -1}\n", "t.yaml:3:16: attack.csrf: must be within 0 .. 100000 forged requests per second, got -1"},
		{"target scheme", base + "transport: http\nhttp: {target: \"ftp://x\"}\n", `t.yaml:4:16: http.target: want http://host:port or https://host:port, got "ftp://x"`},
		{"target transport", base + "transport: http\nhttp: {target: \"https://127.0.0.1:1\"}\n", `t.yaml:3:12: transport: http conflicts with http.target "https://127.0.0.1:1" (set transport: https)`},
		{"target inproc", base + "http: {target: \"http://127.0.0.1:1\"}\n", `t.yaml:3:16: transport: inproc conflicts with http.target "http://127.0.0.1:1" (set transport: http)`},
		{"method", base + "http: {login: {method: post}}\n", `t.yaml:3:24: http.login.method: want an upper-case HTTP method such as GET or POST, got "post"`},
		{"path", base + "http: {validate: {path: api}}\n", `t.yaml:3:25: http.validate.path: want an absolute path such as /login, got "api"`},
		{"token source", base + "http: {login: {token: header:x}}\n", `t.yaml:3:23: http.login.token: want json:FIELD or cookie:NAME, got "header:x"`},
		{"cookie from json", base + "credential: {in: cookie}\nhttp: {login: {token: json:t}}\n", `t.yaml:4:23: http.login.token: with credential.in cookie the credential must come back in a cookie (cookie:NAME), got "json:t"`},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := ParseBytes("t.yaml", []byte(tt.yaml))
			if err == nil || err.Error() != tt.want {
				t.Errorf("got  %v\nwant %s", err, tt.want)
			}
		})
	}
}

// Defaults leave runs in-process; the fields sweep like any other.
func TestTransportDefaultsAndSweep(t *testing.T) {
	s, err := ParseBytes("t.yaml", []byte(base+"sweep:\n  transport: [inproc, https]\n  credential.in: [header, cookie]\n"))
	if err != nil {
		t.Fatal(err)
	}
	d := Defaults()
	if d.Transport != "inproc" || d.Credential.In != "header" || d.Credential.SameSite != "lax" || d.CSRF != "on" ||
		d.HTTP.Timeout != time.Second || d.HTTP.Resumption != 0.5 || d.OverHTTP() {
		t.Errorf("defaults %+v %+v %q %+v", d.Transport, d.Credential, d.CSRF, d.HTTP)
	}
	plan, err := Plan(s)
	if err != nil {
		t.Fatal(err)
	}
	var over, cookie int
	for _, r := range plan {
		if r.Scenario.OverHTTP() {
			over++
		}
		if r.Scenario.Credential.In == "cookie" {
			cookie++
		}
	}
	if len(plan) != 4*s.Repeat || over != 2*s.Repeat || cookie != 2*s.Repeat {
		t.Errorf("plan of %d runs, %d over HTTP, %d with cookies", len(plan), over, cookie)
	}
}
