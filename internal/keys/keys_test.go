package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
)

func TestWriteLoadRoundTrip(t *testing.T) {
	t.Parallel()
	set, err := Generate(All, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	files, err := set.Write(dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(Files) {
		t.Errorf("wrote %d files, want %d", len(files), len(Files))
	}
	got, err := Load(dir, All)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []Part{HMAC, RSA, EC, Ed25519, Dir, EncRSA, EncEC} {
		if a, b := set.KeyIDOf(p), got.KeyIDOf(p); a == "" || a != b {
			t.Errorf("part %d: kid %q after load, %q before", p, b, a)
		}
	}
	if !got.RSA.Equal(set.RSA) || !got.EC.Equal(set.EC) || !got.Ed25519.Equal(set.Ed25519) ||
		string(got.HMAC) != string(set.HMAC) || string(got.Dir) != string(set.Dir) {
		t.Error("loaded keys differ from written ones")
	}
}

func TestLoadOnlyWhatIsAsked(t *testing.T) {
	t.Parallel()
	set, _ := Generate(HMAC, 2048)
	dir := t.TempDir()
	if _, err := set.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	if s, err := Load(dir, HMAC); err != nil || !s.Has(HMAC) || s.Has(RSA) {
		t.Fatalf("Load(HMAC): %v", err)
	}
	_, err := Load(dir, RSA)
	if err == nil || !strings.Contains(err.Error(), "rsa.pem is missing") || !strings.Contains(err.Error(), "keys gen") {
		t.Errorf("missing rsa.pem: %v", err)
	}
}

func TestLoadRefusesBadKeys(t *testing.T) {
	t.Parallel()
	ec, _ := ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	p384, _ := x509.MarshalPKCS8PrivateKey(ec)
	sec1, _ := x509.MarshalECPrivateKey(ec)
	for _, tc := range []struct {
		file, content, want string
	}{
		{"hmac.pem", "not pem", "no PEM block"},
		{"hmac.pem", string(pem.EncodeToMemory(&pem.Block{Type: "HMAC SECRET KEY", Bytes: make([]byte, 16)})), "at least 32"},
		{"hmac.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: make([]byte, 32)})), "PEM type"},
		{"jwe-dir.pem", string(pem.EncodeToMemory(&pem.Block{Type: "AES SECRET KEY", Bytes: make([]byte, 31)})), "want 32"},
		{"ec-p256.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384})), "P-256"},
		{"ec-p256.pem", string(pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1})), "P-256"},
		{"rsa.pem", string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: p384})), "RSA"},
		{"ed25519.pem", string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: []byte{1}})), "not a private key"},
	} {
		dir := t.TempDir()
		os.WriteFile(filepath.Join(dir, tc.file), []byte(tc.content), 0o600)
		part := map[string]Part{"hmac.pem": HMAC, "jwe-dir.pem": Dir, "ec-p256.pem": EC, "rsa.pem": RSA, "ed25519.pem": Ed25519}[tc.file]
		if _, err := Load(dir, part); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: err = %v, want it to mention %q", tc.file, tc.content[:min(20, len(tc.content))], err, tc.want)
		}
	}
}

func TestOpenSSLFormats(t *testing.T) {
	t.Parallel()
	set, _ := Generate(EC, 2048)
	sec1, _ := x509.MarshalECPrivateKey(set.EC)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "ec-p256.pem"), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: sec1}), 0o600)
	got, err := Load(dir, EC)
	if err != nil || !got.EC.Equal(set.EC) {
		t.Errorf("SEC 1 key: %v", err)
	}
}

func TestKeyIDs(t *testing.T) {
	t.Parallel()
	a, _ := Generate(HMAC|EC|Ed25519, 2048)
	b, _ := Generate(HMAC|EC|Ed25519, 2048)
	for _, p := range []Part{HMAC, EC, Ed25519} {
		ka, kb := a.KeyIDOf(p), b.KeyIDOf(p)
		if len(ka) != 16 || ka == kb {
			t.Errorf("part %d: kids %q and %q", p, ka, kb)
		}
	}
	if KeyID(a.EC) != KeyID(&a.EC.PublicKey) {
		t.Error("private and public EC key have different kids")
	}
	if strings.Contains(KeyID(a.HMAC), string(a.HMAC[:4])) {
		t.Error("kid reveals secret bytes")
	}
}

func TestRing(t *testing.T) {
	t.Parallel()
	r := NewRing("", 2048)
	var wg sync.WaitGroup
	kids := make([]string, 8)
	for i := range kids {
		wg.Go(func() {
			s, err := r.Get(HMAC | EC)
			if err != nil {
				t.Error(err)
				return
			}
			kids[i] = s.KeyIDOf(HMAC) + s.KeyIDOf(EC)
		})
	}
	wg.Wait()
	for _, k := range kids[1:] {
		if k != kids[0] {
			t.Fatal("ring handed out different keys")
		}
	}
	s, _ := r.Get(Ed25519)
	if !s.Has(HMAC|EC|Ed25519) || s.Has(RSA) {
		t.Error("ring generated the wrong parts")
	}
	if _, err := NewRing(t.TempDir(), 2048).Get(HMAC); err == nil {
		t.Error("ring on an empty folder generated keys instead of failing")
	}
	if _, err := Generate(RSA, 1024); err == nil {
		t.Error("RSA 1024 generated")
	}
}

func TestWriteRefusesOverwrite(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	a, _ := Generate(HMAC|Dir, 2048)
	b, _ := Generate(HMAC|Dir, 2048)
	if _, err := a.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Write(dir, false); err == nil || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("overwrite: %v", err)
	}
	got, _ := Load(dir, HMAC|Dir)
	if got.KeyIDOf(HMAC) != a.KeyIDOf(HMAC) {
		t.Error("refused write changed the folder")
	}
	if _, err := b.Write(dir, true); err != nil {
		t.Fatal(err)
	}
	got, _ = Load(dir, HMAC|Dir)
	if got.KeyIDOf(HMAC) != b.KeyIDOf(HMAC) {
		t.Error("forced write kept the old key")
	}
}

// keys gen --force must replace a symlink planted at a key path, not
// write the secret through it into the file it points to.
func TestForceDoesNotFollowSymlink(t *testing.T) {
	t.Parallel()
	set, err := Generate(HMAC|Dir, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir, elsewhere := t.TempDir(), t.TempDir()
	victim := filepath.Join(elsewhere, "victim.txt")
	if err := os.WriteFile(victim, []byte("precious\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(victim, filepath.Join(dir, "hmac.pem")); err != nil {
		t.Fatal(err)
	}
	if _, err := set.Write(dir, false); err == nil {
		t.Fatal("Write without force replaced a symlink at a key path")
	}
	if _, err := set.Write(dir, true); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(victim); string(b) != "precious\n" {
		t.Fatalf("the symlink's target was overwritten: %q", b)
	}
	fi, err := os.Lstat(filepath.Join(dir, "hmac.pem"))
	if err != nil {
		t.Fatal(err)
	}
	if !fi.Mode().IsRegular() || fi.Mode().Perm() != 0o600 {
		t.Fatalf("hmac.pem is %v, want a regular file with mode 0600", fi.Mode())
	}
	if got, err := Load(dir, HMAC); err != nil || string(got.HMAC) != string(set.HMAC) {
		t.Fatalf("Load after --force: %v", err)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*tmp*"))
	if len(left) != 0 {
		t.Errorf("temporary files left behind: %v", left)
	}
}

// A secret key file readable by group or others is loaded with a warning.
// Not parallel: it replaces Warn.
func TestWarnReadableSecret(t *testing.T) {
	set, err := Generate(HMAC|Ed25519, 2048)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, err := set.Write(dir, false); err != nil {
		t.Fatal(err)
	}
	var got []string
	old := Warn
	Warn = func(msg string) { got = append(got, msg) }
	defer func() { Warn = old }()
	if _, err := Load(dir, HMAC|Ed25519); err != nil {
		t.Fatal(err)
	}
	if len(got) != 0 {
		t.Fatalf("warnings for files of mode 0600: %q", got)
	}
	if err := os.Chmod(filepath.Join(dir, "hmac.pem"), 0o640); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "ed25519.pem"), 0o604); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(dir, HMAC|Ed25519); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !strings.Contains(got[0], "hmac.pem") || !strings.Contains(got[0], "group") ||
		!strings.Contains(got[1], "ed25519.pem") || !strings.Contains(got[1], "others") {
		t.Fatalf("warnings = %q, want one for hmac.pem (group) and one for ed25519.pem (others)", got)
	}
}
