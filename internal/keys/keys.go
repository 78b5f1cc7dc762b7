// Package keys generates, writes and loads the key set that authbench's token
// backends sign and encrypt with.
//
// A key set is a folder of PEM files, one per key, written by
// `authbench keys gen --out DIR` and named in a scenario's `keys:` field.
// When a scenario names no folder, every run generates fresh keys with
// crypto/rand; nothing is ever read from or written to disk then.
//
// Signing and encryption keys are kept apart on purpose (RFC 7517 §4.2: a key
// has one use): the RSA key that signs jwt-rs256 tokens is never the one that
// unwraps jwe-rsa-oaep content keys, and likewise for P-256.
//
// Key IDs (the JOSE `kid` header) are derived from the keys themselves, so a
// folder needs no separate index and two different folders never share an ID:
// RFC 7638 thumbprints for public keys, a domain-separated SHA-256 of the
// secret for symmetric keys.
package keys

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/go-jose/go-jose/v4"
)

// Part names one key of a set; parts combine as a bit mask so that callers
// ask only for what they use (RSA generation takes a noticeable fraction of
// a second).
type Part uint

// The keys of a set.
const (
	HMAC    Part = 1 << iota // HS256 secret, 32 bytes
	RSA                      // RS256 signing key pair
	EC                       // ES256 signing key pair (P-256)
	Ed25519                  // EdDSA signing key pair
	Dir                      // JWE direct A256GCM key, 32 bytes
	EncRSA                   // JWE RSA-OAEP-256 key pair
	EncEC                    // JWE ECDH-ES+A256KW key pair (P-256)

	All = HMAC | RSA | EC | Ed25519 | Dir | EncRSA | EncEC
)

// DefaultRSABits is the size of generated RSA keys unless asked otherwise.
const DefaultRSABits = 2048

// SecretBytes is the size of generated symmetric keys: 256 bits, the HS256
// and A256GCM key size.
const SecretBytes = 32

// ValidRSABits reports whether bits is a size authbench generates and accepts.
func ValidRSABits(bits int) bool { return bits == 2048 || bits == 3072 || bits == 4096 }

// File describes one file of a key folder.
type File struct {
	Part    Part
	Name    string // file name inside the folder
	Private bool   // written with mode 0600
	Desc    string // one line for the listing
}

// Files lists every file of a key folder in the order they are written.
var Files = []File{
	{HMAC, "hmac.pem", true, "HS256 secret (jwt-hs256 and the JWT hybrids)"},
	{RSA, "rsa.pem", true, "RSA private key, signs RS256 (jwt-rs256)"},
	{RSA, "rsa.pub.pem", false, "RSA public key, verifies RS256"},
	{EC, "ec-p256.pem", true, "P-256 private key, signs ES256 (jwt-es256, inner JWS of jwe-nested)"},
	{EC, "ec-p256.pub.pem", false, "P-256 public key, verifies ES256"},
	{Ed25519, "ed25519.pem", true, "Ed25519 private key, signs EdDSA (jwt-eddsa)"},
	{Ed25519, "ed25519.pub.pem", false, "Ed25519 public key, verifies EdDSA"},
	{Dir, "jwe-dir.pem", true, "A256GCM content key (jwe-dir)"},
	{EncRSA, "jwe-rsa.pem", true, "RSA private key, unwraps RSA-OAEP-256 (jwe-rsa-oaep)"},
	{EncRSA, "jwe-rsa.pub.pem", false, "RSA public key, wraps RSA-OAEP-256"},
	{EncEC, "jwe-ec.pem", true, "P-256 private key, ECDH-ES+A256KW (jwe-ecdh-es, jwe-nested)"},
	{EncEC, "jwe-ec.pub.pem", false, "P-256 public key, ECDH-ES+A256KW"},
}

// Warn reports a problem that does not stop authbench, such as a secret key
// file others can read. It prints to standard error; tests replace it.
var Warn = func(msg string) { fmt.Fprintln(os.Stderr, "warning:", msg) }

// readers names who besides the owner may read a file of mode m.
func readers(m fs.FileMode) string {
	switch {
	case m&0o044 == 0o044:
		return "group and others"
	case m&0o004 != 0:
		return "others"
	case m&0o040 != 0:
		return "group"
	}
	return "group or others (write or execute bits)"
}

// PEM block types for the symmetric keys, which have no standard PEM form.
const (
	pemHMAC = "HMAC SECRET KEY"
	pemAES  = "AES SECRET KEY"
)

// Set is a key set. Only the parts asked for are filled in.
type Set struct {
	HMAC    []byte
	RSA     *rsa.PrivateKey
	EC      *ecdsa.PrivateKey
	Ed25519 ed25519.PrivateKey
	Dir     []byte
	EncRSA  *rsa.PrivateKey
	EncEC   *ecdsa.PrivateKey
}

// Has reports whether every key of parts is present.
func (s *Set) Has(parts Part) bool {
	have := Part(0)
	if s.HMAC != nil {
		have |= HMAC
	}
	if s.RSA != nil {
		have |= RSA
	}
	if s.EC != nil {
		have |= EC
	}
	if s.Ed25519 != nil {
		have |= Ed25519
	}
	if s.Dir != nil {
		have |= Dir
	}
	if s.EncRSA != nil {
		have |= EncRSA
	}
	if s.EncEC != nil {
		have |= EncEC
	}
	return have&parts == parts
}

// Generate creates the keys named by parts with crypto/rand. RSA keys (both
// the signing and the encryption one) have rsaBits bits.
func Generate(parts Part, rsaBits int) (*Set, error) {
	s := &Set{}
	return s, s.generate(parts, rsaBits)
}

func (s *Set) generate(parts Part, rsaBits int) error {
	if !ValidRSABits(rsaBits) {
		return fmt.Errorf("keys: RSA size %d bits: want 2048, 3072 or 4096", rsaBits)
	}
	var err error
	secret := func() []byte {
		b := make([]byte, SecretBytes)
		rand.Read(b) // never fails (crypto/rand since Go 1.24)
		return b
	}
	if parts&HMAC != 0 {
		s.HMAC = secret()
	}
	if parts&Dir != 0 {
		s.Dir = secret()
	}
	if parts&RSA != 0 {
		if s.RSA, err = rsa.GenerateKey(rand.Reader, rsaBits); err != nil {
			return fmt.Errorf("keys: generate RSA key: %w", err)
		}
	}
	if parts&EncRSA != 0 {
		if s.EncRSA, err = rsa.GenerateKey(rand.Reader, rsaBits); err != nil {
			return fmt.Errorf("keys: generate RSA key: %w", err)
		}
	}
	if parts&EC != 0 {
		if s.EC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return fmt.Errorf("keys: generate P-256 key: %w", err)
		}
	}
	if parts&EncEC != 0 {
		if s.EncEC, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
			return fmt.Errorf("keys: generate P-256 key: %w", err)
		}
	}
	if parts&Ed25519 != 0 {
		if _, s.Ed25519, err = ed25519.GenerateKey(rand.Reader); err != nil {
			return fmt.Errorf("keys: generate Ed25519 key: %w", err)
		}
	}
	return nil
}

// Write stores every key of s in dir (created with mode 0700 if missing):
// private keys and secrets with mode 0600, public keys 0644. It refuses to
// replace an existing key file unless force is set, and checks that before
// writing anything, so a refusal leaves the folder untouched. It returns the
// files written.
func (s *Set) Write(dir string, force bool) ([]File, error) {
	var out []File
	for _, f := range Files {
		if s.Has(f.Part) {
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		return nil, errors.New("keys: empty key set")
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	if !force {
		var exist []string
		for _, f := range out {
			if _, err := os.Lstat(filepath.Join(dir, f.Name)); err == nil {
				exist = append(exist, f.Name)
			}
		}
		if len(exist) > 0 {
			return nil, fmt.Errorf("keys: %s already holds %s (use --force to replace)", dir, strings.Join(exist, ", "))
		}
	}
	for _, f := range out {
		block, err := s.pemBlock(f)
		if err != nil {
			return nil, err
		}
		if err := writeFile(filepath.Join(dir, f.Name), pem.EncodeToMemory(block), f.Private, force); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// writeFile writes data to path. Without force it creates the file and
// fails if anything is there (O_EXCL also refuses a symlink). With force it
// writes a temporary file in the same folder and renames it over path:
// rename replaces a symlink at path instead of writing through it, so a
// link planted at a key path cannot make authbench write a secret into
// another file, and a reader never sees a half-written key.
func writeFile(path string, data []byte, private, force bool) error {
	mode := fs.FileMode(0o644)
	if private {
		mode = 0o600
	}
	if !force {
		fh, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, mode)
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		return finish(fh, data, mode, "")
	}
	// CreateTemp makes the file with mode 0600 and O_EXCL.
	fh, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := finish(fh, data, mode, path); err != nil {
		os.Remove(fh.Name())
		return err
	}
	return nil
}

// finish writes data to fh with mode and closes it; with a non-empty
// target it then renames fh over target.
func finish(fh *os.File, data []byte, mode fs.FileMode, target string) error {
	if err := fh.Chmod(mode); err != nil {
		fh.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if _, err := fh.Write(data); err != nil {
		fh.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := fh.Sync(); err != nil {
		fh.Close()
		return fmt.Errorf("keys: %w", err)
	}
	if err := fh.Close(); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if target != "" {
		if err := os.Rename(fh.Name(), target); err != nil {
			return fmt.Errorf("keys: %w", err)
		}
	}
	return nil
}

func (s *Set) pemBlock(f File) (*pem.Block, error) {
	var key any
	switch f.Name {
	case "hmac.pem":
		return &pem.Block{Type: pemHMAC, Bytes: s.HMAC}, nil
	case "jwe-dir.pem":
		return &pem.Block{Type: pemAES, Bytes: s.Dir}, nil
	case "rsa.pem":
		key = s.RSA
	case "rsa.pub.pem":
		key = &s.RSA.PublicKey
	case "ec-p256.pem":
		key = s.EC
	case "ec-p256.pub.pem":
		key = &s.EC.PublicKey
	case "ed25519.pem":
		key = s.Ed25519
	case "ed25519.pub.pem":
		key = s.Ed25519.Public()
	case "jwe-rsa.pem":
		key = s.EncRSA
	case "jwe-rsa.pub.pem":
		key = &s.EncRSA.PublicKey
	case "jwe-ec.pem":
		key = s.EncEC
	case "jwe-ec.pub.pem":
		key = &s.EncEC.PublicKey
	default:
		return nil, fmt.Errorf("keys: no encoder for %s", f.Name)
	}
	if f.Private {
		der, err := x509.MarshalPKCS8PrivateKey(key)
		if err != nil {
			return nil, fmt.Errorf("keys: %s: %w", f.Name, err)
		}
		return &pem.Block{Type: "PRIVATE KEY", Bytes: der}, nil
	}
	der, err := x509.MarshalPKIXPublicKey(key)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", f.Name, err)
	}
	return &pem.Block{Type: "PUBLIC KEY", Bytes: der}, nil
}

// Load reads the keys named by parts from dir. Only private-key and secret
// files are read: public keys are derived from them. Private keys may be
// PKCS #8 ("PRIVATE KEY"), PKCS #1 ("RSA PRIVATE KEY") or SEC 1
// ("EC PRIVATE KEY"), so keys made with openssl work too.
func Load(dir string, parts Part) (*Set, error) {
	s := &Set{}
	return s, s.load(dir, parts)
}

func (s *Set) load(dir string, parts Part) error {
	for _, f := range Files {
		if parts&f.Part == 0 || !f.Private {
			continue
		}
		path := filepath.Join(dir, f.Name)
		data, err := os.ReadFile(path)
		if errors.Is(err, fs.ErrNotExist) {
			return fmt.Errorf("keys: %s is missing (write a key set with `authbench keys gen --out %s`)", path, dir)
		}
		if err != nil {
			return fmt.Errorf("keys: %w", err)
		}
		if fi, err := os.Stat(path); err == nil && fi.Mode().Perm()&0o077 != 0 {
			Warn(fmt.Sprintf("%s holds a secret key but is readable by %s (mode %04o): chmod 600 %s",
				path, readers(fi.Mode().Perm()), fi.Mode().Perm(), path))
		}
		if err := s.decode(f.Part, path, data); err != nil {
			return err
		}
	}
	return nil
}

func (s *Set) decode(part Part, path string, data []byte) error {
	block, rest := pem.Decode(data)
	if block == nil {
		return fmt.Errorf("keys: %s: no PEM block", path)
	}
	if len(strings.TrimSpace(string(rest))) != 0 {
		return fmt.Errorf("keys: %s: more than one PEM block", path)
	}
	switch part {
	case HMAC, Dir:
		want := pemHMAC
		if part == Dir {
			want = pemAES
		}
		if block.Type != want {
			return fmt.Errorf("keys: %s: PEM type %q, want %q", path, block.Type, want)
		}
		if part == Dir && len(block.Bytes) != SecretBytes {
			return fmt.Errorf("keys: %s: A256GCM key is %d bytes, want %d", path, len(block.Bytes), SecretBytes)
		}
		if part == HMAC && len(block.Bytes) < SecretBytes {
			// RFC 7518 §3.2: an HS256 key must be at least 256 bits.
			return fmt.Errorf("keys: %s: HS256 secret is %d bytes, want at least %d", path, len(block.Bytes), SecretBytes)
		}
		key := append([]byte(nil), block.Bytes...)
		if part == HMAC {
			s.HMAC = key
		} else {
			s.Dir = key
		}
		return nil
	}
	key, err := parsePrivate(block)
	if err != nil {
		return fmt.Errorf("keys: %s: %w", path, err)
	}
	switch part {
	case RSA, EncRSA:
		k, ok := key.(*rsa.PrivateKey)
		if !ok {
			return fmt.Errorf("keys: %s: %T, want an RSA private key", path, key)
		}
		if k.N.BitLen() < 2048 {
			return fmt.Errorf("keys: %s: RSA key of %d bits, want at least 2048", path, k.N.BitLen())
		}
		if part == RSA {
			s.RSA = k
		} else {
			s.EncRSA = k
		}
	case EC, EncEC:
		k, ok := key.(*ecdsa.PrivateKey)
		if !ok || k.Curve != elliptic.P256() {
			return fmt.Errorf("keys: %s: %T, want a P-256 private key", path, key)
		}
		if part == EC {
			s.EC = k
		} else {
			s.EncEC = k
		}
	case Ed25519:
		k, ok := key.(ed25519.PrivateKey)
		if !ok {
			return fmt.Errorf("keys: %s: %T, want an Ed25519 private key", path, key)
		}
		s.Ed25519 = k
	}
	return nil
}

func parsePrivate(block *pem.Block) (any, error) {
	switch block.Type {
	case "PRIVATE KEY":
		return x509.ParsePKCS8PrivateKey(block.Bytes)
	case "RSA PRIVATE KEY":
		return x509.ParsePKCS1PrivateKey(block.Bytes)
	case "EC PRIVATE KEY":
		return x509.ParseECPrivateKey(block.Bytes)
	}
	return nil, fmt.Errorf("PEM type %q is not a private key", block.Type)
}

// KeyID returns the `kid` for a key: the first 16 characters of the
// base64url RFC 7638 SHA-256 thumbprint for RSA, EC and Ed25519 keys
// (private or public: both give the public key's ID), and of a
// domain-separated SHA-256 for a secret ([]byte), so the ID reveals nothing
// usable about the secret. 96 bits are ample to tell keys apart and keep
// tokens short.
func KeyID(key any) string {
	var sum []byte
	switch k := key.(type) {
	case []byte:
		h := sha256.New()
		h.Write([]byte("authbench key id\x00"))
		h.Write(k)
		sum = h.Sum(nil)
	default:
		var err error
		jwk := jose.JSONWebKey{Key: key}
		if sum, err = jwk.Thumbprint(crypto.SHA256); err != nil {
			return ""
		}
	}
	return base64.RawURLEncoding.EncodeToString(sum)[:16]
}

// Ring hands out the key set of one run, loading or generating each key the
// first time a backend asks for it, so that every node of every backend of the
// run uses the same keys and a run that needs no RSA key never waits for one.
// It is safe for concurrent use.
type Ring struct {
	dir     string
	rsaBits int

	mu   sync.Mutex
	set  Set
	done Part
}

// NewRing returns a ring that loads keys from dir or, when dir is empty,
// generates them with rsaBits-bit RSA keys.
func NewRing(dir string, rsaBits int) *Ring {
	if rsaBits == 0 {
		rsaBits = DefaultRSABits
	}
	return &Ring{dir: dir, rsaBits: rsaBits}
}

// Dir is the folder keys are loaded from ("" when generated).
func (r *Ring) Dir() string { return r.dir }

// Get returns the set with at least parts filled in. The returned keys never
// change: a later Get for other parts adds keys but keeps these.
func (r *Ring) Get(parts Part) (*Set, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	missing := parts &^ r.done
	if missing != 0 {
		var err error
		if r.dir != "" {
			err = r.set.load(r.dir, missing)
		} else {
			err = r.set.generate(missing, r.rsaBits)
		}
		if err != nil {
			return nil, err
		}
		r.done |= missing
	}
	// A copy: callers read the fields they asked for, and later Gets must not
	// race with those reads.
	s := r.set
	return &s, nil
}

// KeyIDOf returns the `kid` of one key of the set ("" when absent): the ID
// the backends put in the tokens they issue with it.
func (s *Set) KeyIDOf(p Part) string {
	if !s.Has(p) {
		return ""
	}
	switch p {
	case HMAC:
		return KeyID(s.HMAC)
	case RSA:
		return KeyID(&s.RSA.PublicKey)
	case EC:
		return KeyID(&s.EC.PublicKey)
	case Ed25519:
		return KeyID(s.Ed25519.Public())
	case Dir:
		return KeyID(s.Dir)
	case EncRSA:
		return KeyID(&s.EncRSA.PublicKey)
	case EncEC:
		return KeyID(&s.EncEC.PublicKey)
	}
	return ""
}
