package main

import (
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/authbench/authbench/internal/keys"
)

const keysUsage = `Usage: authbench keys gen --out DIR [--force] [--rsa-bits N]

Writes a key set for the token backends: an HS256 secret, RSA, P-256 and
Ed25519 signing key pairs, and the JWE keys (a direct A256GCM key, RSA-OAEP-256
and ECDH-ES key pairs), one PEM file each, and a self-signed TLS certificate
for loopback (transport: https, authbench serve --tls). Private keys and secrets get mode
0600. Existing key files are never replaced unless --force is given.

A scenario uses the set with "keys: DIR"; without it every run generates fresh
keys. The token command reads it with --keys DIR.

Examples:
  authbench keys gen --out keys
  authbench keys gen --out keys --rsa-bits 3072 --force
  authbench token issue --backend jwt-es256 --keys keys

Flags:
`

// cmdKeys runs `authbench keys`.
func cmdKeys(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || tkIsHelp(args[0]) {
		return helpOrUsage(args, keysFlags(io.Discard, new(string), new(bool), new(int)), keysUsage, stdout, stderr)
	}
	if args[0] != "gen" {
		fmt.Fprintf(stderr, "authbench keys: unknown subcommand %q (want gen)\n", args[0])
		return 2
	}
	var (
		out   string
		force bool
		bits  int
	)
	fs := keysFlags(stderr, &out, &force, &bits)
	fs.Usage = func() { tkPrintUsage(fs, keysUsage) }
	if status, ok := parseFlags(fs, args[1:], stdout, stderr); !ok {
		return status
	}
	switch {
	case fs.NArg() > 0:
		fmt.Fprintf(stderr, "authbench keys gen: unexpected argument %q\n", fs.Arg(0))
		return 2
	case out == "":
		fmt.Fprintln(stderr, "authbench keys gen: --out DIR is required")
		return 2
	case !keys.ValidRSABits(bits):
		fmt.Fprintf(stderr, "authbench keys gen: --rsa-bits %d: want 2048, 3072 or 4096\n", bits)
		return 2
	}
	set, err := keys.Generate(keys.All, bits)
	if err != nil {
		fmt.Fprintf(stderr, "authbench keys gen: %v\n", err)
		return 1
	}
	cert, err := keys.GenerateTLS()
	if err != nil {
		fmt.Fprintf(stderr, "authbench keys gen: %v\n", err)
		return 1
	}
	if ex := keys.TLSExisting(out); !force && len(ex) > 0 {
		fmt.Fprintf(stderr, "authbench keys gen: %s already holds %s (use --force to replace)\n", out, strings.Join(ex, ", "))
		return 1
	}
	files, err := set.Write(out, force)
	if err == nil {
		err = cert.WriteTLS(out, force)
	}
	if err != nil {
		fmt.Fprintf(stderr, "authbench keys gen: %s\n", strings.TrimPrefix(err.Error(), "keys: "))
		return 1
	}
	fmt.Fprintf(stdout, "wrote %d files to %s (RSA keys: %d bits)\n", len(files)+2, out, bits)
	for _, f := range files {
		mode := "0644"
		if f.Private {
			mode = "0600"
		}
		fmt.Fprintf(stdout, "  %-16s %s  kid %-16s  %s\n", f.Name, mode, set.KeyIDOf(f.Part), f.Desc)
	}
	fmt.Fprintf(stdout, "  %-16s %s  %-20s  %s\n", keys.TLSKeyFile, "0600", "", "P-256 private key of the TLS certificate (transport: https)")
	fmt.Fprintf(stdout, "  %-16s %s  %-20s  %s\n", keys.TLSCertFile, "0644", "", "self-signed TLS 1.3 certificate for 127.0.0.1, ::1, localhost")
	fmt.Fprintf(stdout, "use it with \"keys: %s\" in a scenario or --keys %s\n", filepath.ToSlash(out), out)
	return 0
}

func keysFlags(w io.Writer, out *string, force *bool, bits *int) *flag.FlagSet {
	fs := flag.NewFlagSet("keys gen", flag.ContinueOnError)
	fs.SetOutput(w)
	fs.StringVar(out, "out", "", "folder to write the key set to (created if missing)")
	fs.BoolVar(force, "force", false, "replace existing key files")
	fs.IntVar(bits, "rsa-bits", keys.DefaultRSABits, "size of the RSA keys: 2048, 3072 or 4096")
	return fs
}

func tkIsHelp(s string) bool { return s == "-h" || s == "-help" || s == "--help" || s == "help" }

// helpOrUsage prints a command's usage: on stdout with status 0 when it
// was asked for (args[0] is a help word), on stderr with status 2 when
// the subcommand is missing.
func helpOrUsage(args []string, fs *flag.FlagSet, text string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fs.SetOutput(stderr)
		tkPrintUsage(fs, text)
		return exitUsage
	}
	fs.SetOutput(stdout)
	tkPrintUsage(fs, text)
	return exitOK
}

// tkPrintUsage prints text and then the flags of fs.
func tkPrintUsage(fs *flag.FlagSet, text string) {
	fmt.Fprint(fs.Output(), text)
	fs.PrintDefaults()
}
