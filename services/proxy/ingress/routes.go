package ingress

import (
	"cmp"
	"crypto/tls"
	"slices"
	"strings"
	"sync/atomic"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
)

// Path types of networking.k8s.io/v1.
const (
	PathExact                  = "Exact"
	PathPrefix                 = "Prefix"
	PathImplementationSpecific = "ImplementationSpecific"
)

// Ref names an Ingress.
type Ref struct {
	Namespace, Name string
}

func (r Ref) String() string { return r.Namespace + "/" + r.Name }

// Backend is a service port in the ingress's namespace, by name or number.
type Backend struct {
	Service    table.ServiceKey
	PortName   string
	PortNumber int32
	// next is the backend's round-robin counter, shared by every rule
	// that names the same service port.
	next *atomic.Uint64
}

// Rule is one path of one host, or a default backend (Path "").
type Rule struct {
	Ingress Ref
	// Host is the rule's host: exact, "*.suffix", or "" for every host.
	Host string
	// Path and PathType are as written; both are "" for a default backend.
	Path, PathType string
	Backend        *Backend
	// norm is Path without its trailing slashes ("/" stays "/"); order is
	// the ingress's rank (oldest first) for ties.
	norm  string
	order int
}

// Default reports whether the rule is a default backend.
func (r *Rule) Default() bool { return r.PathType == "" }

// matches reports whether the (clean) request path p matches the rule:
// Exact compares whole paths; Prefix (and ImplementationSpecific, served
// as Prefix) compares whole path elements, so /foo matches /foo and
// /foo/bar but not /foobar, and a trailing slash on either side is ignored.
func (r *Rule) matches(p string) bool {
	if r.PathType == PathExact {
		return p == r.Path
	}
	if r.norm == "/" {
		return true
	}
	return strings.HasPrefix(p, r.norm) && (len(p) == len(r.norm) || p[len(r.norm)] == '/')
}

// Cert is one spec.tls entry of an Ingress.
type Cert struct {
	Ingress    Ref
	Hosts      []string
	SecretName string
	// Certificate is nil when the Secret is missing or invalid (Err says
	// why).
	Certificate *tls.Certificate
	Err         error
}

// Routes is an immutable routing snapshot built from the Ingresses of the
// served class: shared by every request without locks.
type Routes struct {
	exact, wildcard map[string][]*Rule // wildcard: keyed by the suffix after "*."
	any             []*Rule
	def             *Rule
	rules           []*Rule
	certs           []*Cert
	exactCert       map[string]*tls.Certificate
	wildcardCert    map[string]*tls.Certificate
	defaultCert     *tls.Certificate
}

// Input is what Build reads.
type Input struct {
	Ingresses []*gantryv1.Ingress
	// Class is the served ingressClassName (an Ingress without one is
	// served too).
	Class string
	// Certificate returns the key pair of a TLS Secret (an error when it is
	// missing or invalid); nil: no certificates.
	Certificate func(namespace, name string) (*tls.Certificate, error)
}

// Served reports whether an Ingress belongs to class.
func Served(ing *gantryv1.Ingress, class string) bool {
	c := ing.GetSpec().GetIngressClassName()
	return c == "" || c == class
}

// Build returns the routing snapshot of the served Ingresses. It is a pure
// function of its input. Precedence is Kubernetes': the longest matching
// path wins, Exact before Prefix at equal length; what is still tied (or
// conflicts, such as two default backends or two certificates for one
// host) goes to the oldest Ingress, then the first by namespace/name.
func Build(in Input) *Routes {
	ings := make([]*gantryv1.Ingress, 0, len(in.Ingresses))
	for _, ing := range in.Ingresses {
		if ing.GetMetadata().GetName() != "" && Served(ing, in.Class) {
			ings = append(ings, ing)
		}
	}
	slices.SortFunc(ings, func(a, b *gantryv1.Ingress) int {
		am, bm := a.GetMetadata(), b.GetMetadata()
		if c := am.GetCreationTimestamp().AsTime().Compare(bm.GetCreationTimestamp().AsTime()); c != 0 {
			return c
		}
		return cmp.Or(strings.Compare(am.GetNamespace(), bm.GetNamespace()), strings.Compare(am.GetName(), bm.GetName()))
	})
	r := &Routes{exact: map[string][]*Rule{}, wildcard: map[string][]*Rule{},
		exactCert: map[string]*tls.Certificate{}, wildcardCert: map[string]*tls.Certificate{}}
	backends := map[Backend]*Backend{}
	backend := func(ns string, b *gantryv1.IngressBackend) *Backend {
		s := b.GetService()
		k := Backend{Service: table.ServiceKey{Namespace: ns, Name: s.GetName()}, PortName: s.GetPort().GetName(), PortNumber: s.GetPort().GetNumber()}
		if k.PortName != "" {
			k.PortNumber = 0
		}
		key := k // before next is set: equal backends share one counter
		if got, ok := backends[key]; ok {
			return got
		}
		k.next = new(atomic.Uint64)
		backends[key] = &k
		return &k
	}
	for order, ing := range ings {
		ref := Ref{Namespace: ing.GetMetadata().GetNamespace(), Name: ing.GetMetadata().GetName()}
		spec := ing.GetSpec()
		if b := spec.GetDefaultBackend(); b.GetService().GetName() != "" {
			rule := &Rule{Ingress: ref, Backend: backend(ref.Namespace, b), order: order}
			r.rules = append(r.rules, rule)
			if r.def == nil {
				r.def = rule
			}
		}
		for _, ir := range spec.GetRules() {
			host := normHost(ir.GetHost())
			for _, hp := range ir.GetHttp().GetPaths() {
				rule := newRule(ref, host, hp, order)
				if rule == nil {
					continue
				}
				rule.Backend = backend(ref.Namespace, hp.GetBackend())
				r.rules = append(r.rules, rule)
				switch {
				case host == "":
					r.any = append(r.any, rule)
				case strings.HasPrefix(host, "*."):
					r.wildcard[host[2:]] = append(r.wildcard[host[2:]], rule)
				default:
					r.exact[host] = append(r.exact[host], rule)
				}
			}
		}
		for _, t := range spec.GetTls() {
			r.addCert(ref, t, in.Certificate)
		}
	}
	for _, m := range []map[string][]*Rule{r.exact, r.wildcard} {
		for _, rules := range m {
			slices.SortStableFunc(rules, byPrecedence)
		}
	}
	slices.SortStableFunc(r.any, byPrecedence)
	return r
}

// newRule returns the rule of one path (nil when it cannot be served:
// the apiserver validates paths, so this is only a guard).
func newRule(ref Ref, host string, hp *gantryv1.HTTPIngressPath, order int) *Rule {
	p, pt := hp.GetPath(), hp.GetPathType()
	if hp.GetBackend().GetService().GetName() == "" {
		return nil
	}
	switch pt {
	case PathExact, PathPrefix:
	case PathImplementationSpecific:
		if p == "" {
			p = "/"
		}
	default:
		return nil
	}
	if !strings.HasPrefix(p, "/") {
		return nil
	}
	norm := strings.TrimRight(p, "/")
	if norm == "" {
		norm = "/"
	}
	return &Rule{Ingress: ref, Host: host, Path: hp.GetPath(), PathType: pt, norm: norm, order: order}
}

// byPrecedence orders rules as they are tried: longest path first, Exact
// before Prefix, then the oldest Ingress.
func byPrecedence(a, b *Rule) int {
	if c := cmp.Compare(len(b.norm), len(a.norm)); c != 0 {
		return c
	}
	if ae, be := a.PathType == PathExact, b.PathType == PathExact; ae != be {
		if ae {
			return -1
		}
		return 1
	}
	return cmp.Compare(a.order, b.order)
}

func (r *Routes) addCert(ref Ref, t *gantryv1.IngressTLS, load func(ns, name string) (*tls.Certificate, error)) {
	c := &Cert{Ingress: ref, Hosts: t.GetHosts(), SecretName: t.GetSecretName()}
	r.certs = append(r.certs, c)
	switch {
	case c.SecretName == "":
		c.Err = errNoSecretName
		return
	case load == nil:
		c.Err = errNoCertificates
		return
	}
	c.Certificate, c.Err = load(ref.Namespace, c.SecretName)
	if c.Certificate == nil {
		return
	}
	if len(c.Hosts) == 0 {
		// Kubernetes: no hosts means the certificate of every host the
		// controller serves without one of its own.
		if r.defaultCert == nil {
			r.defaultCert = c.Certificate
		}
		return
	}
	for _, h := range c.Hosts {
		h = normHost(h)
		m, k := r.exactCert, h
		if strings.HasPrefix(h, "*.") {
			m, k = r.wildcardCert, h[2:]
		}
		if _, taken := m[k]; !taken {
			m[k] = c.Certificate
		}
	}
}

// normHost lower-cases a host and drops a trailing dot.
func normHost(h string) string { return strings.TrimSuffix(strings.ToLower(h), ".") }

// Match returns the rule for a request to host (without port) and path
// (clean, see cleanPath): the rules of the exact host first, then those of
// the wildcard covering it (one label: *.example.com covers a.example.com,
// not example.com nor a.b.example.com), then those of every host, each
// group by precedence; then the default backend. ok is false when nothing
// matches.
func (r *Routes) Match(host, path string) (*Rule, bool) {
	if r == nil {
		return nil, false
	}
	host = normHost(host)
	if rule := first(r.exact[host], path); rule != nil {
		return rule, true
	}
	if _, suffix, ok := strings.Cut(host, "."); ok && suffix != "" {
		if rule := first(r.wildcard[suffix], path); rule != nil {
			return rule, true
		}
	}
	if rule := first(r.any, path); rule != nil {
		return rule, true
	}
	return r.def, r.def != nil
}

func first(rules []*Rule, path string) *Rule {
	for _, rule := range rules {
		if rule.matches(path) {
			return rule
		}
	}
	return nil
}

// Rules returns every rule, default backends included, in Ingress order.
// The slice is shared: do not modify it.
func (r *Routes) Rules() []*Rule {
	if r == nil {
		return nil
	}
	return r.rules
}

// Certs returns every spec.tls entry served, in Ingress order.
func (r *Routes) Certs() []*Cert {
	if r == nil {
		return nil
	}
	return r.certs
}

// Certificate returns the certificate for a TLS server name: the exact
// host's, the covering wildcard's, else the default one (an entry without
// hosts); nil when none.
func (r *Routes) Certificate(serverName string) *tls.Certificate {
	if r == nil {
		return nil
	}
	h := normHost(serverName)
	if c := r.exactCert[h]; c != nil {
		return c
	}
	if _, suffix, ok := strings.Cut(h, "."); ok {
		if c := r.wildcardCert[suffix]; c != nil {
			return c
		}
	}
	return r.defaultCert
}

// HasTLS reports whether any certificate is loaded.
func (r *Routes) HasTLS() bool {
	return r != nil && (len(r.exactCert) > 0 || len(r.wildcardCert) > 0 || r.defaultCert != nil)
}
