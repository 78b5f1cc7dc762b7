// Package redisproc gives authbench a Redis to talk to: a private
// redis-server it starts on a free loopback port and stops when the run ends,
// or the server named by a URL, behind one go-redis client.
//
// A private server is a throw-away: no persistence (--save "" --appendonly
// no), a temporary working directory, a random password (any local user can
// reach a loopback port; the password is in a mode-0600 config file, never on
// the command line where ps would show it), its own process group so a Ctrl-C in
// the terminal reaches authbench (which then stops it in order) rather than
// killing the store under a run that is still draining, and, on Linux, a
// parent-death signal so a crash of authbench never leaves it behind.
//
// The fault-injection methods (Kill, Pause, Resume) exist so that tests and
// fault scenarios can break the store for real instead of mocking it.
package redisproc

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// ErrNoRedisServer is returned (wrapped) when no Redis URL is configured and
// no redis-server binary is on PATH.
var ErrNoRedisServer = errors.New("redis-server not found on PATH (install it with `apt-get install redis-server` on Debian/Ubuntu, or set REDIS_URL)")

// StartTimeout bounds how long Start waits for a fresh server to answer PING.
const StartTimeout = 10 * time.Second

// stopGrace is how long Stop waits after SIGTERM before it sends SIGKILL.
const stopGrace = 3 * time.Second

// Server is a private redis-server process.
type Server struct {
	cmd      *exec.Cmd
	addr     string
	dir      string
	password string
	output   *boundedBuffer
	exited   chan struct{} // closed when the process has been reaped
	waitErr  error         // set before exited is closed

	stopOnce sync.Once
	stopErr  error
}

// Start runs a private redis-server on a free loopback port and waits until
// it answers PING. The server lives until Stop (or Kill), or until the
// calling process dies.
func Start(ctx context.Context) (*Server, error) {
	return start(ctx, "", nil)
}

// start is Start with a given password ("" for a random one) and extra
// configuration lines, asked for afresh on each attempt (a cluster node
// needs a free port for its bus too).
func start(ctx context.Context, password string, extraConf func() (string, error)) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, fmt.Errorf("start private redis: %w", ErrNoRedisServer)
	}
	// A free port found by listening on :0 can be taken by someone else
	// before redis-server binds it; a few attempts make that race harmless.
	var lastErr error
	for attempt := 0; attempt < 3; attempt++ {
		s, err := startOnce(ctx, bin, password, extraConf)
		if err == nil {
			return s, nil
		}
		lastErr = err
		if ctx.Err() != nil {
			break
		}
	}
	return nil, lastErr
}

func startOnce(ctx context.Context, bin, password string, extraConf func() (string, error)) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, fmt.Errorf("start private redis: find a free port: %w", err)
	}
	dir, err := os.MkdirTemp("", "authbench-redis-") // mode 0700
	if err != nil {
		return nil, fmt.Errorf("start private redis: %w", err)
	}
	if password == "" {
		password = newPassword()
	}
	s := &Server{
		addr:     net.JoinHostPort("127.0.0.1", strconv.Itoa(port)),
		dir:      dir,
		password: password,
	}
	conf := "requirepass " + s.password + "\n"
	if extraConf != nil {
		extra, err := extraConf()
		if err != nil {
			os.RemoveAll(dir)
			return nil, fmt.Errorf("start private redis: %w", err)
		}
		conf += extra
	}
	if err := os.WriteFile(s.confPath(), []byte(conf), 0o600); err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("start private redis: %w", err)
	}
	if err := s.launch(ctx, bin, port); err != nil {
		os.RemoveAll(dir)
		return nil, err
	}
	return s, nil
}

// newPassword returns 128 random bits in hex.
func newPassword() string {
	var pw [16]byte
	rand.Read(pw[:]) // never fails (crypto/rand since Go 1.24)
	return hex.EncodeToString(pw[:])
}

func (s *Server) confPath() string { return filepath.Join(s.dir, "redis.conf") }

// launch starts the process and waits until it answers.
func (s *Server) launch(ctx context.Context, bin string, port int) error {
	s.output = &boundedBuffer{max: 8 << 10}
	s.exited = make(chan struct{})
	// exec.Command, not CommandContext: the server must outlive the start
	// context, and its end is Stop's business.
	s.cmd = exec.Command(bin, s.confPath(),
		"--port", strconv.Itoa(port),
		"--bind", "127.0.0.1",
		"--save", "",
		"--appendonly", "no",
		"--dir", s.dir,
		"--daemonize", "no",
		"--protected-mode", "yes",
		"--loglevel", "warning",
	)
	s.cmd.Dir = s.dir
	s.cmd.Stdout = s.output
	s.cmd.Stderr = s.output
	s.cmd.SysProcAttr = sysProcAttr()
	if err := startProcess(s.cmd); err != nil {
		return fmt.Errorf("start private redis: %w", err)
	}
	cmd, exited := s.cmd, s.exited
	go func() {
		s.waitErr = cmd.Wait()
		processEnded()
		close(exited)
	}()
	if err := s.waitReady(ctx); err != nil {
		_ = s.Kill()
		return fmt.Errorf("start private redis on %s: %w; server output: %q", s.addr, err, s.output.String())
	}
	return nil
}

// Restart kills the server (SIGKILL, as in a crash) and starts a new one on
// the same port with the same password: without persistence the new server
// is empty, which is how a store that loses its data looks to a client.
func (s *Server) Restart(ctx context.Context) error {
	if err := s.Kill(); err != nil {
		return err
	}
	_, p, _ := net.SplitHostPort(s.addr)
	port, _ := strconv.Atoi(p)
	return s.launch(ctx, s.cmd.Path, port)
}

// waitReady polls PING until the server answers, the process exits, ctx is
// done or StartTimeout passes.
func (s *Server) waitReady(ctx context.Context) error {
	deadline := time.Now().Add(StartTimeout)
	for delay := 5 * time.Millisecond; ; delay = min(delay*2, 100*time.Millisecond) {
		if err := ping(ctx, s.addr); err == nil {
			return nil
		} else if time.Now().After(deadline) {
			return fmt.Errorf("no answer to PING within %v: %w", StartTimeout, err)
		}
		select {
		case <-s.exited:
			return fmt.Errorf("redis-server exited: %v", s.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(delay):
		}
	}
}

// ping sends an inline PING and expects +PONG, or -NOAUTH from a server
// that wants its password: either way the server is up. It uses no client
// library, so Start does not depend on how the caller configures go-redis.
func ping(ctx context.Context, addr string) error {
	d := net.Dialer{Timeout: 500 * time.Millisecond}
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(500 * time.Millisecond))
	if _, err := c.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return err
	}
	if l := strings.TrimSpace(line); l != "+PONG" && !strings.HasPrefix(l, "-NOAUTH") {
		return fmt.Errorf("unexpected PING reply %q", strings.TrimSpace(line))
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// Addr is host:port of the server.
func (s *Server) Addr() string { return s.addr }

// URL is the redis:// URL of the server, with its password: pass it to a
// client, print Redact(URL()).
func (s *Server) URL() string { return "redis://:" + s.password + "@" + s.addr }

// Password is the server's password (AUTH).
func (s *Server) Password() string { return s.password }

// PID is the server's process ID.
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Stop terminates the server (SIGTERM, then SIGKILL after a grace period),
// waits for it and removes its directory. It is safe to call more than once
// and after Kill; later calls return the first result.
func (s *Server) Stop() error {
	s.stopOnce.Do(func() {
		select {
		case <-s.exited:
		default:
			_ = s.cmd.Process.Signal(syscall.SIGTERM)
			// A paused (SIGSTOP) server would never act on SIGTERM.
			_ = s.cmd.Process.Signal(syscall.SIGCONT)
			select {
			case <-s.exited:
			case <-time.After(stopGrace):
				_ = s.cmd.Process.Kill()
				<-s.exited
			}
		}
		s.stopErr = os.RemoveAll(s.dir)
	})
	return s.stopErr
}

// Kill sends SIGKILL and waits until the process is gone: the store dies
// without a word, as in a crash. Stop is still needed to clean up.
func (s *Server) Kill() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	if err := s.cmd.Process.Kill(); err != nil {
		return fmt.Errorf("kill redis-server: %w", err)
	}
	<-s.exited
	return nil
}

// Pause sends SIGSTOP: connections stay open and requests go unanswered,
// which is how an overloaded or swapping server looks to a client.
func (s *Server) Pause() error { return s.signal(syscall.SIGSTOP) }

// Resume sends SIGCONT after Pause.
func (s *Server) Resume() error { return s.signal(syscall.SIGCONT) }

func (s *Server) signal(sig syscall.Signal) error {
	select {
	case <-s.exited:
		return fmt.Errorf("redis-server %s: process has exited", s.addr)
	default:
	}
	if err := s.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("signal redis-server: %w", err)
	}
	return nil
}

// boundedBuffer keeps the first max bytes of the server's output for error
// messages; a chatty server cannot grow it without bound.
type boundedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
	max int
}

func (b *boundedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if room := b.max - b.buf.Len(); room > 0 {
		b.buf.Write(p[:min(len(p), room)])
	}
	return len(p), nil
}

func (b *boundedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return strings.TrimSpace(b.buf.String())
}
