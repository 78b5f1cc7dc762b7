package redisproc

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/testutil"
)

func TestMain(m *testing.M) {
	if os.Getenv("REDISPROC_CHILD") == "1" {
		orphanChild()
		return
	}
	goleak.VerifyTestMain(m)
}

func needServer(t *testing.T) *Server {
	t.Helper()
	s, err := Start(context.Background())
	// redistest.RequireEnv; redistest imports this package, so it is spelt out.
	if errors.Is(err, ErrNoRedisServer) && os.Getenv("AUTHBENCH_REQUIRE_REDIS") != "1" {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Stop() })
	return s
}

func alive(pid int) bool {
	// Signal 0 checks existence; a reaped process is gone, a zombie of a
	// dead parent is reaped by init quickly.
	err := syscall.Kill(pid, 0)
	return err == nil
}

func TestStartStop(t *testing.T) {
	s := needServer(t)
	if err := ping(context.Background(), s.Addr()); err != nil {
		t.Fatalf("ping after Start: %v", err)
	}
	if !strings.HasPrefix(s.URL(), "redis://:"+s.Password()+"@127.0.0.1:") {
		t.Errorf("URL = %q", s.URL())
	}
	dir := s.dir
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("second Stop: %v", err)
	}
	if err := ping(context.Background(), s.Addr()); err == nil {
		t.Error("server still answers after Stop")
	}
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("server directory %s not removed: %v", dir, err)
	}
}

func TestKill(t *testing.T) {
	s := needServer(t)
	if err := s.Kill(); err != nil {
		t.Fatal(err)
	}
	if err := ping(context.Background(), s.Addr()); err == nil {
		t.Error("server answers after Kill")
	}
	if err := s.Pause(); err == nil {
		t.Error("Pause after Kill: want an error")
	}
	if err := s.Stop(); err != nil {
		t.Fatalf("Stop after Kill: %v", err)
	}
}

func TestPauseResume(t *testing.T) {
	s := needServer(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	if err := ping(context.Background(), s.Addr()); err == nil {
		t.Fatal("paused server answered PING")
	}
	if err := s.Resume(); err != nil {
		t.Fatal(err)
	}
	if err := ping(context.Background(), s.Addr()); err != nil {
		t.Fatalf("PING after Resume: %v", err)
	}
}

func TestStopPaused(t *testing.T) {
	s := needServer(t)
	if err := s.Pause(); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > stopGrace {
		t.Errorf("Stop of a paused server took %v; want well under the %v grace", d, stopGrace)
	}
}

func TestNoRedisServer(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("REDIS_URL", "")
	_, err := Connect(context.Background(), backends.RedisConfig{})
	if !errors.Is(err, ErrNoRedisServer) {
		t.Fatalf("Connect without redis-server: %v, want ErrNoRedisServer", err)
	}
	if !errors.Is(err, backends.ErrUnavailable) {
		t.Errorf("Connect without redis-server: %v, want it to wrap backends.ErrUnavailable so runs skip Redis backends", err)
	}
	if !strings.Contains(err.Error(), "apt-get install redis-server") {
		t.Errorf("error does not say how to install Redis: %v", err)
	}
}

func TestConnect(t *testing.T) {
	s := needServer(t)
	tests := []struct {
		name    string
		cfg     backends.RedisConfig
		env     string
		private bool
		wantErr string
	}{
		{name: "url", cfg: backends.RedisConfig{URL: s.URL(), PoolSize: 4}},
		{name: "env", env: s.URL()},
		{name: "private", private: true},
		{name: "bad scheme", cfg: backends.RedisConfig{URL: "http://x"}, wantErr: "invalid URL scheme"},
		// The dial error itself, not go-redis's "context deadline exceeded".
		{name: "unreachable", cfg: backends.RedisConfig{URL: "redis://127.0.0.1:1", Timeout: 100 * time.Millisecond}, wantErr: "cannot be reached: dial tcp 127.0.0.1:1: connect: connection refused"},
		{name: "no socket", cfg: backends.RedisConfig{URL: "unix:///nonexistent/redis.sock", Timeout: 100 * time.Millisecond}, wantErr: "cannot be reached: dial unix /nonexistent/redis.sock: connect: no such file or directory"},
		{name: "password redacted", cfg: backends.RedisConfig{URL: "redis://u:secret@127.0.0.1:1", Timeout: 100 * time.Millisecond}, wantErr: "xxxxx"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("REDIS_URL", tt.env)
			c, err := Connect(context.Background(), tt.cfg)
			if tt.wantErr != "" {
				if err == nil {
					c.Close()
					t.Fatalf("want error containing %q", tt.wantErr)
				}
				if !strings.Contains(err.Error(), tt.wantErr) || strings.Contains(err.Error(), "secret") {
					t.Fatalf("error %q: want it to contain %q and no password", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer c.Close()
			if (c.Server != nil) != tt.private {
				t.Errorf("private server = %v, want %v", c.Server != nil, tt.private)
			}
			if err := c.Client.Set(context.Background(), "k", "v", time.Second).Err(); err != nil {
				t.Fatal(err)
			}
			if tt.private {
				pid := c.Server.PID()
				c.Close()
				if alive(pid) {
					t.Errorf("private server %d still running after Close", pid)
				}
			}
		})
	}
}

// TestServerDiesWithParent runs a child process that starts a server and
// exits without stopping it: the parent-death signal must take it down.
func TestServerDiesWithParent(t *testing.T) {
	needServer(t) // skips without redis-server
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), "REDISPROC_CHILD=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil {
		t.Fatalf("child: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("child said %q", line)
	}
	_ = cmd.Wait()
	if testutil.Wait(3*time.Second, func() error {
		if alive(pid) {
			return errors.New("alive")
		}
		return nil
	}) != nil {
		syscall.Kill(pid, syscall.SIGKILL)
		t.Fatalf("redis-server %d outlived its parent", pid)
	}
}

func orphanChild() {
	s, err := Start(context.Background())
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(s.PID())
	os.Exit(0) // no Stop: the kernel must clean up
}
