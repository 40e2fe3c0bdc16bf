package ingress

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net/netip"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// rp is a test path rule: host, path, type, service, port number.
type rp struct {
	host, path, typ, svc string
	port                 int32
}

// ing builds an Ingress created at second age of the epoch.
func ing(name string, age int64, class string, paths ...rp) *gantryv1.Ingress {
	spec := &gantryv1.IngressSpec{}
	if class != "" {
		spec.IngressClassName = &class
	}
	for _, p := range paths {
		spec.Rules = append(spec.Rules, &gantryv1.IngressRule{Host: p.host, Http: &gantryv1.HTTPIngressRuleValue{
			Paths: []*gantryv1.HTTPIngressPath{{Path: p.path, PathType: p.typ, Backend: backend(p.svc, p.port)}}}})
	}
	return &gantryv1.Ingress{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name, CreationTimestamp: timestamppb.New(time.Unix(age, 0))},
		Spec:     spec,
	}
}

func backend(svc string, port int32) *gantryv1.IngressBackend {
	return &gantryv1.IngressBackend{Service: &gantryv1.IngressServiceBackend{Name: svc, Port: &gantryv1.ServiceBackendPort{Number: port}}}
}

// service is a Service "default/name" with one TCP port 80 (named http)
// and its slices: one per endpoint (ready), so that endpoints may have
// different ports (test servers on 127.0.0.1).
func service(name, clusterIP string, addrs ...netip.AddrPort) (*gantryv1.Service, []*gantryv1.EndpointSlice) {
	svc := &gantryv1.Service{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name},
		Spec:     &gantryv1.ServiceSpec{ClusterIp: clusterIP, Ports: []*gantryv1.ServicePort{{Name: "http", Port: 80, Protocol: "TCP"}}},
	}
	var sls []*gantryv1.EndpointSlice
	for i, a := range addrs {
		port := int32(a.Port())
		sls = append(sls, &gantryv1.EndpointSlice{
			Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: fmt.Sprintf("%s-%d", name, i), Labels: map[string]string{table.ServiceNameLabel: name}},
			AddressType: "IPv4",
			Ports:       []*gantryv1.EndpointPort{{Name: new("http"), Port: &port, Protocol: new("TCP")}},
			Endpoints:   []*gantryv1.Endpoint{{Addresses: []string{a.Addr().String()}}},
		})
	}
	return svc, sls
}

// staticView is a View of a fixed table.
type staticView struct{ t *table.Table }

func (v staticView) Table() *table.Table { return v.t }

// selfSigned returns a PEM certificate and key for hosts.
func selfSigned(t *testing.T, hosts ...string) (certPEM, keyPEM []byte, cert *x509.Certificate) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: hosts[0]}, DNSNames: hosts,
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	cert, _ = x509.ParseCertificate(der)
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), cert
}

func tlsSecret(name string, crt, key []byte) *gantryv1.Secret {
	return &gantryv1.Secret{
		Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: name}, Type: SecretTypeTLS,
		Data: map[string][]byte{TLSCertKey: crt, TLSKeyKey: key},
	}
}
