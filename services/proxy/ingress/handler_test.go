package ingress

import (
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap/zaptest"
)

// backendServer answers "name X-Forwarded-For X-Forwarded-Host X-Forwarded-Proto path".
func backendServer(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, "%s %s %s %s %s %s", name, r.Host, r.Header.Get("X-Forwarded-For"), r.Header.Get("X-Forwarded-Host"),
			r.Header.Get("X-Forwarded-Proto"), r.URL.Path)
	}))
	t.Cleanup(s.Close)
	return netip.MustParseAddrPort(s.Listener.Addr().String())
}

// deadAddr is a loopback address nothing listens on.
func deadAddr(t *testing.T) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	a := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	return a
}

type fixture struct {
	url    string
	client *http.Client
}

// newFixture serves ings with services (name -> endpoints, all on the
// same port as the first) through NewHandler.
func newFixture(t *testing.T, ings []*gantryv1.Ingress, svcs map[string][]netip.AddrPort) *fixture {
	t.Helper()
	var ss []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	i := 0
	for name, eps := range svcs {
		i++
		s, sl := service(name, fmt.Sprintf("10.96.0.%d", i), eps...)
		ss, sls = append(ss, s), append(sls, sl...)
	}
	rs := Build(Input{Ingresses: ings, Class: DefaultClass})
	cfg := DefaultConfig()
	h := NewHandler(cfg, func() *Routes { return rs }, staticView{table.Build(ss, sls)}, zaptest.NewLogger(t))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &fixture{url: srv.URL, client: srv.Client()}
}

func (f *fixture) get(t *testing.T, host, path string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, f.url+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = host
	resp, err := f.client.Do(req)
	if err != nil {
		t.Fatalf("GET %s%s: %v", host, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestTwoHostsTwoServices(t *testing.T) {
	a, b := backendServer(t, "a"), backendServer(t, "b")
	f := newFixture(t, []*gantryv1.Ingress{ing("web", 1, "",
		rp{"a.test", "/", PathPrefix, "svc-a", 80}, rp{"b.test", "/", PathPrefix, "svc-b", 80})},
		map[string][]netip.AddrPort{"svc-a": {a}, "svc-b": {b}})
	for host, want := range map[string]string{"a.test": "a", "b.test:8080": "b", "B.TEST": "b"} {
		code, body := f.get(t, host, "/x/../y")
		fields := strings.Fields(body)
		if code != http.StatusOK || len(fields) != 6 || fields[0] != want {
			t.Fatalf("%s: %d %q, want 200 from %s", host, code, body, want)
		}
		if fields[1] != host || fields[2] != "127.0.0.1" || fields[3] != host || fields[4] != "http" {
			t.Errorf("%s: Host, X-Forwarded-For/Host/Proto = %v", host, fields[1:5])
		}
		if fields[5] != "/y" {
			t.Errorf("%s: backend saw path %q, want the cleaned /y", host, fields[5])
		}
	}
	if code, _ := f.get(t, "c.test", "/"); code != http.StatusNotFound {
		t.Errorf("unknown host: %d, want 404", code)
	}
}

func TestUnavailableBackends(t *testing.T) {
	f := newFixture(t, []*gantryv1.Ingress{ing("web", 1, "",
		rp{"h", "/empty", PathPrefix, "empty", 80}, rp{"h", "/missing", PathPrefix, "missing", 80},
		rp{"h", "/port", PathPrefix, "empty", 81}, rp{"h", "/dead", PathPrefix, "dead", 80})},
		map[string][]netip.AddrPort{"empty": nil, "dead": {deadAddr(t), deadAddr(t)}})
	for path, want := range map[string]int{
		"/empty": http.StatusServiceUnavailable, "/missing": http.StatusServiceUnavailable,
		"/port": http.StatusServiceUnavailable, "/dead": http.StatusBadGateway, "/other": http.StatusNotFound,
	} {
		if code, body := f.get(t, "h", path); code != want {
			t.Errorf("%s: %d %q, want %d", path, code, body, want)
		}
	}
}

func TestRoundRobinAndDialRetry(t *testing.T) {
	a, b := backendServer(t, "a"), backendServer(t, "b")
	f := newFixture(t, []*gantryv1.Ingress{ing("web", 1, "", rp{"h", "/", PathPrefix, "web", 80})},
		map[string][]netip.AddrPort{"web": {a, deadAddr(t), b}})
	seen := map[string]int{}
	for range 12 {
		code, body := f.get(t, "h", "/")
		if code != http.StatusOK {
			t.Fatalf("%d %q: a dead endpoint was not skipped", code, body)
		}
		seen[strings.Fields(body)[0]]++
	}
	if seen["a"] == 0 || seen["b"] == 0 {
		t.Errorf("answers by backend = %v, want both", seen)
	}
}

func TestPostBodyRetried(t *testing.T) {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, "got %s", b)
	}))
	t.Cleanup(s.Close)
	live := netip.MustParseAddrPort(s.Listener.Addr().String())
	f := newFixture(t, []*gantryv1.Ingress{ing("web", 1, "", rp{"h", "/", PathPrefix, "web", 80})},
		map[string][]netip.AddrPort{"web": {deadAddr(t), live}})
	for i := range 4 {
		req, _ := http.NewRequest(http.MethodPost, f.url+"/", strings.NewReader(fmt.Sprint("body", i)))
		req.Host = "h"
		resp, err := f.client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if want := fmt.Sprint("got body", i); string(b) != want {
			t.Fatalf("POST %d: %d %q, want %q", i, resp.StatusCode, b, want)
		}
	}
}

func TestNotSyncedIs503(t *testing.T) {
	srv := httptest.NewServer(NewHandler(DefaultConfig(), func() *Routes { return nil }, staticView{}, nil))
	t.Cleanup(srv.Close)
	resp, err := srv.Client().Get(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("before the first snapshot: %d, want 503", resp.StatusCode)
	}
}

func TestTLSBySNI(t *testing.T) {
	a, b := backendServer(t, "a"), backendServer(t, "b")
	aCrt, aKey, aCert := selfSigned(t, "a.test")
	bCrt, bKey, bCert := selfSigned(t, "b.test")
	secrets := map[string]*gantryv1.Secret{"a-tls": tlsSecret("a-tls", aCrt, aKey), "b-tls": tlsSecret("b-tls", bCrt, bKey)}
	web := ing("web", 1, "", rp{"a.test", "/", PathPrefix, "svc-a", 80}, rp{"b.test", "/", PathPrefix, "svc-b", 80})
	web.Spec.Tls = []*gantryv1.IngressTLS{{Hosts: []string{"a.test"}, SecretName: "a-tls"}, {Hosts: []string{"b.test"}, SecretName: "b-tls"}}
	cache := newCertCache(func(_, name string) (*gantryv1.Secret, bool) { s, ok := secrets[name]; return s, ok })
	c := &Controller{}
	c.routes.Store(Build(Input{Ingresses: []*gantryv1.Ingress{web}, Class: DefaultClass, Certificate: cache.load}))
	sa, sla := service("svc-a", "10.96.0.1", a)
	sb, slb := service("svc-b", "10.96.0.2", b)
	view := staticView{table.Build([]*gantryv1.Service{sa, sb}, append(sla, slb...))}
	srv := httptest.NewUnstartedServer(NewHandler(DefaultConfig(), c.Routes, view, zaptest.NewLogger(t)))
	srv.TLS = &tls.Config{GetCertificate: c.getCertificate}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	roots := x509.NewCertPool()
	roots.AddCert(aCert)
	roots.AddCert(bCert)
	for host, want := range map[string]string{"a.test": "a", "b.test": "b"} {
		tr := &http.Transport{TLSClientConfig: &tls.Config{ServerName: host, RootCAs: roots}}
		req, _ := http.NewRequest(http.MethodGet, srv.URL+"/", nil)
		req.Host = host
		resp, err := (&http.Client{Transport: tr}).Do(req)
		if err != nil {
			t.Fatalf("%s: %v (the certificate for the SNI name was not served)", host, err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if f := strings.Fields(string(body)); len(f) < 5 || f[0] != want || f[4] != "https" {
			t.Errorf("%s: %q, want %s over https", host, body, want)
		}
		if got := resp.TLS.PeerCertificates[0].Subject.CommonName; got != host {
			t.Errorf("%s: certificate of %s", host, got)
		}
		tr.CloseIdleConnections()
	}
	conn, err := tls.Dial("tcp", srv.Listener.Addr().String(), &tls.Config{ServerName: "c.test", RootCAs: roots})
	if err == nil {
		conn.Close()
		t.Error("a handshake for a name without a certificate succeeded")
	}
}
