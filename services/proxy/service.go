package proxy

import (
	"context"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/table"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxNameLen bounds the names a RoutesRequest may filter by (DNS subdomain).
const maxNameLen = 253

// service implements gantry.v1.ProxyService.
type service struct {
	gantryv1.UnimplementedProxyServiceServer
	p *Proxy
}

// Status reports the proxy's mode, sync state and table size.
func (s *service) Status(context.Context, *gantryv1.ProxyServiceStatusRequest) (*gantryv1.ProxyServiceStatusResponse, error) {
	p := s.p
	resp := &gantryv1.ProxyServiceStatusResponse{
		NodeName: p.cfg.NodeName, Mode: p.mode, Synced: p.synced.Load(),
		SyncsTotal: p.syncs.Load(), SyncErrorsTotal: p.syncErrors.Load(),
	}
	if snap := p.applied.Load(); snap != nil {
		resp.Services = int32(len(snap.table.Services()))
		resp.Routes = int32(snap.table.Len())
		resp.Endpoints = int32(snap.table.EndpointCount())
		resp.Generation = snap.generation
		resp.LastSyncTime = timestamppb.New(snap.at)
	}
	if e := p.lastErr.Load(); e != nil {
		resp.LastSyncError = *e
	}
	return resp, nil
}

// Routes returns the routes the dataplane carries, filtered by namespace
// and service name.
func (s *service) Routes(_ context.Context, req *gantryv1.RoutesRequest) (*gantryv1.RoutesResponse, error) {
	if len(req.GetNamespace()) > maxNameLen {
		return nil, status.Errorf(codes.InvalidArgument, "namespace: must be no more than %d characters", maxNameLen)
	}
	if len(req.GetName()) > maxNameLen {
		return nil, status.Errorf(codes.InvalidArgument, "name: must be no more than %d characters", maxNameLen)
	}
	snap := s.p.applied.Load()
	if snap == nil {
		return nil, status.Error(codes.Unavailable, "the proxy has not applied its first routing table yet")
	}
	rep, _ := s.p.dp.(dataplane.Reporter)
	resp := &gantryv1.RoutesResponse{Generation: snap.generation}
	for _, r := range snap.table.Routes() {
		if (req.GetNamespace() != "" && r.Key.Namespace != req.GetNamespace()) || (req.GetName() != "" && r.Key.Name != req.GetName()) {
			continue
		}
		resp.Routes = append(resp.Routes, routeProto(r, rep))
	}
	return resp, nil
}

func routeProto(r *table.Route, rep dataplane.Reporter) *gantryv1.ServiceRoute {
	out := &gantryv1.ServiceRoute{
		Namespace: r.Key.Namespace, Service: r.Key.Name, PortName: r.Key.Port, Protocol: string(r.Key.Protocol),
		ClusterIp: r.ClusterIP.String(), Port: int32(r.Port), NodePort: int32(r.NodePort), SessionAffinity: r.SessionAffinity,
	}
	receives := make(map[table.Endpoint]bool, len(r.Targets))
	for _, e := range r.Targets {
		receives[e] = true
	}
	for _, e := range r.Endpoints {
		out.Endpoints = append(out.Endpoints, &gantryv1.RouteEndpoint{
			Address: e.Addr.Addr().String(), Port: int32(e.Addr.Port()),
			Ready: e.Ready, Serving: e.Serving, Terminating: e.Terminating, Receives: receives[e],
			NodeName: e.Node, Target: e.Target,
		})
	}
	if rep != nil {
		st := rep.RouteStatus(r.Key)
		out.Listen, out.Error = st.Listen, st.Error
	}
	return out
}
