package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"
)

// The TLS certificate of `transport: https` and `authbench serve --tls`:
// self-signed, for 127.0.0.1, ::1 and localhost, kept apart from the token
// keys (a key has one use).
const (
	TLSCertFile = "tls-cert.pem"
	TLSKeyFile  = "tls-key.pem"
)

// TLSCertValidity is how long a generated certificate is valid.
const TLSCertValidity = 365 * 24 * time.Hour

// TLS is a server certificate and the pool a client trusts it with.
type TLS struct {
	Cert    tls.Certificate
	Roots   *x509.CertPool // holds the self-signed certificate itself
	CertPEM []byte
	KeyPEM  []byte
}

// GenerateTLS makes a self-signed P-256 certificate for loopback.
func GenerateTLS() (*TLS, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("keys: generate TLS key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return nil, fmt.Errorf("keys: TLS serial: %w", err)
	}
	now := time.Now()
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: "authbench loopback"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(TLSCertValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true, // self-signed: it is its own root
		DNSNames:              []string{"localhost"},
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("keys: create TLS certificate: %w", err)
	}
	kder, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, fmt.Errorf("keys: TLS key: %w", err)
	}
	return parseTLS(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder}), "generated")
}

func parseTLS(certPEM, keyPEM []byte, where string) (*TLS, error) {
	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", where, err)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		return nil, fmt.Errorf("keys: %s: %w", where, err)
	}
	cert.Leaf = leaf
	roots := x509.NewCertPool()
	roots.AddCert(leaf)
	return &TLS{Cert: cert, Roots: roots, CertPEM: certPEM, KeyPEM: keyPEM}, nil
}

// WriteTLS writes the certificate (0644) and its key (0600) into dir,
// refusing to replace existing files unless force is set.
func (t *TLS) WriteTLS(dir string, force bool) error {
	if ex := TLSExisting(dir); !force && len(ex) > 0 {
		return fmt.Errorf("keys: %s already holds %s (use --force to replace)", dir, ex[0])
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("keys: %w", err)
	}
	if err := writeFile(filepath.Join(dir, TLSKeyFile), t.KeyPEM, true, force); err != nil {
		return err
	}
	return writeFile(filepath.Join(dir, TLSCertFile), t.CertPEM, false, force)
}

// TLSExisting lists the TLS files already in dir.
func TLSExisting(dir string) []string {
	var out []string
	for _, n := range []string{TLSCertFile, TLSKeyFile} {
		if _, err := os.Lstat(filepath.Join(dir, n)); err == nil {
			out = append(out, n)
		}
	}
	return out
}

// LoadTLS reads the certificate of a key folder. A folder written before
// authbench had HTTPS has none: ErrNoTLS then, so callers can say how to
// add one.
func LoadTLS(dir string) (*TLS, error) {
	certPEM, err := os.ReadFile(filepath.Join(dir, TLSCertFile))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("%w: %s has no %s (write one with `authbench keys gen --out %s --force`)", ErrNoTLS, dir, TLSCertFile, dir)
	}
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	keyPEM, err := os.ReadFile(filepath.Join(dir, TLSKeyFile))
	if err != nil {
		return nil, fmt.Errorf("keys: %w", err)
	}
	return parseTLS(certPEM, keyPEM, filepath.Join(dir, TLSCertFile))
}

// ErrNoTLS: a key folder has no TLS certificate.
var ErrNoTLS = errors.New("keys: no TLS certificate")

// ServerConfig is a TLS 1.3-only server configuration for t.
func (t *TLS) ServerConfig() *tls.Config {
	return &tls.Config{Certificates: []tls.Certificate{t.Cert}, MinVersion: tls.VersionTLS13}
}

// ClientConfig trusts t's certificate only, TLS 1.3 only, with a session
// cache so that new connections can resume.
func (t *TLS) ClientConfig() *tls.Config {
	return &tls.Config{RootCAs: t.Roots, MinVersion: tls.VersionTLS13, ClientSessionCache: tls.NewLRUClientSessionCache(1024)}
}
