package main

import (
	"context"
	"crypto/tls"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/httpserve"
	"github.com/authbench/authbench/internal/keys"
)

const serveUsage = `Usage: authbench serve --backend NAME [flags]

Runs one validator node of a backend behind authbench's HTTP server, alone in
this process, until Ctrl-C or SIGTERM: the server that transport http|https
starts on loopback for every run, for a load generator on another core or
machine, for "authbench run" with http.target, or for wrk and other tools.

Routes: POST /login {"user":"NAME"}, POST /refresh, POST /logout,
GET /api/resource (one validation), POST /api/resource (a state change,
CSRF-checked in cookie mode), GET /noop (no authentication) and
GET /.well-known/authbench/stats (validations and their time).

Redis backends use REDIS_URL, or start a private redis-server.

Examples:
  authbench serve --backend jwt-hs256
  authbench serve --backend session-redis --addr 127.0.0.1:9000 --credential cookie
  authbench keys gen --out keys && authbench serve --backend jwt-es256 --tls --keys keys --h2

Flags:
`

// cmdServe runs `authbench serve`.
func cmdServe(args []string, stdout, stderr io.Writer) int {
	d := backends.DefaultToken
	fs := flag.NewFlagSet("authbench serve", flag.ContinueOnError)
	fs.SetOutput(stderr)
	backend := fs.String("backend", "", "backend `NAME` (see authbench list)")
	addr := fs.String("addr", "127.0.0.1:8080", "listen address (port 0: any free port)")
	keysDir := fs.String("keys", "", "key folder written by `authbench keys gen`: token keys and the TLS certificate")
	useTLS := fs.Bool("tls", false, "serve HTTPS (TLS 1.3) with the key folder's certificate")
	h2 := fs.Bool("h2", false, "offer HTTP/2 (with --tls)")
	credential := fs.String("credential", "header", "where the credential travels: header (Authorization: Bearer) or cookie")
	sameSite := fs.String("same-site", "lax", "cookie mode: SameSite attribute, lax, strict or none")
	csrf := fs.String("csrf", "on", "cookie mode: double-submit CSRF check, on or off (off only to show the attack)")
	fs.Duration("ttl", d.TTL, "token lifetime (token.ttl)")
	fs.Duration("leeway", d.Leeway, "clock skew allowed (token.leeway)")
	fs.Int("claims-bytes", d.ClaimsBytes, "size of the claims set in bytes (token.claims_bytes)")
	var opts optionFlags
	fs.Var(&opts, "option", "backend option `key=value`, as options.<backend>.key in a scenario (repeatable)")
	fs.Usage = func() { tkPrintUsage(fs, serveUsage) }
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK
		}
		return exitUsage
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "authbench serve: "+format+"\n", a...)
		return exitUsage
	}
	entry, ok := backends.Lookup(*backend)
	switch {
	case fs.NArg() > 0:
		return fail("unexpected argument %q", fs.Arg(0))
	case *backend == "":
		return fail("--backend NAME is required (see authbench list)")
	case !ok:
		return fail("unknown backend %q (see authbench list)", *backend)
	case *csrf != "on" && *csrf != "off":
		return fail("--csrf %q: want on or off", *csrf)
	case *h2 && !*useTLS:
		return fail("--h2 needs --tls (no cleartext HTTP/2)")
	}
	srvCfg := httpserve.Config{Credential: *credential, SameSite: *sameSite, NoCSRF: *csrf == "off"}
	if err := srvCfg.Check(); err != nil { // before Redis or keys are touched
		return fail("%s", trimPkg(err))
	}

	// The token flags and --option are applied as scenario fields are,
	// with the same checks and messages.
	sc, err := tokenScenario(fs, &tokenFlags{backend: *backend, options: opts})
	if err != nil {
		return fail("%v", err)
	}
	env := &backends.Env{
		Token: sc.Token, Redis: sc.Redis, KeysDir: sc.Keys, Options: sc.Options[*backend],
		Namespace: fmt.Sprintf("authbench:serve:%d:", os.Getpid()),
	}
	var tlsCfg *keys.TLS
	if *useTLS {
		if *keysDir == "" {
			return fail("--tls needs --keys DIR (a folder from `authbench keys gen`), so that clients can trust its certificate")
		}
		if tlsCfg, err = keys.LoadTLS(*keysDir); err != nil {
			return fail("%s", trimPkg(err))
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if entry.Info.NeedsRedis {
		if redisConnector == nil {
			fmt.Fprintf(stderr, "authbench serve: %s needs Redis, which this build lacks\n", *backend)
			return exitFailure
		}
		cli, closeRedis, err := redisConnector(ctx, env.Redis)
		if err != nil {
			fmt.Fprintf(stderr, "authbench serve: %s needs Redis: %v\n", *backend, err)
			return exitFailure
		}
		defer closeRedis()
		env.RedisClient = cli
	}
	node, err := backends.Open(*backend, env)
	if err != nil {
		fmt.Fprintf(stderr, "authbench serve: %v\n", err)
		return exitFailure
	}
	defer node.Close()
	srv, _ := httpserve.New(node, srvCfg)
	var stls *tls.Config
	if tlsCfg != nil {
		stls = tlsCfg.ServerConfig()
	}
	l, err := httpserve.Listen(srv, *addr, stls, *h2)
	if err != nil {
		fmt.Fprintf(stderr, "authbench serve: %v\n", err)
		return exitFailure
	}
	// Scripts and tests wait for this line: it says the port is open.
	fmt.Fprintf(stdout, "authbench serve: %s (%s, credential in %s) listening on %s\n", *backend, entry.Info.Family, srv.Config().Credential, l.URL)
	<-ctx.Done()
	sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = l.Shutdown(sctx)
	st := srv.Stats()
	fmt.Fprintf(stdout, "authbench serve: stopped after %d validations\n", st.Validations)
	return exitOK
}

func trimPkg(err error) string {
	s := err.Error()
	for _, p := range []string{"httpserve: ", "keys: "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}
