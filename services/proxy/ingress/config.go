package ingress

import (
	"errors"
	"fmt"
	"net"
	"time"

	"k8s.io/apimachinery/pkg/util/validation"
)

// DefaultClass is the ingress class served by default.
const DefaultClass = "gantry"

// Config configures the ingress controller.
type Config struct {
	// Class is the ingressClassName served; Ingresses without one are
	// served too.
	Class string
	// HTTPListen and HTTPSListen are the host:port addresses of the plain
	// and TLS listeners ("" turns one off; at least one is required). The
	// sockets set SO_REUSEPORT, so the proxies of several nodes on one
	// host share them.
	HTTPListen, HTTPSListen string
	// ReadHeaderTimeout, ReadTimeout, WriteTimeout and IdleTimeout bound a
	// client connection (http.Server's fields of the same names).
	ReadHeaderTimeout, ReadTimeout, WriteTimeout, IdleTimeout time.Duration
	// MaxHeaderBytes bounds a request's header (and a backend response's).
	MaxHeaderBytes int
	// MaxConns bounds the client connections open at once per listener;
	// further ones wait in the kernel's backlog.
	MaxConns int
	// DialTimeout bounds one dial to an endpoint; a request tries at most
	// MaxTries endpoints of its backend (the next one only after a dial
	// error, when nothing was sent yet).
	DialTimeout time.Duration
	MaxTries    int
	// ResponseHeaderTimeout bounds the wait for a backend's response
	// header once the request is sent.
	ResponseHeaderTimeout time.Duration
	// MaxIdleConnsPerEndpoint bounds the kept-alive connections to one
	// endpoint.
	MaxIdleConnsPerEndpoint int
}

// DefaultConfig returns the defaults of the proxy's --ingress-* flags. The
// listen ports are above 1024, so no root is needed.
func DefaultConfig() Config {
	return Config{
		Class:      DefaultClass,
		HTTPListen: "127.0.0.1:10080", HTTPSListen: "127.0.0.1:10443",
		ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 5 * time.Minute, WriteTimeout: 5 * time.Minute,
		IdleTimeout: 2 * time.Minute, MaxHeaderBytes: 64 << 10, MaxConns: 10000,
		DialTimeout: 2 * time.Second, MaxTries: 3, ResponseHeaderTimeout: time.Minute,
		MaxIdleConnsPerEndpoint: 16,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("ingress: invalid config")

func (c *Config) validate() error {
	if errs := validation.IsDNS1123Subdomain(c.Class); len(errs) > 0 {
		return fmt.Errorf("%w: class %q: %s", ErrConfig, c.Class, errs[0])
	}
	if c.HTTPListen == "" && c.HTTPSListen == "" {
		return fmt.Errorf("%w: an HTTP or an HTTPS listen address is required", ErrConfig)
	}
	for _, l := range []string{c.HTTPListen, c.HTTPSListen} {
		if l == "" {
			continue
		}
		if _, _, err := net.SplitHostPort(l); err != nil {
			return fmt.Errorf("%w: listen %q: %w", ErrConfig, l, err)
		}
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"ReadHeaderTimeout", c.ReadHeaderTimeout}, {"ReadTimeout", c.ReadTimeout}, {"WriteTimeout", c.WriteTimeout},
		{"IdleTimeout", c.IdleTimeout}, {"DialTimeout", c.DialTimeout}, {"ResponseHeaderTimeout", c.ResponseHeaderTimeout}} {
		if d.v <= 0 {
			return fmt.Errorf("%w: %s must be > 0", ErrConfig, d.name)
		}
	}
	switch {
	case c.MaxHeaderBytes < 1<<10 || c.MaxHeaderBytes > 1<<20:
		return fmt.Errorf("%w: MaxHeaderBytes %d not in [1Ki, 1Mi]", ErrConfig, c.MaxHeaderBytes)
	case c.MaxConns < 1:
		return fmt.Errorf("%w: MaxConns %d < 1", ErrConfig, c.MaxConns)
	case c.MaxTries < 1 || c.MaxTries > 10:
		return fmt.Errorf("%w: MaxTries %d not in [1, 10]", ErrConfig, c.MaxTries)
	case c.MaxIdleConnsPerEndpoint < 0:
		return fmt.Errorf("%w: MaxIdleConnsPerEndpoint %d < 0", ErrConfig, c.MaxIdleConnsPerEndpoint)
	}
	return nil
}
