package ingress

import (
	"crypto/tls"
	"errors"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// Secrets of type SecretTypeTLS hold a PEM certificate chain and key
// under these keys, as in Kubernetes.
const (
	SecretTypeTLS = "kubernetes.io/tls"
	TLSCertKey    = "tls.crt"
	TLSKeyKey     = "tls.key"
)

var (
	errNoSecretName   = errors.New("no secretName: the entry has no certificate")
	errNoCertificates = errors.New("certificates are not loaded")
)

// certCache parses each TLS Secret once per resource version. It is used
// by the rebuild loop alone; entries no build used are dropped (begin).
type certCache struct {
	get  func(namespace, name string) (*gantryv1.Secret, bool)
	old  map[string]cachedCert
	next map[string]cachedCert
}

type cachedCert struct {
	rv   string
	cert *tls.Certificate
	err  error
}

func newCertCache(get func(namespace, name string) (*gantryv1.Secret, bool)) *certCache {
	return &certCache{get: get, old: map[string]cachedCert{}, next: map[string]cachedCert{}}
}

// begin starts a build: what the last build did not use is dropped.
func (c *certCache) begin() {
	c.old, c.next = c.next, make(map[string]cachedCert, len(c.next))
}

// load is Input.Certificate.
func (c *certCache) load(namespace, name string) (*tls.Certificate, error) {
	s, ok := c.get(namespace, name)
	if !ok {
		return nil, fmt.Errorf("secret %s/%s: not found (or not of type %s)", namespace, name, SecretTypeTLS)
	}
	key := namespace + "/" + name
	rv := s.GetMetadata().GetResourceVersion()
	if e, ok := c.next[key]; ok && e.rv == rv {
		return e.cert, e.err
	}
	if e, ok := c.old[key]; ok && e.rv == rv {
		c.next[key] = e
		return e.cert, e.err
	}
	cert, err := ParseSecret(s)
	c.next[key] = cachedCert{rv: rv, cert: cert, err: err}
	return cert, err
}

// ParseSecret returns the key pair of a kubernetes.io/tls Secret.
func ParseSecret(s *gantryv1.Secret) (*tls.Certificate, error) {
	ref := s.GetMetadata().GetNamespace() + "/" + s.GetMetadata().GetName()
	if s.GetType() != SecretTypeTLS {
		return nil, fmt.Errorf("secret %s: type %q, want %s", ref, s.GetType(), SecretTypeTLS)
	}
	crt, key := s.GetData()[TLSCertKey], s.GetData()[TLSKeyKey]
	if len(crt) == 0 || len(key) == 0 {
		return nil, fmt.Errorf("secret %s: data %s and %s are required", ref, TLSCertKey, TLSKeyKey)
	}
	cert, err := tls.X509KeyPair(crt, key)
	if err != nil {
		return nil, fmt.Errorf("secret %s: %w", ref, err)
	}
	return &cert, nil
}
