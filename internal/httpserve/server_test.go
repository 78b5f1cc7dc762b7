package httpserve

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

func serve(t testing.TB, cfg Config) (*Listener, backends.Strategy) {
	t.Helper()
	node, err := backends.Open("jwt-hs256", &backends.Env{Token: backends.DefaultToken})
	if err != nil {
		t.Fatal(err)
	}
	s, err := New(node, cfg)
	if err != nil {
		t.Fatal(err)
	}
	l, err := Listen(s, "127.0.0.1:0", nil, false)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { l.Close(); node.Close() })
	return l, node
}

// raw sends request bytes as they are (net/http's client would refuse
// most of these) and returns the status code of the answer.
func raw(t *testing.T, addr, req string) int {
	t.Helper()
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	c.SetDeadline(time.Now().Add(10 * time.Second))
	if _, err := io.WriteString(c, req); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(c), nil)
	if err != nil {
		t.Fatalf("no response: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode
}

func get(auth string, extra ...string) string {
	var b strings.Builder
	b.WriteString("GET " + PathResource + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n")
	if auth != "" {
		b.WriteString("Authorization: " + auth + "\r\n")
	}
	for _, h := range extra {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return b.String()
}

// Malformed Authorization headers are refused with 401 (or 400 where
// net/http itself refuses the bytes), never 500, never accepted.
func TestMalformedAuthorization(t *testing.T) {
	l, node := serve(t, Config{})
	c, err := node.Issue(context.Background(), "alice")
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name string
		req  string
		want int
	}{
		{"valid", get("Bearer " + c.Token), 200},
		{"scheme in lower case", get("bearer " + c.Token), 200},
		{"none", get(""), 401},
		{"scheme only", get("Bearer"), 401},
		{"empty token", get("Bearer "), 401},
		{"basic", get("Basic dXNlcjpwYXNz"), 401},
		{"two tokens", get("Bearer " + c.Token + " " + c.Token), 401},
		{"two headers", get("Bearer "+c.Token, "Authorization: Bearer "+c.Token), 401},
		{"not token68", get("Bearer {\"alg\":\"none\"}"), 401},
		{"padding inside", get("Bearer ab=cd"), 401},
		{"utf-8", get("Bearer jötäken"), 401},
		{"tampered", get("Bearer " + c.Token + "A"), 401},
		{"garbage", get("Bearer " + strings.Repeat("A", 6000)), 401},
		{"control byte", get("Bearer a\x01b"), 400},
		{"cookie in header mode", get("", "Cookie: "+CookieAuth+"="+c.Token), 401},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := raw(t, l.Addr(), tc.req); got != tc.want {
				t.Errorf("status %d, want %d", got, tc.want)
			}
		})
	}
}

// Headers and cookies beyond the limit are refused with 431 before any
// handler runs, and the server goes on serving.
func TestOversizedHeadersRefused(t *testing.T) {
	l, node := serve(t, Config{MaxHeaderBytes: 4 << 10})
	c, _ := node.Issue(context.Background(), "alice")
	huge := strings.Repeat("A", 16<<10) // net/http allows MaxHeaderBytes + 4 KiB of slack
	for name, req := range map[string]string{
		"authorization": get("Bearer " + huge),
		"cookie":        get("", "Cookie: "+CookieAuth+"="+huge),
		"many headers":  get("Bearer "+c.Token, strings.Repeat("X-Pad: "+strings.Repeat("p", 100)+"\r\n", 200)[:200*109-2]),
	} {
		if got := raw(t, l.Addr(), req); got != http.StatusRequestHeaderFieldsTooLarge {
			t.Errorf("%s: status %d, want 431", name, got)
		}
	}
	if got := raw(t, l.Addr(), get("Bearer "+c.Token)); got != 200 {
		t.Errorf("after the oversized requests: status %d, want 200", got)
	}
	if v := l.Server.Stats().Validations; v != 1 {
		t.Errorf("%d validations, want 1: an oversized request reached the backend", v)
	}
}

// Oversized and malformed bodies on login and logout: 413 and 400.
func TestBodiesChecked(t *testing.T) {
	l, _ := serve(t, Config{MaxBodyBytes: 128})
	post := func(path, body string) int {
		return raw(t, l.Addr(), fmt.Sprintf("POST %s HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", path, len(body), body))
	}
	for _, tc := range []struct {
		path, body string
		want       int
	}{
		{PathLogin, `{"user":"alice"}`, 200},
		{PathLogin, `{"user":"` + strings.Repeat("a", 500) + `"}`, 413},
		{PathLogin, `{"user":`, 400},
		{PathLogin, `{"user":"alice","admin":true}`, 400},
		{PathLogin, `{"user":""}`, 400},
		{PathLogout, `{"refresh_token":"x"}`, 401}, // no credential
	} {
		if got := post(tc.path, tc.body); got != tc.want {
			t.Errorf("POST %s %.40q: status %d, want %d", tc.path, tc.body, got, tc.want)
		}
	}
}

// In cookie mode a state change needs the double-submit token bound to
// the credential: missing, mismatched or copied from another user's
// session, it is refused with 403.
func TestCSRFDefence(t *testing.T) {
	l, node := serve(t, Config{Credential: InCookie})
	ctx := context.Background()
	a, _ := node.Issue(ctx, "alice")
	b, _ := node.Issue(ctx, "bob")
	s := l.Server
	ta, tb := s.csrfToken(a.Token), s.csrfToken(b.Token)
	post := func(cookies, header string) int {
		h := "Cookie: " + cookies + "\r\n"
		if header != "" {
			h += HeaderCSRF + ": " + header + "\r\n"
		}
		return raw(t, l.Addr(), "POST "+PathResource+" HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 0\r\n"+h+"\r\n")
	}
	auth := CookieAuth + "=" + a.Token
	for _, tc := range []struct {
		name            string
		cookies, header string
		want            int
	}{
		{"token in cookie and header", auth + "; " + CookieCSRF + "=" + ta, ta, 200},
		{"no token", auth, "", 403},
		{"cookie only", auth + "; " + CookieCSRF + "=" + ta, "", 403},
		{"header only", auth, ta, 403},
		{"mismatch", auth + "; " + CookieCSRF + "=" + ta, tb, 403},
		{"another user's token, planted in both", auth + "; " + CookieCSRF + "=" + tb, tb, 403},
		{"two auth cookies", auth + "; " + CookieAuth + "=" + b.Token + "; " + CookieCSRF + "=" + ta, ta, 401},
		{"no credential", CookieCSRF + "=" + ta, ta, 401},
	} {
		if got := post(tc.cookies, tc.header); got != tc.want {
			t.Errorf("%s: status %d, want %d", tc.name, got, tc.want)
		}
	}
	// A safe request needs no CSRF token.
	if got := raw(t, l.Addr(), get("", "Cookie: "+auth)); got != 200 {
		t.Errorf("GET with the cookie: %d, want 200", got)
	}
}

// Slow-loris clients that trickle their headers are cut off by the
// header time-out and counted; meanwhile the server answers others.
func TestSlowLoris(t *testing.T) {
	l, node := serve(t, Config{ReadHeaderTimeout: 200 * time.Millisecond})
	c, _ := node.Issue(context.Background(), "alice")
	const slow = 20
	var conns []net.Conn
	for range slow {
		sc, err := net.Dial("tcp", l.Addr())
		if err != nil {
			t.Fatal(err)
		}
		defer sc.Close()
		io.WriteString(sc, "GET "+PathResource+" HTTP/1.1\r\nHost: x\r\nX-Slow: ")
		conns = append(conns, sc)
	}
	if got := raw(t, l.Addr(), get("Bearer "+c.Token)); got != 200 {
		t.Errorf("while %d slow clients hold connections: status %d, want 200", slow, got)
	}
	// Every slow connection is closed by the server: a read ends with
	// EOF or a reset, not with the test's own deadline.
	for _, sc := range conns {
		sc.SetReadDeadline(time.Now().Add(10 * time.Second))
		if _, err := io.Copy(io.Discard, sc); errors.Is(err, os.ErrDeadlineExceeded) {
			t.Fatalf("slow connection not closed by the server: %v", err)
		}
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.Server.Stats().ConnsDropped < slow && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond) // the close is counted just after the socket shuts
	}
	if d := l.Server.Stats().ConnsDropped; d != slow {
		t.Errorf("%d connections counted as dropped, want %d", d, slow)
	}
}

// A reset storm: clients that reset their connections mid-request leave
// the server serving, and are counted.
func TestResetStorm(t *testing.T) {
	l, node := serve(t, Config{})
	c, _ := node.Issue(context.Background(), "alice")
	const resets = 50
	for range resets {
		rc, err := net.Dial("tcp", l.Addr())
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(rc, "GET "+PathResource+" HTTP/1.1\r\nHost: x\r\nAuthor")
		rc.(*net.TCPConn).SetLinger(0) // close sends RST
		rc.Close()
	}
	if got := raw(t, l.Addr(), get("Bearer "+c.Token)); got != 200 {
		t.Errorf("after %d resets: status %d, want 200", resets, got)
	}
	deadline := time.Now().Add(10 * time.Second)
	for l.Server.Stats().ConnsDropped < resets && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if d := l.Server.Stats().ConnsDropped; d != resets {
		t.Errorf("%d connections counted as dropped, want %d", d, resets)
	}
}

// FuzzCredential: the parsers of the Authorization header and the Cookie
// header never panic, and what they accept is token68 from the input.
func FuzzCredential(f *testing.F) {
	for _, s := range []string{"Bearer abc", "bearer a.b.c", "Bearer ", "Basic x", "Bearer a=b", "Bearer a==", CookieAuth + "=x; " + CookieAuth + "=y", " ; =;;" + CookieAuth + "=tok"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if tok, ok := BearerToken(s); ok && (!token68(tok) || !strings.HasSuffix(s, tok)) {
			t.Fatalf("BearerToken(%q) = %q", s, tok)
		}
		if v, ok := cookieValue(http.Header{"Cookie": {s}}, CookieAuth); ok && (!token68(v) || !strings.Contains(s, v)) {
			t.Fatalf("cookieValue(%q) = %q", s, v)
		}
	})
}
