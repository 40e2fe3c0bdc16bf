package api_test

import (
	"context"
	"encoding/base64"
	"fmt"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"github.com/gantryio/gantry/services/apiserver/store"
	"google.golang.org/grpc/codes"
	"google.golang.org/protobuf/proto"
)

// storeState is every object of every kind with its resource_version, as
// one master's store holds them, and the store's revision.
type storeState struct {
	objects  map[string]string
	revision uint64
}

func stateOf(t *testing.T, st *store.Store) storeState {
	t.Helper()
	s := storeState{objects: map[string]string{}, revision: st.Revision()}
	for _, k := range apimeta.Kinds() {
		page, err := st.List(k, store.ListOptions{})
		if err != nil {
			t.Fatalf("list %s from the store: %v", k, err)
		}
		for _, o := range page.Items {
			m := apimeta.Meta(o)
			s.objects[k+" "+apimeta.Key(m.GetNamespace(), m.GetName())] = m.GetResourceVersion()
		}
	}
	return s
}

func (s storeState) diff(o storeState) string {
	var d []string
	for k, rv := range s.objects {
		if orv, ok := o.objects[k]; !ok {
			d = append(d, k+" disappeared")
		} else if orv != rv {
			d = append(d, fmt.Sprintf("%s changed from version %s to %s", k, rv, orv))
		}
	}
	for k := range o.objects {
		if _, ok := s.objects[k]; !ok {
			d = append(d, k+" appeared")
		}
	}
	return strings.Join(d, "; ")
}

// watchErr opens a watch and returns the error its first receive gets.
func watchErr(ctx context.Context, m *testutil.Member, req *gantryv1.WatchRequest) error {
	stream, err := m.Resource.Watch(ctx, req)
	if err != nil {
		return err
	}
	resp, err := stream.Recv()
	if err == nil {
		return fmt.Errorf("watch %v: got %d events, want an error", req, len(resp.GetEvents()))
	}
	return err
}

// TestBadInput sends every kind of bad request to the leader and to a
// follower (which forwards writes) and checks the gRPC code, that the
// message names the field and the rule, and that nothing changed.
func TestBadInput(t *testing.T) {
	c := newCluster(t)
	leader := c.Leader()

	// Fixtures the bad requests refer to.
	cm := create(t, leader, configMap("default", "existing", map[string]string{"app": "web"}, map[string]string{"k": "v1"}))
	staleRV := rvOf(cm)
	cm.GetConfigMap().Data["k"] = "v2"
	cm = update(t, leader, cm)
	if rvOf(cm) == staleRV {
		t.Fatalf("update kept resource_version %s", staleRV)
	}
	dep := create(t, leader, deployment("default", "web", "web"))
	p := create(t, leader, pod("default", "p1", "", nil))
	create(t, leader, node("n1"))

	clone := func(o *gantryv1.Object) *gantryv1.Object { return proto.Clone(o).(*gantryv1.Object) }
	withMeta := func(o *gantryv1.Object, f func(*gantryv1.ObjectMeta)) *gantryv1.Object {
		o = clone(o)
		f(apimeta.Meta(o))
		return o
	}
	big := map[string]string{"blob": strings.Repeat("x", 1100<<10)}
	bigCM := clone(cm)
	bigCM.GetConfigMap().Data = big
	otherSelector := clone(dep)
	otherSelector.GetDeployment().Spec.Selector = &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "other"}}
	otherSelector.GetDeployment().Spec.Template.Metadata.Labels = map[string]string{"app": "other"}
	noContainers := pod("default", "empty", "", nil)
	noContainers.GetPod().Spec.Containers = nil
	badToken := base64.RawURLEncoding.EncodeToString([]byte(`{"k":"ConfigMap"}`))

	createReq := func(o *gantryv1.Object) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.Create(ctx, &gantryv1.CreateRequest{Object: o})
			return err
		}
	}
	updateReq := func(o *gantryv1.Object) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.Update(ctx, &gantryv1.UpdateRequest{Object: o})
			return err
		}
	}
	statusReq := func(o *gantryv1.Object) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.UpdateStatus(ctx, &gantryv1.UpdateStatusRequest{Object: o})
			return err
		}
	}
	getReq := func(r *gantryv1.GetRequest) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.Get(ctx, r)
			return err
		}
	}
	listReq := func(r *gantryv1.ListRequest) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.List(ctx, r)
			return err
		}
	}
	deleteReq := func(r *gantryv1.DeleteRequest) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error {
			_, err := m.Resource.Delete(ctx, r)
			return err
		}
	}
	watchReq := func(r *gantryv1.WatchRequest) func(context.Context, *testutil.Member) error {
		return func(ctx context.Context, m *testutil.Member) error { return watchErr(ctx, m, r) }
	}
	negative := int64(-1)

	cases := []struct {
		name string
		call func(context.Context, *testutil.Member) error
		code codes.Code
		msgs []string
		// decidedInStore: the store decides (preconditions, existence),
		// so the rejected command still takes a Raft index as a no-op;
		// every other rejection must not reach Raft at all.
		decidedInStore bool
	}{
		// Names.
		{name: "create/name not a DNS-1123 subdomain", call: createReq(configMap("default", "Bad_Name", nil, nil)),
			code: codes.InvalidArgument, msgs: []string{"metadata.name", `"Bad_Name"`, "RFC 1123 subdomain"}},
		{name: "create/name too long", call: createReq(configMap("default", strings.Repeat("a", 254), nil, nil)),
			code: codes.InvalidArgument, msgs: []string{"metadata.name", "no more than 253"}},
		{name: "create/namespace name not a DNS-1123 label", call: createReq(namespace("Upper")),
			code: codes.InvalidArgument, msgs: []string{"metadata.name", `"Upper"`, "RFC 1123 label"}},
		{name: "create/service name not a DNS-1035 label", call: createReq(apimeta.Wrap(&gantryv1.Service{Metadata: meta("default", "1svc", nil)})),
			code: codes.InvalidArgument, msgs: []string{"metadata.name", `"1svc"`, "DNS-1035"}},
		{name: "create/bad generateName", call: createReq(apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{GenerateName: "Bad_"}})),
			code: codes.InvalidArgument, msgs: []string{"metadata.generateName", "RFC 1123 subdomain"}},
		{name: "create/no name and no generateName", call: createReq(configMap("default", "", nil, nil)),
			code: codes.InvalidArgument, msgs: []string{"metadata.name", "Required value"}},
		{name: "create/bad label value", call: createReq(configMap("default", "lbl", map[string]string{"app": "not valid!"}, nil)),
			code: codes.InvalidArgument, msgs: []string{"metadata.labels", "not valid!"}},

		// Envelope.
		{name: "create/no object", call: createReq(nil),
			code: codes.InvalidArgument, msgs: []string{"object", "Required value"}},
		{name: "create/empty envelope", call: createReq(&gantryv1.Object{}),
			code: codes.InvalidArgument, msgs: []string{"object", "Required value"}},
		{name: "create/no metadata", call: createReq(apimeta.Wrap(&gantryv1.ConfigMap{Data: map[string]string{"a": "b"}})),
			code: codes.InvalidArgument, msgs: []string{"metadata", "Required value"}},
		{name: "update/empty envelope", call: updateReq(&gantryv1.Object{}),
			code: codes.InvalidArgument, msgs: []string{"object", "Required value"}},
		{name: "update-status/no metadata", call: statusReq(apimeta.Wrap(&gantryv1.Pod{})),
			code: codes.InvalidArgument, msgs: []string{"metadata", "Required value"}},

		// Kinds.
		{name: "get/unknown kind", call: getReq(&gantryv1.GetRequest{Kind: "Widget", Name: "w"}),
			code: codes.InvalidArgument, msgs: []string{"kind", "Unsupported value", `"Widget"`}},
		{name: "get/empty kind", call: getReq(&gantryv1.GetRequest{Name: "w"}),
			code: codes.InvalidArgument, msgs: []string{"kind", "Unsupported value"}},
		{name: "list/unknown kind", call: listReq(&gantryv1.ListRequest{Kind: "pods"}),
			code: codes.InvalidArgument, msgs: []string{"kind", "Unsupported value", `"pods"`}},
		{name: "watch/unknown kind", call: watchReq(&gantryv1.WatchRequest{Kind: "Widget"}),
			code: codes.InvalidArgument, msgs: []string{"kind", "Unsupported value", `"Widget"`}},
		{name: "delete/unknown kind", call: deleteReq(&gantryv1.DeleteRequest{Kind: "Widget", Name: "w"}),
			code: codes.InvalidArgument, msgs: []string{"kind", "Unsupported value", `"Widget"`}},
		{name: "get/no name", call: getReq(&gantryv1.GetRequest{Kind: "ConfigMap"}),
			code: codes.InvalidArgument, msgs: []string{"name", "Required value"}},
		{name: "delete/no name", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap"}),
			code: codes.InvalidArgument, msgs: []string{"name", "Required value"}},

		// Scope.
		{name: "get/namespace on a Node", call: getReq(&gantryv1.GetRequest{Kind: "Node", Namespace: "default", Name: "n1"}),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "list/namespace on Namespaces", call: listReq(&gantryv1.ListRequest{Kind: "Namespace", Namespace: "default"}),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "watch/namespace on Nodes", call: watchReq(&gantryv1.WatchRequest{Kind: "Node", Namespace: "default"}),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "delete/namespace on a Node", call: deleteReq(&gantryv1.DeleteRequest{Kind: "Node", Namespace: "default", Name: "n1"}),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "create/Node with a namespace", call: createReq(apimeta.Wrap(&gantryv1.Node{Metadata: meta("default", "n2", nil)})),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "create/Namespace with a namespace", call: createReq(apimeta.Wrap(&gantryv1.Namespace{Metadata: meta("default", "inner", nil)})),
			code: codes.InvalidArgument, msgs: []string{"namespace", "cluster-scoped"}},
		{name: "create/in a missing namespace", call: createReq(configMap("nope", "x", nil, nil)),
			code: codes.NotFound, msgs: []string{"namespace", `"nope"`}, decidedInStore: true},

		// Existence and concurrency.
		{name: "create/duplicate", call: createReq(configMap("default", "existing", nil, nil)),
			code: codes.AlreadyExists, msgs: []string{"ConfigMap", "default/existing"}, decidedInStore: true},
		{name: "create/duplicate Node", call: createReq(node("n1")),
			code: codes.AlreadyExists, msgs: []string{"Node", "n1"}, decidedInStore: true},
		{name: "get/missing", call: getReq(&gantryv1.GetRequest{Kind: "ConfigMap", Name: "missing"}),
			code: codes.NotFound, msgs: []string{"ConfigMap", "default/missing"}},
		{name: "update/missing", call: updateReq(withMeta(cm, func(m *gantryv1.ObjectMeta) { m.Name = "missing" })),
			code: codes.NotFound, msgs: []string{"ConfigMap", "default/missing"}},
		{name: "delete/missing", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "missing"}),
			code: codes.NotFound, msgs: []string{"ConfigMap", "default/missing"}, decidedInStore: true},
		{name: "update/stale resource_version", call: updateReq(withMeta(cm, func(m *gantryv1.ObjectMeta) { m.ResourceVersion = staleRV })),
			code: codes.Aborted, msgs: []string{"default/existing", "modified", staleRV}, decidedInStore: true},
		{name: "update/no resource_version", call: updateReq(withMeta(cm, func(m *gantryv1.ObjectMeta) { m.ResourceVersion = "" })),
			code: codes.InvalidArgument, msgs: []string{"metadata.resourceVersion"}},
		{name: "update/malformed resource_version", call: updateReq(withMeta(cm, func(m *gantryv1.ObjectMeta) { m.ResourceVersion = "v7" })),
			code: codes.InvalidArgument, msgs: []string{"metadata.resourceVersion", `"v7"`}},
		{name: "update/wrong uid", call: updateReq(withMeta(cm, func(m *gantryv1.ObjectMeta) { m.Uid = "00000000-0000-0000-0000-000000000000" })),
			code: codes.FailedPrecondition, msgs: []string{"uid", "00000000-0000-0000-0000-000000000000"}, decidedInStore: true},
		{name: "update-status/wrong uid", call: statusReq(withMeta(p, func(m *gantryv1.ObjectMeta) { m.Uid = "00000000-0000-0000-0000-000000000000" })),
			code: codes.FailedPrecondition, msgs: []string{"uid", "00000000-0000-0000-0000-000000000000"}, decidedInStore: true},
		{name: "update-status/stale resource_version", call: statusReq(withMeta(p, func(m *gantryv1.ObjectMeta) { m.ResourceVersion = "1" })),
			code: codes.Aborted, msgs: []string{"default/p1", "modified"}, decidedInStore: true},
		{name: "update-status/kind without status", call: statusReq(cm),
			code: codes.InvalidArgument, msgs: []string{"ConfigMap", "no status"}},
		{name: "delete/wrong uid", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "existing", Preconditions: &gantryv1.Preconditions{Uid: "00000000-0000-0000-0000-000000000000"}}),
			code: codes.FailedPrecondition, msgs: []string{"uid", "00000000-0000-0000-0000-000000000000"}, decidedInStore: true},
		{name: "delete/stale resource_version", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "existing", Preconditions: &gantryv1.Preconditions{ResourceVersion: staleRV}}),
			code: codes.Aborted, msgs: []string{"default/existing", "modified"}, decidedInStore: true},
		{name: "delete/malformed resource_version precondition", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "existing", Preconditions: &gantryv1.Preconditions{ResourceVersion: "x"}}),
			code: codes.InvalidArgument, msgs: []string{"preconditions.resourceVersion"}},

		// Size.
		{name: "create/object over 1 MiB", call: createReq(configMap("default", "big", nil, big)),
			code: codes.ResourceExhausted, msgs: []string{"ConfigMap", "1048576"}},
		{name: "update/object over 1 MiB", call: updateReq(bigCM),
			code: codes.ResourceExhausted, msgs: []string{"ConfigMap", "1048576"}},

		// Selectors, pagination, versions.
		{name: "list/malformed label selector", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", LabelSelector: "app in (web"}),
			code: codes.InvalidArgument, msgs: []string{"label_selector", "app in (web"}},
		{name: "list/unknown field selector", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "spec.color=red"}),
			code: codes.InvalidArgument, msgs: []string{"field_selector", `"spec.color"`, "not supported", "metadata.name"}},
		{name: "list/pod field on another kind", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", FieldSelector: "spec.nodeName=n1"}),
			code: codes.InvalidArgument, msgs: []string{"field_selector", `"spec.nodeName"`, "not supported"}},
		{name: "list/malformed field selector", call: listReq(&gantryv1.ListRequest{Kind: "Pod", FieldSelector: "spec.nodeName"}),
			code: codes.InvalidArgument, msgs: []string{"field_selector"}},
		{name: "watch/malformed label selector", call: watchReq(&gantryv1.WatchRequest{Kind: "ConfigMap", LabelSelector: "=web"}),
			code: codes.InvalidArgument, msgs: []string{"label_selector"}},
		{name: "watch/unknown field selector", call: watchReq(&gantryv1.WatchRequest{Kind: "Pod", FieldSelector: "spec.color=red"}),
			code: codes.InvalidArgument, msgs: []string{"field_selector", `"spec.color"`, "not supported"}},
		{name: "list/malformed continue_token", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", ContinueToken: "not a token!"}),
			code: codes.InvalidArgument, msgs: []string{"continue_token", "malformed"}},
		{name: "list/continue_token without position", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", ContinueToken: badToken}),
			code: codes.InvalidArgument, msgs: []string{"continue_token", "malformed"}},
		{name: "list/negative limit", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", Limit: -1}),
			code: codes.InvalidArgument, msgs: []string{"limit", "-1", ">= 0"}},
		{name: "get/malformed min_resource_version", call: getReq(&gantryv1.GetRequest{Kind: "ConfigMap", Name: "existing", MinResourceVersion: "latest"}),
			code: codes.InvalidArgument, msgs: []string{"min_resource_version", `"latest"`}},
		{name: "list/malformed min_resource_version", call: listReq(&gantryv1.ListRequest{Kind: "ConfigMap", MinResourceVersion: "-3"}),
			code: codes.InvalidArgument, msgs: []string{"min_resource_version", `"-3"`}},
		{name: "watch/malformed resource_version", call: watchReq(&gantryv1.WatchRequest{Kind: "ConfigMap", ResourceVersion: "abc"}),
			code: codes.InvalidArgument, msgs: []string{"resource_version", `"abc"`}},
		{name: "watch/send_initial_events with a resource_version", call: watchReq(&gantryv1.WatchRequest{Kind: "ConfigMap", SendInitialEvents: true, ResourceVersion: rvOf(cm)}),
			code: codes.InvalidArgument, msgs: []string{"send_initial_events", "resource_version"}},

		// Delete options and protected objects.
		{name: "delete/bad propagation_policy", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "existing", PropagationPolicy: "Sometimes"}),
			code: codes.InvalidArgument, msgs: []string{"propagationPolicy", `"Sometimes"`, "Unsupported value"}},
		{name: "delete/negative grace period", call: deleteReq(&gantryv1.DeleteRequest{Kind: "ConfigMap", Name: "existing", GracePeriodSeconds: &negative}),
			code: codes.InvalidArgument, msgs: []string{"gracePeriodSeconds", "-1"}},
		{name: "delete/namespace default", call: deleteReq(&gantryv1.DeleteRequest{Kind: "Namespace", Name: "default"}),
			code: codes.FailedPrecondition, msgs: []string{`"default"`, "may not be deleted"}},
		{name: "delete/namespace gantry-system", call: deleteReq(&gantryv1.DeleteRequest{Kind: "Namespace", Name: "gantry-system"}),
			code: codes.FailedPrecondition, msgs: []string{`"gantry-system"`, "may not be deleted"}},

		// Validation and immutability.
		{name: "update/deployment selector changed", call: updateReq(otherSelector),
			code: codes.FailedPrecondition, msgs: []string{"spec.selector", "app=other", "field is immutable"}},
		{name: "update/object moved to another namespace", call: updateReq(withMeta(dep, func(m *gantryv1.ObjectMeta) { m.Namespace = "gantry-system" })),
			code: codes.NotFound, msgs: []string{"Deployment", "gantry-system/web"}},
		{name: "create/pod without containers", call: createReq(noContainers),
			code: codes.InvalidArgument, msgs: []string{"spec.containers", "Required value"}},
		{name: "update/pod without containers", call: updateReq(func() *gantryv1.Object {
			o := clone(p)
			o.GetPod().Spec.Containers = nil
			return o
		}()),
			code: codes.InvalidArgument, msgs: []string{"spec.containers", "Required value"}},
		{name: "update-status/bad pod phase", call: statusReq(func() *gantryv1.Object {
			o := clone(p)
			o.GetPod().Status = &gantryv1.PodStatus{Phase: "Sleeping"}
			return o
		}()),
			code: codes.InvalidArgument, msgs: []string{"status.phase", `"Sleeping"`}},
	}

	follower := c.Followers()[0]
	for _, via := range []*testutil.Member{leader, follower} {
		role := "leader"
		if via != leader {
			role = "follower"
		}
		for _, tc := range cases {
			t.Run(role+"/"+tc.name, func(t *testing.T) {
				before := stateOf(t, leader.Server().Store())
				err := tc.call(ctxT(t), via)
				wantStatus(t, err, tc.code, tc.msgs...)
				after := stateOf(t, leader.Server().Store())
				if d := before.diff(after); d != "" {
					t.Errorf("a rejected request changed the store: %s", d)
				}
				switch {
				case tc.decidedInStore && after.revision > before.revision+1:
					t.Errorf("store revision went from %d to %d; a rejected write may take one no-op index at most", before.revision, after.revision)
				case !tc.decidedInStore && after.revision != before.revision:
					t.Errorf("store revision went from %d to %d; a request rejected at the edge must not reach Raft", before.revision, after.revision)
				}
			})
		}
	}

	// The fixtures are as they were: same version, same content.
	if got := get(t, leader, "ConfigMap", "", "existing"); !proto.Equal(got, cm) {
		t.Errorf("ConfigMap changed by rejected requests:\n got %v\nwant %v", got, cm)
	}
	if got := get(t, follower, "Deployment", "default", "web"); !proto.Equal(got, dep) {
		t.Errorf("Deployment changed by rejected requests:\n got %v\nwant %v", got, dep)
	}
}
