package redisproc

import (
	"bufio"
	"context"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/authbench/authbench/backends"
)

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"", ""},
		{"redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"},
		{"redis://:s3cretpw@127.0.0.1:6379/0", "redis://xxxxx@127.0.0.1:6379/0"},
		{"redis://alice:s3cretpw@h:1", "redis://xxxxx@h:1"},
		{"rediss://alice@h:1", "rediss://xxxxx@h:1"},
		{"redis://h:1/0?password=s3cretpw&dial_timeout=1s", "redis://h:1/0?dial_timeout=1s&password=xxxxx"},
		{"redis://:s3cretpw@h:bad/0", "(unparsable URL, redacted)"},
		{"unix:///tmp/redis.sock", "unix:///tmp/redis.sock"},
	} {
		if got := Redact(tc.in); got != tc.want {
			t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// A bad URL's error must not quote the password (url.Error prints the
// whole URL).
func TestNewClientErrorHidesPassword(t *testing.T) {
	_, err := NewClient("redis://:s3cretpw@127.0.0.1:bad/0", backends.RedisConfig{})
	if err == nil || strings.Contains(err.Error(), "s3cretpw") {
		t.Fatalf("NewClient error = %v, want an error without the password", err)
	}
}

// The private server must refuse a client that does not know its password,
// and the password must not be on its command line (ps shows that).
func TestPrivateServerNeedsPassword(t *testing.T) {
	s := needServer(t)
	if s.Password() == "" || !strings.Contains(s.URL(), s.Password()) {
		t.Fatalf("URL %q does not carry a password", s.URL())
	}
	if strings.Contains(strings.Join(s.cmd.Args, " "), s.Password()) {
		t.Errorf("password on the command line: %q", s.cmd.Args)
	}
	c, err := net.DialTimeout("tcp", s.Addr(), time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(2 * time.Second))
	if _, err := c.Write([]byte("SET k v\r\n")); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(line, "-NOAUTH") {
		t.Fatalf("command without AUTH answered %q, want -NOAUTH", strings.TrimSpace(line))
	}
	client, err := NewClient(s.URL(), backends.RedisConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	if err := client.Ping(context.Background()).Err(); err != nil {
		t.Fatalf("PING with the URL's password: %v", err)
	}
	if got := Redact(s.URL()); strings.Contains(got, s.Password()) {
		t.Errorf("Redact(URL) = %q still holds the password", got)
	}
}

// Restart brings back an empty server on the same address and password.
func TestRestartLosesData(t *testing.T) {
	s := needServer(t)
	client, err := NewClient(s.URL(), backends.RedisConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer client.Close()
	ctx := context.Background()
	if err := client.Set(ctx, "k", "v", 0).Err(); err != nil {
		t.Fatal(err)
	}
	pid := s.PID()
	if err := s.Restart(ctx); err != nil {
		t.Fatal(err)
	}
	if s.PID() == pid {
		t.Fatal("Restart kept the old process")
	}
	n, err := client.Exists(ctx, "k").Result()
	if err != nil {
		t.Fatalf("after Restart: %v", err)
	}
	if n != 0 {
		t.Fatal("key survived a restart without persistence")
	}
}
