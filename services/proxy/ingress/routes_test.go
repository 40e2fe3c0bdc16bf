package ingress

import (
	"crypto/tls"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// want is the expected match of a request: the service, or "" for none.
type want struct {
	host, path, svc string
}

func check(t *testing.T, rs *Routes, cases []want) {
	t.Helper()
	for _, c := range cases {
		rule, ok := rs.Match(c.host, cleanPath(c.path))
		got := ""
		if ok {
			got = rule.Backend.Service.Name
		}
		if got != c.svc {
			t.Errorf("Match(%q, %q) = %q, want %q", c.host, c.path, got, c.svc)
		}
	}
}

func TestMatchHosts(t *testing.T) {
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{
		ing("a", 1, "", rp{"foo.example.com", "/", PathPrefix, "foo", 80}),
		ing("b", 2, "", rp{"*.example.com", "/", PathPrefix, "wild", 80}),
		ing("c", 3, "", rp{"", "/any", PathPrefix, "any", 80}),
	}})
	check(t, rs, []want{
		{"foo.example.com", "/x", "foo"},
		{"FOO.Example.COM.", "/x", "foo"}, // case and trailing dot
		{"bar.example.com", "/x", "wild"},
		{"a.b.example.com", "/x", ""}, // the wildcard covers one label
		{"example.com", "/x", ""},     // nor the bare domain
		{"a.b.example.com", "/any", "any"},
		{"other.org", "/any/thing", "any"},
		{"other.org", "/anything", ""},
		{"foo.example.com", "/any", "foo"}, // the exact host's rules first
	})
}

func TestMatchPaths(t *testing.T) {
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{
		ing("a", 1, "",
			rp{"h", "/foo", PathPrefix, "prefix", 80},
			rp{"h", "/foo", PathExact, "exact", 80},
			rp{"h", "/foo/bar/", PathPrefix, "longer", 80},
			rp{"h", "/", PathPrefix, "root", 80},
			rp{"h", "/impl", PathImplementationSpecific, "impl", 80},
			rp{"h", "/exact/", PathExact, "exactslash", 80}),
	}})
	check(t, rs, []want{
		{"h", "/foo", "exact"}, // Exact before Prefix at equal length
		{"h", "/foo/", "prefix"},
		{"h", "/foo/baz", "prefix"},
		{"h", "/foobar", "root"}, // element-wise: /foo is not a prefix of /foobar
		{"h", "/foo/bar", "longer"},
		{"h", "/foo/bar/baz", "longer"},
		{"h", "/foo/barn", "prefix"},
		{"h", "/impl/x", "impl"},
		{"h", "/implx", "root"},
		{"h", "/exact/", "exactslash"},
		{"h", "/exact", "root"},
		{"h", "/foo/../foo/bar", "longer"}, // cleaned before matching
		{"h", "//foo///bar", "longer"},
		{"h", "", "root"},
	})
}

func TestDefaultBackend(t *testing.T) {
	a := ing("a", 1, "", rp{"h", "/api", PathPrefix, "api", 80})
	a.Spec.DefaultBackend = backend("fallback", 80)
	b := ing("b", 2, "")
	b.Spec.DefaultBackend = backend("younger", 80)
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{b, a}})
	check(t, rs, []want{
		{"h", "/api/x", "api"},
		{"h", "/web", "fallback"}, // the oldest Ingress's default backend
		{"other", "/", "fallback"},
	})
	rs = Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{ing("a", 1, "", rp{"h", "/api", PathPrefix, "api", 80})}})
	check(t, rs, []want{{"h", "/web", ""}})
}

func TestConflictsGoToTheOldest(t *testing.T) {
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{
		ing("young", 5, "", rp{"h", "/", PathPrefix, "young", 80}),
		ing("old", 1, "", rp{"h", "/", PathPrefix, "old", 80}),
	}})
	check(t, rs, []want{{"h", "/", "old"}})
}

func TestClassFilter(t *testing.T) {
	ings := []*gantryv1.Ingress{
		ing("none", 1, "", rp{"none", "/", PathPrefix, "none", 80}),
		ing("ours", 2, "gantry", rp{"ours", "/", PathPrefix, "ours", 80}),
		ing("theirs", 3, "nginx", rp{"theirs", "/", PathPrefix, "theirs", 80}),
	}
	check(t, Build(Input{Class: "gantry", Ingresses: ings}), []want{
		{"none", "/", "none"}, {"ours", "/", "ours"}, {"theirs", "/", ""},
	})
	check(t, Build(Input{Class: "nginx", Ingresses: ings}), []want{
		{"none", "/", "none"}, {"ours", "/", ""}, {"theirs", "/", "theirs"},
	})
}

func TestBackendsShareRoundRobin(t *testing.T) {
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{
		ing("a", 1, "", rp{"a", "/", PathPrefix, "web", 80}),
		ing("b", 2, "", rp{"b", "/", PathPrefix, "web", 80}, rp{"c", "/", PathPrefix, "web", 81}),
	}})
	ra, _ := rs.Match("a", "/")
	rb, _ := rs.Match("b", "/")
	rc, _ := rs.Match("c", "/")
	if ra.Backend != rb.Backend {
		t.Error("two rules naming one service port have two backends: round robin would not spread over both")
	}
	if ra.Backend == rc.Backend {
		t.Error("two ports share a backend")
	}
}

func TestCertificates(t *testing.T) {
	fooCrt, fooKey, _ := selfSigned(t, "foo.example.com")
	wildCrt, wildKey, _ := selfSigned(t, "*.example.com")
	defCrt, defKey, _ := selfSigned(t, "default")
	secrets := map[string]*gantryv1.Secret{
		"foo": tlsSecret("foo", fooCrt, fooKey), "wild": tlsSecret("wild", wildCrt, wildKey),
		"def": tlsSecret("def", defCrt, defKey), "bad": tlsSecret("bad", fooCrt, wildKey),
	}
	cache := newCertCache(func(_, name string) (*gantryv1.Secret, bool) { s, ok := secrets[name]; return s, ok })
	a := ing("a", 1, "")
	a.Spec.Tls = []*gantryv1.IngressTLS{
		{Hosts: []string{"foo.example.com"}, SecretName: "foo"},
		{Hosts: []string{"*.example.com"}, SecretName: "wild"},
		{SecretName: "def"},
		{Hosts: []string{"bad.example.com"}, SecretName: "bad"},
		{Hosts: []string{"gone.example.com"}, SecretName: "missing"},
	}
	cache.begin()
	rs := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{a}, Certificate: cache.load})
	leaf := func(c *tls.Certificate) string {
		if c == nil {
			return ""
		}
		return c.Leaf.Subject.CommonName
	}
	for sni, want := range map[string]string{
		"foo.example.com": "foo.example.com", "bar.example.com": "*.example.com",
		"a.b.example.com": "default", "": "default", "bad.example.com": "*.example.com",
	} {
		if got := leaf(rs.Certificate(sni)); got != want {
			t.Errorf("Certificate(%q) = %q, want %q", sni, got, want)
		}
	}
	errs := map[string]bool{}
	for _, c := range rs.Certs() {
		errs[c.SecretName] = c.Err != nil
	}
	if errs["foo"] || !errs["bad"] || !errs["missing"] {
		t.Errorf("certificate errors by secret = %v, want bad and missing only", errs)
	}
	// Parsed once per resource version.
	cache.begin()
	rs2 := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{a}, Certificate: cache.load})
	if rs2.Certificate("foo.example.com") != rs.Certificate("foo.example.com") {
		t.Error("an unchanged Secret was parsed again")
	}
	secrets["foo"] = tlsSecret("foo", wildCrt, wildKey)
	secrets["foo"].Metadata.ResourceVersion = "2"
	cache.begin()
	rs3 := Build(Input{Class: DefaultClass, Ingresses: []*gantryv1.Ingress{a}, Certificate: cache.load})
	if got := leaf(rs3.Certificate("foo.example.com")); got != "*.example.com" {
		t.Errorf("after the Secret changed, Certificate(foo.example.com) = %q", got)
	}
}

func TestParseSecretErrors(t *testing.T) {
	crt, key, _ := selfSigned(t, "h")
	for name, s := range map[string]*gantryv1.Secret{
		"opaque":  {Metadata: &gantryv1.ObjectMeta{Name: "s"}, Type: "Opaque", Data: map[string][]byte{TLSCertKey: crt, TLSKeyKey: key}},
		"no key":  {Metadata: &gantryv1.ObjectMeta{Name: "s"}, Type: SecretTypeTLS, Data: map[string][]byte{TLSCertKey: crt}},
		"garbage": tlsSecret("s", []byte("x"), []byte("y")),
	} {
		if _, err := ParseSecret(s); err == nil {
			t.Errorf("%s: ParseSecret succeeded", name)
		}
	}
	if _, err := ParseSecret(tlsSecret("s", crt, key)); err != nil {
		t.Errorf("ParseSecret(valid) = %v", err)
	}
}

func TestCleanPath(t *testing.T) {
	for in, want := range map[string]string{
		"": "/", "/": "/", "/a/": "/a/", "/a//b": "/a/b", "/a/../b/": "/b/", "/../..": "/", "a": "/a", "/a/.": "/a",
	} {
		if got := cleanPath(in); got != want {
			t.Errorf("cleanPath(%q) = %q, want %q", in, got, want)
		}
	}
}
