package proxy

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/proxy/ingress"
	"github.com/gantryio/gantry/services/proxy/table"
)

// TestIngress: Services, EndpointSlices, a TLS Secret and Ingresses in an
// in-process cluster; the proxy's ingress routes two hosts to two
// services over HTTP and HTTPS (certificate by SNI, reloaded when the
// Secret changes), ignores another class, and answers 503 once a backend
// has no endpoints.
func TestIngress(t *testing.T) {
	e := newEnv(t, func(c *Config) {
		c.Ingress.HTTPListen, c.Ingress.HTTPSListen = testutil.FreeAddr(t), testutil.FreeAddr(t)
	})
	a, b := httpBackend(t, "a"), httpBackend(t, "b")
	for name, addr := range map[string]netip.AddrPort{"svc-a": a, "svc-b": b} {
		e.create(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
			Spec: &gantryv1.ServiceSpec{Ports: []*gantryv1.ServicePort{{Name: "http", Protocol: "TCP", Port: 80}}}})
		e.create(httpSlice(name, addr))
	}
	crt, key, _ := selfSignedPEM(t, "a.test", 1)
	e.create(&gantryv1.Secret{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "a-tls"}, Type: ingress.SecretTypeTLS,
		Data: map[string][]byte{ingress.TLSCertKey: crt, ingress.TLSKeyKey: key}})
	web := &gantryv1.Ingress{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: &gantryv1.IngressSpec{
			Tls: []*gantryv1.IngressTLS{{Hosts: []string{"a.test"}, SecretName: "a-tls"}},
			Rules: []*gantryv1.IngressRule{
				ingressRule("a.test", &gantryv1.ServiceBackendPort{Number: 80}, "svc-a"),
				ingressRule("b.test", &gantryv1.ServiceBackendPort{Name: "http"}, "svc-b"),
			},
		},
	}
	e.create(web)
	other := "other"
	e.create(&gantryv1.Ingress{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "theirs"},
		Spec: &gantryv1.IngressSpec{IngressClassName: &other,
			Rules: []*gantryv1.IngressRule{ingressRule("c.test", &gantryv1.ServiceBackendPort{Number: 80}, "svc-a")}}})

	httpAddr, httpsAddr := e.p.Ingress().Addrs()
	expect := func(host string, wantCode int, wantBody string) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, func() error {
			code, body, err := ingressGet("http://"+httpAddr, host, nil)
			if err != nil {
				return err
			}
			if code != wantCode || (wantBody != "" && body != wantBody) {
				return fmt.Errorf("GET %s: %d %q, want %d %q", host, code, body, wantCode, wantBody)
			}
			return nil
		})
	}
	expect("a.test", http.StatusOK, "a")
	expect("b.test", http.StatusOK, "b")
	expect("c.test", http.StatusNotFound, "") // another class's Ingress

	serial := func() (int64, error) {
		roots := x509.NewCertPool()
		var got int64
		tc := &tls.Config{ServerName: "a.test", InsecureSkipVerify: true, VerifyConnection: func(cs tls.ConnectionState) error {
			got = cs.PeerCertificates[0].SerialNumber.Int64()
			roots.AddCert(cs.PeerCertificates[0])
			_, err := cs.PeerCertificates[0].Verify(x509.VerifyOptions{DNSName: "a.test", Roots: roots})
			return err
		}}
		code, body, err := ingressGet("https://"+httpsAddr, "a.test", tc)
		if err != nil {
			return 0, err
		}
		if code != http.StatusOK || body != "a" {
			return 0, fmt.Errorf("GET https a.test: %d %q", code, body)
		}
		return got, nil
	}
	waitSerial := func(want int64) {
		t.Helper()
		testutil.Eventually(t, 10*time.Second, func() error {
			got, err := serial()
			if err == nil && got != want {
				err = fmt.Errorf("certificate serial %d, want %d", got, want)
			}
			return err
		})
	}
	waitSerial(1)
	crt2, key2, _ := selfSignedPEM(t, "a.test", 2)
	e.update(&gantryv1.Secret{Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: "a-tls"}, Type: ingress.SecretTypeTLS,
		Data: map[string][]byte{ingress.TLSCertKey: crt2, ingress.TLSKeyKey: key2}})
	waitSerial(2)

	resp, err := e.routes.IngressRoutes(e.ctx(), &gantryv1.IngressRoutesRequest{Namespace: "default", Name: "web"})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range resp.GetRoutes() {
		got[r.GetHost()] = fmt.Sprint(r.GetService(), r.GetEndpoints(), r.GetError())
	}
	if want := fmt.Sprint("svc-a", []string{a.String()}, ""); got["a.test"] != want || len(got) != 2 {
		t.Errorf("IngressRoutes = %v, want a.test: %s and b.test", got, want)
	}
	if c := resp.GetCertificates(); len(c) != 1 || c[0].GetError() != "" || c[0].GetDnsNames()[0] != "a.test" {
		t.Errorf("IngressRoutes certificates = %v", c)
	}
	if resp.GetHttpListen() != httpAddr || resp.GetIngressClass() != "gantry" {
		t.Errorf("IngressRoutes listen %q class %q", resp.GetHttpListen(), resp.GetIngressClass())
	}
	if _, err := e.routes.IngressRoutes(e.ctx(), &gantryv1.IngressRoutesRequest{Name: string(make([]byte, 300))}); err == nil {
		t.Error("IngressRoutes with a 300-character name succeeded")
	}

	e.delete(apimeta.KindEndpointSlice, "svc-b-1")
	expect("b.test", http.StatusServiceUnavailable, "")
	expect("a.test", http.StatusOK, "a")
}

func ingressRule(host string, port *gantryv1.ServiceBackendPort, svc string) *gantryv1.IngressRule {
	return &gantryv1.IngressRule{Host: host, Http: &gantryv1.HTTPIngressRuleValue{Paths: []*gantryv1.HTTPIngressPath{{
		Path: "/", PathType: ingress.PathPrefix,
		Backend: &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: svc, Port: port}},
	}}}}
}

// httpBackend is an HTTP server on 127.0.0.1 that answers its name.
func httpBackend(t *testing.T, name string) netip.AddrPort {
	t.Helper()
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { io.WriteString(w, name) }))
	t.Cleanup(s.Close)
	return netip.MustParseAddrPort(s.Listener.Addr().String())
}

func httpSlice(svc string, addr netip.AddrPort) *gantryv1.EndpointSlice {
	pn, proto, port := "http", "TCP", int32(addr.Port())
	return &gantryv1.EndpointSlice{
		Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: svc + "-1", Labels: map[string]string{table.ServiceNameLabel: svc}},
		AddressType: "IPv4",
		Ports:       []*gantryv1.EndpointPort{{Name: &pn, Protocol: &proto, Port: &port}},
		Endpoints:   []*gantryv1.Endpoint{{Addresses: []string{addr.Addr().String()}}},
	}
}

// ingressGet sends GET / with Host host to base; tc set: over TLS.
func ingressGet(base, host string, tc *tls.Config) (int, string, error) {
	tr := &http.Transport{TLSClientConfig: tc, DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	req, err := http.NewRequest(http.MethodGet, base+"/", nil)
	if err != nil {
		return 0, "", err
	}
	req.Host = host
	resp, err := (&http.Client{Transport: tr, Timeout: 5 * time.Second}).Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body), err
}

// selfSignedPEM returns a self-signed certificate for host with the given
// serial number, and its key.
func selfSignedPEM(t *testing.T, host string, serial int64) (crt, key []byte, cert *x509.Certificate) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(serial), Subject: pkix.Name{CommonName: host}, DNSNames: []string{host},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}
