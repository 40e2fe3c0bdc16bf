package proxy

import (
	"context"
	"crypto/x509"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/ingress"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// newIngress creates the ingress controller when an ingress listen
// address is set; it resolves backends in the proxy's latest table.
func (p *Proxy) newIngress() error {
	if p.cfg.Ingress.HTTPListen == "" && p.cfg.Ingress.HTTPSListen == "" {
		return nil
	}
	c, err := ingress.New(p.cfg.Ingress, ingress.Deps{Client: p.api, View: p, PageSize: p.cfg.PageSize}, p.log.Named("ingress"))
	if err != nil {
		return err
	}
	p.ingress = c
	return nil
}

// Ingress returns the ingress controller (nil when off).
func (p *Proxy) Ingress() *ingress.Controller { return p.ingress }

// IngressRoutes returns the ingress rules served, with the endpoints each
// backend resolves to in the latest table.
func (s *service) IngressRoutes(_ context.Context, req *gantryv1.IngressRoutesRequest) (*gantryv1.IngressRoutesResponse, error) {
	if len(req.GetNamespace()) > maxNameLen {
		return nil, status.Errorf(codes.InvalidArgument, "namespace: must be no more than %d characters", maxNameLen)
	}
	if len(req.GetName()) > maxNameLen {
		return nil, status.Errorf(codes.InvalidArgument, "name: must be no more than %d characters", maxNameLen)
	}
	c := s.p.ingress
	if c == nil {
		return nil, status.Error(codes.FailedPrecondition, "ingress is off on this proxy (no --ingress-http-listen or --ingress-https-listen)")
	}
	rs := c.Routes()
	if rs == nil {
		return nil, status.Error(codes.Unavailable, "the ingress controller has not loaded its routes yet")
	}
	resp := &gantryv1.IngressRoutesResponse{IngressClass: c.Class()}
	resp.HttpListen, resp.HttpsListen = c.Addrs()
	match := func(r ingress.Ref) bool {
		return (req.GetNamespace() == "" || r.Namespace == req.GetNamespace()) && (req.GetName() == "" || r.Name == req.GetName())
	}
	t := s.p.Table()
	for _, r := range rs.Rules() {
		if !match(r.Ingress) {
			continue
		}
		out := &gantryv1.IngressRoute{
			Namespace: r.Ingress.Namespace, Ingress: r.Ingress.Name, Host: r.Host, Path: r.Path, PathType: r.PathType,
			DefaultBackend: r.Default(), Service: r.Backend.Service.Name, PortName: r.Backend.PortName, PortNumber: r.Backend.PortNumber,
		}
		out.Endpoints, out.Error = r.Backend.Endpoints(t)
		resp.Routes = append(resp.Routes, out)
	}
	for _, ct := range rs.Certs() {
		if !match(ct.Ingress) {
			continue
		}
		out := &gantryv1.IngressCertificate{Namespace: ct.Ingress.Namespace, Ingress: ct.Ingress.Name, Hosts: ct.Hosts, SecretName: ct.SecretName}
		if ct.Err != nil {
			out.Error = ct.Err.Error()
		}
		if ct.Certificate != nil {
			if leaf := leafOf(ct.Certificate.Leaf, ct.Certificate.Certificate); leaf != nil {
				out.DnsNames, out.NotAfter = leaf.DNSNames, timestamppb.New(leaf.NotAfter)
			}
		}
		resp.Certificates = append(resp.Certificates, out)
	}
	return resp, nil
}

func leafOf(leaf *x509.Certificate, chain [][]byte) *x509.Certificate {
	if leaf != nil || len(chain) == 0 {
		return leaf
	}
	l, _ := x509.ParseCertificate(chain[0])
	return l
}
