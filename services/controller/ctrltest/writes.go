package ctrltest

import (
	"context"
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// write records a, runs the fault hook and op under the lock, then syncs
// when AutoSync is on.
func (w *World) write(a Action, op func() (*gantryv1.Object, error)) (*gantryv1.Object, error) {
	if w.Fail != nil {
		if err := w.Fail(a); err != nil {
			return nil, err
		}
	}
	w.mu.Lock()
	o, err := op()
	if err == nil {
		if a.Kind == "" {
			a.Kind = apimeta.KindOf(o)
		}
		if a.Key == "" {
			a.Key = keyOf(o)
		}
		w.actions = append(w.actions, a)
	}
	w.mu.Unlock()
	if err == nil {
		w.maybeSync()
	}
	return o, err
}

func keyOf(o *gantryv1.Object) string {
	m := apimeta.Meta(o)
	return apimeta.Key(m.GetNamespace(), m.GetName())
}

func action(verb string, o *gantryv1.Object, batched bool) Action {
	return Action{Verb: verb, Kind: apimeta.KindOf(o), Key: keyOf(o), Batched: batched}
}

// Get returns the stored object.
func (w *World) Get(_ context.Context, kind, namespace, name string) (*gantryv1.Object, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	o, ok := w.objs[kind][apimeta.Key(namespace, name)]
	if !ok {
		return nil, notFound(kind, apimeta.Key(namespace, name))
	}
	return o, nil
}

// Create stores a new object.
func (w *World) Create(_ context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	return w.create(obj, false)
}

func (w *World) create(obj *gantryv1.Object, batched bool) (*gantryv1.Object, error) {
	a := Action{Verb: "create", Kind: apimeta.KindOf(obj), Batched: batched}
	return w.write(a, func() (*gantryv1.Object, error) { return w.createLocked(obj) })
}

func (w *World) createLocked(obj *gantryv1.Object) (*gantryv1.Object, error) {
	o := proto.Clone(obj).(*gantryv1.Object)
	kind, m := apimeta.KindOf(o), apimeta.EnsureMeta(o)
	if m.GetName() == "" && m.GetGenerateName() != "" {
		w.names++
		m.Name = fmt.Sprintf("%s%05d", m.GetGenerateName(), w.names)
	}
	if m.GetName() == "" {
		return nil, status.Error(codes.InvalidArgument, "metadata.name: Required value")
	}
	key := apimeta.Key(m.GetNamespace(), m.GetName())
	if _, ok := w.objs[kind][key]; ok {
		return nil, status.Errorf(codes.AlreadyExists, "%s %s exists", kind, key)
	}
	w.names++
	if m.Uid == "" {
		m.Uid = fmt.Sprintf("uid-%s-%d", m.GetName(), w.names)
	}
	m.Generation = 1
	if m.CreationTimestamp == nil {
		m.CreationTimestamp = w.now()
	}
	w.storeLocked(kind, key, o)
	return o, nil
}

// Update replaces spec and metadata; the resource_version must match.
func (w *World) Update(_ context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	return w.write(action("update", obj, false), func() (*gantryv1.Object, error) { return w.updateLocked(obj) })
}

func (w *World) current(obj *gantryv1.Object) (string, string, *gantryv1.Object, error) {
	kind, m := apimeta.KindOf(obj), apimeta.Meta(obj)
	key := apimeta.Key(m.GetNamespace(), m.GetName())
	old, ok := w.objs[kind][key]
	if !ok {
		return kind, key, nil, notFound(kind, key)
	}
	om := apimeta.Meta(old)
	if rv := m.GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return kind, key, nil, status.Errorf(codes.Aborted, "%s %s: resource_version %s is not %s", kind, key, rv, om.GetResourceVersion())
	}
	if uid := m.GetUid(); uid != "" && uid != om.GetUid() {
		return kind, key, nil, status.Errorf(codes.FailedPrecondition, "%s %s: uid %s is not %s", kind, key, uid, om.GetUid())
	}
	return kind, key, old, nil
}

func (w *World) updateLocked(obj *gantryv1.Object) (*gantryv1.Object, error) {
	kind, key, old, err := w.current(obj)
	if err != nil {
		return nil, err
	}
	o := proto.Clone(obj).(*gantryv1.Object)
	m, om := apimeta.Meta(o), apimeta.Meta(old)
	m.Uid, m.CreationTimestamp, m.DeletionTimestamp = om.GetUid(), om.GetCreationTimestamp(), om.GetDeletionTimestamp()
	apimeta.SetStatus(o, old)
	m.Generation = om.GetGeneration()
	if !apimeta.BodyEqual(o, old) {
		m.Generation++
	}
	if m.GetDeletionTimestamp() != nil && len(m.GetFinalizers()) == 0 && !w.graceful(old) {
		w.removeLocked(kind, key)
		return o, nil
	}
	w.storeLocked(kind, key, o)
	return o, nil
}

// UpdateStatus replaces the status only.
func (w *World) UpdateStatus(_ context.Context, obj *gantryv1.Object) (*gantryv1.Object, error) {
	return w.write(action("updateStatus", obj, false), func() (*gantryv1.Object, error) { return w.updateStatusLocked(obj) })
}

func (w *World) updateStatusLocked(obj *gantryv1.Object) (*gantryv1.Object, error) {
	kind, key, old, err := w.current(obj)
	if err != nil {
		return nil, err
	}
	if proto.Equal(apimeta.Status(obj), apimeta.Status(old)) {
		return old, nil
	}
	o := proto.Clone(old).(*gantryv1.Object)
	apimeta.SetStatus(o, proto.Clone(obj).(*gantryv1.Object))
	w.storeLocked(kind, key, o)
	return o, nil
}

// Delete deletes an object, honouring preconditions and propagation.
func (w *World) Delete(_ context.Context, req *gantryv1.DeleteRequest) (*gantryv1.Object, error) {
	a := Action{Verb: "delete", Kind: req.GetKind(), Key: apimeta.Key(req.GetNamespace(), req.GetName())}
	return w.write(a, func() (*gantryv1.Object, error) { return w.deleteLocked(req) })
}

var propagation = map[string]string{"Orphan": "orphan", "Foreground": "foregroundDeletion"}

func (w *World) deleteLocked(req *gantryv1.DeleteRequest) (*gantryv1.Object, error) {
	kind, key := req.GetKind(), apimeta.Key(req.GetNamespace(), req.GetName())
	old, ok := w.objs[kind][key]
	if !ok {
		return nil, notFound(kind, key)
	}
	om := apimeta.Meta(old)
	if uid := req.GetPreconditions().GetUid(); uid != "" && uid != om.GetUid() {
		return nil, status.Errorf(codes.FailedPrecondition, "%s %s: uid %s is not %s", kind, key, uid, om.GetUid())
	}
	if rv := req.GetPreconditions().GetResourceVersion(); rv != "" && rv != om.GetResourceVersion() {
		return nil, status.Errorf(codes.Aborted, "%s %s: resource_version %s is not %s", kind, key, rv, om.GetResourceVersion())
	}
	o := proto.Clone(old).(*gantryv1.Object)
	m := apimeta.Meta(o)
	if f := propagation[req.GetPropagationPolicy()]; f != "" && m.DeletionTimestamp == nil && !hasString(m.Finalizers, f) {
		m.Finalizers = append(m.Finalizers, f)
	}
	if len(m.GetFinalizers()) == 0 && !w.graceful(o) {
		w.removeLocked(kind, key)
		return o, nil
	}
	if m.DeletionTimestamp != nil && proto.Equal(o, old) {
		return old, nil
	}
	if m.DeletionTimestamp == nil {
		m.DeletionTimestamp = w.now()
	}
	w.storeLocked(kind, key, o)
	return o, nil
}

func (w *World) graceful(o *gantryv1.Object) bool {
	p := o.GetPod()
	return w.GracefulPods && p != nil && p.GetSpec().GetNodeName() != ""
}

func hasString(ss []string, s string) bool {
	for _, x := range ss {
		if x == s {
			return true
		}
	}
	return false
}

// Batch applies each op on its own, like the apiserver's Batch.
func (w *World) Batch(ctx context.Context, req *gantryv1.BatchRequest) (*gantryv1.BatchResponse, error) {
	w.mu.Lock()
	w.batches++
	w.mu.Unlock()
	resp := &gantryv1.BatchResponse{}
	for _, op := range req.GetOps() {
		var o *gantryv1.Object
		var err error
		switch x := op.GetOp().(type) {
		case *gantryv1.BatchOp_Create:
			o, err = w.create(x.Create, true)
		case *gantryv1.BatchOp_Update:
			o, err = w.write(action("update", x.Update, true), func() (*gantryv1.Object, error) { return w.updateLocked(x.Update) })
		case *gantryv1.BatchOp_UpdateStatus:
			o, err = w.write(action("updateStatus", x.UpdateStatus, true), func() (*gantryv1.Object, error) { return w.updateStatusLocked(x.UpdateStatus) })
		case *gantryv1.BatchOp_Delete:
			d := x.Delete
			a := Action{Verb: "delete", Kind: d.GetKind(), Key: apimeta.Key(d.GetNamespace(), d.GetName()), Batched: true}
			o, err = w.write(a, func() (*gantryv1.Object, error) { return w.deleteLocked(d) })
		}
		st, _ := status.FromError(err)
		resp.Results = append(resp.Results, &gantryv1.BatchResult{Code: int32(st.Code()), Message: st.Message(), Object: o})
	}
	return resp, nil
}
