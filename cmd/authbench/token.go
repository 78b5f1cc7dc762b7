package main

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/authbench/authbench/backends"
	"github.com/authbench/authbench/internal/redisproc"
	"github.com/authbench/authbench/scenarios"
)

const tokenUsage = `Usage:
  authbench token issue   --backend NAME --keys DIR [--sub S] [--ttl D] [--json]
  authbench token verify  --backend NAME --keys DIR [-v] TOKEN|-
  authbench token inspect TOKEN|-

issue prints one credential made by the backend, as a login would.

verify opens the backend exactly as a run does and calls the same Validate,
with the same options: it prints "accepted" (exit 0) or "rejected: REASON"
(exit 1), REASON in plain words (expired, wrong audience, algorithm not
allowed, signature invalid, unknown key id, revoked ...). Exit 2 is a usage
error; exit 3 means the backend could not decide (a store failure). Use it to
see why a server refuses a token, including tokens authbench did not make.

inspect prints the header and claims of a JWT without checking anything, and
only the protected header of a JWE (its payload is encrypted).

TOKEN "-" reads the token from standard input. Backends that need Redis use
REDIS_URL.

Examples:
  authbench keys gen --out keys
  tok=$(authbench token issue --backend jwt-es256 --keys keys --sub alice)
  authbench token verify --backend jwt-es256 --keys keys "$tok"
  authbench token verify --backend jwt-es256 --keys keys --audience billing "$tok"
  echo "$tok" | authbench token verify --backend jwt-hs256 --keys keys -
  authbench token issue --backend jwt-rs256 --keys keys --option bits=3072
  authbench token inspect "$tok"

Flags of issue and verify:
`

// tokenStdin is where TOKEN "-" is read from; tests replace it.
var tokenStdin io.Reader = os.Stdin

// Exit statuses of `authbench token`.
const (
	tokenAccepted  = 0
	tokenRejected  = 1
	tokenUsage2    = 2
	tokenUndecided = 3
)

// tokenNamespace prefixes the Redis keys of credentials made by hand, apart
// from every run's ("authbench:<run>:").
const tokenNamespace = "authbench:cli:"

// tokenFlagPaths maps the flags of issue and verify that stand for a
// scenario field to its path: they are applied, and checked, as a
// scenario's are.
var tokenFlagPaths = map[string]string{
	"ttl": "token.ttl", "leeway": "token.leeway", "issuer": "token.issuer",
	"audience": "token.audience", "claims-bytes": "token.claims_bytes", "keys": "keys",
}

// tokenFlags are the flags of issue and verify.
type tokenFlags struct {
	backend   string
	keysDir   string
	sub       string
	ttl       time.Duration
	leeway    time.Duration
	issuer    string
	audience  string
	claims    int
	namespace string
	options   optionFlags
	json      bool
	verbose   bool
}

// optionFlags collects repeated --option key=value.
type optionFlags []string

func (o *optionFlags) String() string { return strings.Join(*o, ",") }
func (o *optionFlags) Set(v string) error {
	if !strings.Contains(v, "=") {
		return fmt.Errorf("%q: want key=value", v)
	}
	*o = append(*o, v)
	return nil
}

func newTokenFlagSet(name string, w io.Writer, f *tokenFlags) *flag.FlagSet {
	d := scenarios.Defaults().Token
	fs := flag.NewFlagSet(strings.TrimSpace("token "+name), flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(&f.backend, "backend", "", "backend `NAME` (see authbench list)")
	fs.StringVar(&f.keysDir, "keys", "", "key folder written by `authbench keys gen`")
	fs.StringVar(&f.sub, "sub", "user-0", "issue: the user (sub claim) to log in")
	fs.DurationVar(&f.ttl, "ttl", d.TTL, "token lifetime (token.ttl)")
	fs.DurationVar(&f.leeway, "leeway", d.Leeway, "clock skew allowed on exp, nbf, iat (token.leeway)")
	fs.StringVar(&f.issuer, "issuer", d.Issuer, "issuer (token.issuer)")
	fs.StringVar(&f.audience, "audience", d.Audience, "audience (token.audience)")
	fs.IntVar(&f.claims, "claims-bytes", d.ClaimsBytes, "size of the claims set in bytes (token.claims_bytes)")
	fs.StringVar(&f.namespace, "namespace", tokenNamespace, "prefix of Redis keys, for backends that use Redis")
	fs.Var(&f.options, "option", "backend option `key=value`, as options.<backend>.key in a scenario (repeatable)")
	fs.BoolVar(&f.json, "json", false, "issue: print the whole credential as JSON")
	fs.BoolVar(&f.verbose, "v", false, "verify: also print the refusal's full text (the sentinels it carries)")
	return fs
}

// cmdToken runs `authbench token`.
func cmdToken(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || tkIsHelp(args[0]) {
		return helpOrUsage(args, newTokenFlagSet("", stderr, &tokenFlags{}), tokenUsage, stdout, stderr)
	}
	switch args[0] {
	case "issue", "verify":
		return tokenIssueVerify(args[0], args[1:], stdout, stderr)
	case "inspect":
		return tokenInspect(args[1:], stdout, stderr)
	}
	fmt.Fprintf(stderr, "authbench token: unknown subcommand %q (want issue, verify or inspect)\n", args[0])
	return tokenUsage2
}

func tokenIssueVerify(cmd string, args []string, stdout, stderr io.Writer) int {
	var f tokenFlags
	fs := newTokenFlagSet(cmd, stderr, &f)
	fs.Usage = func() { tkPrintUsage(fs, tokenUsage) }
	if cmd == "verify" {
		args = tokenLast(fs, args)
	}
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "authbench token %s: %s\n", cmd, fmt.Sprintf(format, a...))
		return tokenUsage2
	}
	var token string
	switch {
	case cmd == "issue" && fs.NArg() > 0:
		return fail("unexpected argument %q", fs.Arg(0))
	case cmd == "verify" && fs.NArg() != 1:
		return fail("want one TOKEN (or - for standard input), got %d arguments", fs.NArg())
	case cmd == "verify":
		var err error
		if token, err = readTokenArg(fs.Arg(0)); err != nil {
			return fail("%v", err)
		}
	}
	if f.backend == "" {
		return fail("--backend NAME is required (see authbench list)")
	}
	entry, ok := backends.Lookup(f.backend)
	if !ok {
		return fail("unknown backend %q (see authbench list)", f.backend)
	}
	if entry.Info.NeedsKeys && f.keysDir == "" {
		return fail("--keys DIR is required for %s (write one with: authbench keys gen --out DIR)", f.backend)
	}
	sc, err := tokenScenario(fs, &f)
	if err != nil {
		return fail("%v", err)
	}
	env := &backends.Env{
		Token: sc.Token, Redis: sc.Redis, KeysDir: sc.Keys,
		Options: sc.Options[f.backend], Namespace: f.namespace,
	}
	if entry.Info.NeedsRedis {
		// A private server would forget the credential on exit: the
		// backend must use a Redis that outlives this command.
		if env.Redis.URL = os.Getenv("REDIS_URL"); env.Redis.URL == "" {
			return fail("%s needs Redis: set REDIS_URL (for example REDIS_URL=redis://127.0.0.1:6379/0)", f.backend)
		}
		conn, err := redisproc.Connect(context.Background(), env.Redis)
		if err != nil {
			fmt.Fprintf(stderr, "authbench token %s: %v\n", cmd, err)
			return tokenUndecided
		}
		defer conn.Close()
		env.RedisClient = conn.Client
	}
	s, err := backends.Open(f.backend, env)
	if err != nil {
		return fail("%v", err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()

	if cmd == "issue" {
		if entry.Info.Stateful && !entry.Info.NeedsRedis {
			fmt.Fprintf(stderr, "note: %s keeps its sessions in this process only; token verify will not know this one\n", f.backend)
		}
		c, err := s.Issue(ctx, f.sub)
		if err != nil {
			fmt.Fprintf(stderr, "authbench token issue: %v\n", err)
			return tokenUndecided
		}
		if f.json {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			enc.Encode(struct {
				Token     string    `json:"token"`
				Refresh   string    `json:"refresh,omitempty"`
				Subject   string    `json:"subject"`
				ID        string    `json:"id"`
				ExpiresAt time.Time `json:"expires_at,omitzero"`
				Bytes     int       `json:"token_bytes"`
			}{c.Token, c.Refresh, c.Subject, c.ID, c.ExpiresAt, len(c.Token)})
			return 0
		}
		fmt.Fprintln(stdout, c.Token)
		return 0
	}

	err = s.Validate(ctx, token)
	switch {
	case err == nil:
		fmt.Fprintln(stdout, "accepted")
		return tokenAccepted
	case backends.IsRejection(err):
		fmt.Fprintf(stdout, "rejected: %s\n", backends.Explain(err))
		if f.verbose {
			fmt.Fprintf(stdout, "detail: %v\n", err)
		}
		return tokenRejected
	}
	fmt.Fprintf(stderr, "authbench token verify: could not decide: %v\n", err)
	return tokenUndecided
}

// tokenScenario applies the flags that stand for scenario fields, and the
// --option flags, to a scenario holding the defaults of a run: a token made
// by hand gets the settings, and the checks, of one made during a run, and
// a bad value is refused with the message a scenario would get.
func tokenScenario(fs *flag.FlagSet, f *tokenFlags) (*scenarios.Scenario, error) {
	sc := scenarios.NewDefault()
	sc.Name, sc.Backends = "token", []string{f.backend}
	var ovs []scenarios.Override
	fs.Visit(func(fl *flag.Flag) {
		if path, ok := tokenFlagPaths[fl.Name]; ok {
			ovs = append(ovs, scenarios.Override{Flag: flagText(fl), Path: path, Value: fl.Value.String()})
		}
	})
	for _, kv := range f.options {
		k, v, _ := strings.Cut(kv, "=")
		ovs = append(ovs, scenarios.Override{Flag: "--option " + kv, Path: "options." + f.backend + "." + k, Value: v})
	}
	return sc, scenarios.ApplyOverrides(sc, ovs)
}

// maxTokenInput bounds what is read from standard input: far above any
// backend's limit, so "too large" is still the backend's answer.
const maxTokenInput = 16 << 20

// readTokenArg returns arg, or standard input when arg is "-", trimmed of
// surrounding white space (a trailing newline from echo, for instance).
func readTokenArg(arg string) (string, error) {
	if arg != "-" {
		return strings.TrimSpace(arg), nil
	}
	b, err := io.ReadAll(io.LimitReader(tokenStdin, maxTokenInput))
	if err != nil {
		return "", fmt.Errorf("reading standard input: %v", err)
	}
	return strings.TrimSpace(string(b)), nil
}

func tokenInspect(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("token inspect", flag.ContinueOnError)
	fs.Usage = func() { fmt.Fprint(fs.Output(), "Usage: authbench token inspect TOKEN|-\n") }
	if status, ok := parseFlags(fs, args, stdout, stderr); !ok {
		return status
	}
	if fs.NArg() != 1 {
		fmt.Fprintln(stderr, "authbench token inspect: want one TOKEN (or - for standard input)")
		return tokenUsage2
	}
	token, err := readTokenArg(fs.Arg(0))
	if err != nil {
		fmt.Fprintf(stderr, "authbench token inspect: %v\n", err)
		return tokenUsage2
	}
	if err := inspect(stdout, token); err != nil {
		fmt.Fprintf(stderr, "authbench token inspect: %v\n", err)
		return 1
	}
	return 0
}

// inspect prints what a token says about itself, without believing it.
func inspect(w io.Writer, token string) error {
	segs := strings.Split(token, ".")
	kind := ""
	switch len(segs) {
	case 3:
		kind = "JWS (signed JWT)"
	case 5:
		kind = "JWE (encrypted)"
	default:
		return fmt.Errorf("%d dot-separated parts: not a compact JWS (3) or JWE (5)", len(segs))
	}
	header, err := decodeJSONSegment(segs[0])
	if err != nil {
		return fmt.Errorf("header: %v", err)
	}
	fmt.Fprintf(w, "UNVERIFIED %s, %d bytes: nothing below has been checked; do not trust it.\n", kind, len(token))
	fmt.Fprintf(w, "header:\n%s\n", header)
	if len(segs) == 5 {
		fmt.Fprintf(w, "payload: encrypted (%d bytes of ciphertext); only the holder of the decryption key can read it\n",
			base64.RawURLEncoding.DecodedLen(len(segs[3])))
		return nil
	}
	claims, err := decodeJSONSegment(segs[1])
	if err != nil {
		return fmt.Errorf("claims: %v", err)
	}
	fmt.Fprintf(w, "claims:\n%s\n", claims)
	var times map[string]any
	if json.Unmarshal(claims, &times) == nil {
		for _, k := range []string{"iat", "nbf", "exp"} {
			sec, ok := times[k].(float64)
			if !ok {
				continue
			}
			t := time.Unix(int64(sec), 0).UTC()
			fmt.Fprintf(w, "%s: %s (%s)\n", k, t.Format(time.RFC3339), relative(time.Until(t)))
		}
	}
	fmt.Fprintf(w, "signature: %d bytes, not verified (use authbench token verify)\n", base64.RawURLEncoding.DecodedLen(len(segs[2])))
	return nil
}

func decodeJSONSegment(seg string) ([]byte, error) {
	raw, err := base64.RawURLEncoding.DecodeString(seg)
	if err != nil {
		return nil, fmt.Errorf("not base64url: %v", err)
	}
	var out bytes.Buffer
	if err := json.Indent(&out, raw, "  ", "  "); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	return append([]byte("  "), out.Bytes()...), nil
}

func relative(d time.Duration) string {
	d = d.Round(time.Second)
	if d < 0 {
		return (-d).String() + " ago"
	}
	return "in " + d.String()
}

// tokenLast keeps a TOKEN that begins with "-" from being read as a flag:
// session IDs are base64url, and one in 64 starts with a dash. When the
// last argument names no flag of fs and is not the value of the flag
// before it, a "--" is put in front of it.
func tokenLast(fs *flag.FlagSet, args []string) []string {
	n := len(args)
	if n == 0 {
		return args
	}
	last := args[n-1]
	if len(last) < 2 || last[0] != '-' || last == "--" {
		return args
	}
	name, _, _ := strings.Cut(strings.TrimLeft(last, "-"), "=")
	if name == "h" || name == "help" || fs.Lookup(name) != nil {
		return args
	}
	if n >= 2 {
		prev := args[n-2]
		if prev == "--" {
			return args
		}
		if pname, _, hasValue := strings.Cut(strings.TrimLeft(prev, "-"), "="); strings.HasPrefix(prev, "-") && !hasValue {
			if fl := fs.Lookup(pname); fl != nil {
				if b, ok := fl.Value.(interface{ IsBoolFlag() bool }); !ok || !b.IsBoolFlag() {
					return args // the value of the flag before it
				}
			}
		}
	}
	return append(append(slices.Clone(args[:n-1]), "--"), last)
}
