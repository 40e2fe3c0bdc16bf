package store

import (
	"errors"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

const (
	kCM     = apimeta.KindConfigMap
	kDeploy = apimeta.KindDeployment
	kNS     = apimeta.KindNamespace
	kNode   = apimeta.KindNode
	kPod    = apimeta.KindPod
)

// applyCase is one op applied to a store that holds namespace "default"
// (created at index 10) plus whatever setup adds.
type applyCase struct {
	name string
	// setup applies commands that must succeed.
	setup func(h *harness)
	// op builds the op under test; it may read the state setup left.
	op func(h *harness) *storagev1.Op
	// err is the sentinel the op must fail with, nil for success.
	err error
	// events are the events the op must emit, in order.
	events []wantEvent
	// check makes case-specific assertions.
	check func(t *testing.T, h *harness, r Result, evs []*Event)
}

func TestApply(t *testing.T) {
	var cases []applyCase
	cases = append(cases, createCases()...)
	cases = append(cases, updateCases()...)
	cases = append(cases, updateStatusCases()...)
	cases = append(cases, deleteCases()...)
	cases = append(cases, gracefulCases()...)
	cases = append(cases, namespaceCases()...)
	cases = append(cases, memberCases()...)
	cases = append(cases, badCommandCases()...)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h := newHarness(t)
			h.mustApply(createOp(nsObj("default")))
			if tc.setup != nil {
				tc.setup(h)
			}
			before, beforeMembers := dump(t, h.s), h.s.Members()
			res, evs := h.apply(tc.op(h))
			r := res[0]
			if tc.err != nil {
				if !errors.Is(r.Err, tc.err) {
					t.Fatalf("Err = %v, want %v", r.Err, tc.err)
				}
				if r.Object != nil {
					t.Fatalf("failed op returned an object: %v", r.Object)
				}
			} else if r.Err != nil {
				t.Fatalf("Err = %v, want success", r.Err)
			}
			checkEvents(t, evs, tc.events)
			if len(evs) == 0 {
				// Failed ops and no-ops change nothing and bump no version.
				if after := dump(t, h.s); !sameObjects(before, after) {
					t.Fatalf("an op without events changed the state:\nbefore %v\nafter  %v", before, after)
				}
				if tc.err != nil && !equalMembers(beforeMembers, h.s.Members()) {
					t.Fatalf("a failed op changed the members: %v -> %v", beforeMembers, h.s.Members())
				}
			}
			if tc.check != nil {
				tc.check(t, h, r, evs)
			}
		})
	}
}

func equalMembers(a, b []*storagev1.MemberInfo) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if !proto.Equal(a[i], b[i]) {
			return false
		}
	}
	return true
}

// isStored checks that the result object is what Get now returns.
func isStored(t *testing.T, h *harness, o *gantryv1.Object) {
	t.Helper()
	m := apimeta.Meta(o)
	if got := h.get(apimeta.KindOf(o), m.GetNamespace(), m.GetName()); !proto.Equal(got, o) {
		t.Fatalf("stored object differs from the result:\nstored %v\nresult %v", got, o)
	}
}

func wantRV(t *testing.T, o *gantryv1.Object, rv uint64) {
	t.Helper()
	if got := apimeta.Meta(o).GetResourceVersion(); got != apimeta.FormatResourceVersion(rv) {
		t.Fatalf("resource_version = %q, want %d", got, rv)
	}
}

func wantGen(t *testing.T, o *gantryv1.Object, gen int64) {
	t.Helper()
	if got := apimeta.Meta(o).GetGeneration(); got != gen {
		t.Fatalf("generation = %d, want %d", got, gen)
	}
}

func createCases() []applyCase {
	return []applyCase{
		{
			name: "create/ok",
			op: func(h *harness) *storagev1.Op {
				// Generation and resource_version from the client are overwritten.
				return createOp(editMeta(cmObj("default", "a", map[string]string{"k": "v"}), func(m *gantryv1.ObjectMeta) {
					m.Generation, m.ResourceVersion = 7, "3"
				}))
			},
			events: []wantEvent{{evAdded, kCM, "default/a"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGen(t, r.Object, 1)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
				if !proto.Equal(evs[0].Object, r.Object) {
					t.Fatalf("ADDED event object %v, result %v", evs[0].Object, r.Object)
				}
				if m := apimeta.Meta(r.Object); m.GetUid() != "uid-default-a" || !proto.Equal(m.GetCreationTimestamp(), created) {
					t.Fatalf("create lost the leader's uid/creation timestamp: %v", m)
				}
				if r.Object.GetConfigMap().GetData()["k"] != "v" {
					t.Fatalf("data lost: %v", r.Object)
				}
			},
		},
		{
			name:  "create/already exists",
			setup: func(h *harness) { h.mustApply(createOp(cmObj("default", "a", map[string]string{"k": "v1"}))) },
			op: func(h *harness) *storagev1.Op {
				return createOp(cmObj("default", "a", map[string]string{"k": "v2"}))
			},
			err: ErrAlreadyExists,
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				if got := h.get(kCM, "default", "a"); got.GetConfigMap().GetData()["k"] != "v1" {
					t.Fatalf("failed create overwrote the object: %v", got)
				}
			},
		},
		{
			name: "create/namespace missing",
			op:   func(h *harness) *storagev1.Op { return createOp(cmObj("nope", "a", nil)) },
			err:  ErrNamespaceNotFound,
		},
		{
			name: "create/namespaced kind without namespace",
			op:   func(h *harness) *storagev1.Op { return createOp(cmObj("", "a", nil)) },
			err:  ErrNamespaceNotFound,
		},
		{
			name: "create/namespace terminating",
			setup: func(h *harness) {
				h.mustApply(createOp(nsObj("dying", "example.com/hold")))
				h.mustApply(deleteOp(kNS, "", "dying"))
			},
			op:  func(h *harness) *storagev1.Op { return createOp(cmObj("dying", "a", nil)) },
			err: ErrNamespaceTerminating,
		},
		{
			name:   "create/cluster-scoped kind needs no namespace",
			op:     func(h *harness) *storagev1.Op { return createOp(nodeObj("n1")) },
			events: []wantEvent{{evAdded, kNode, "n1"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGen(t, r.Object, 1)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
			},
		},
		{
			name:   "create/namespace",
			op:     func(h *harness) *storagev1.Op { return createOp(nsObj("other")) },
			events: []wantEvent{{evAdded, kNS, "other"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
			},
		},
	}
}

func updateCases() []applyCase {
	createA := func(h *harness) { h.mustApply(createOp(cmObj("default", "a", map[string]string{"k": "v1"}))) }
	createD := func(h *harness) { h.mustApply(createOp(deployObj("default", "d", 1))) }
	return []applyCase{
		{
			name:  "update/ok with matching resource_version",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				cur := h.get(kCM, "default", "a")
				return updateOp(edit(cur, func(c *gantryv1.ConfigMap) { c.Data = map[string]string{"k": "v2"} }), rvOf(h.t, cur))
			},
			events: []wantEvent{{evModified, kCM, "default/a"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				// Data is a ConfigMap's body: changing it bumps generation.
				wantGen(t, r.Object, 2)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
				if r.Object.GetConfigMap().GetData()["k"] != "v2" {
					t.Fatalf("update lost: %v", r.Object)
				}
				prev := evs[0].Prev
				wantRV(t, prev, h.idx-indexStep)
				if prev.GetConfigMap().GetData()["k"] != "v1" {
					t.Fatalf("MODIFIED Prev is not the old object: %v", prev)
				}
			},
		},
		{
			name:  "update/unconditional",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				return updateOp(cmObj("default", "a", map[string]string{"k": "v2"}), 0)
			},
			events: []wantEvent{{evModified, kCM, "default/a"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantRV(t, r.Object, h.idx)
			},
		},
		{
			name: "update/stale expect_resource_version",
			setup: func(h *harness) {
				createA(h)
				h.mustApply(updateOp(cmObj("default", "a", map[string]string{"k": "v2"}), 0))
			},
			op: func(h *harness) *storagev1.Op {
				// The version the object had before the last setup command.
				return updateOp(cmObj("default", "a", map[string]string{"k": "v3"}), h.idx-indexStep)
			},
			err: ErrConflict,
		},
		{
			name:  "update/expect_resource_version from the future",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				return updateOp(cmObj("default", "a", map[string]string{"k": "v3"}), h.nextIndex())
			},
			err: ErrConflict,
		},
		{
			name:  "update/uid mismatch",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				op := updateOp(cmObj("default", "a", map[string]string{"k": "v2"}), 0)
				op.ExpectUid = "uid-of-a-previous-incarnation"
				return op
			},
			err: ErrUIDMismatch,
		},
		{
			name:  "update/uid match",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				op := updateOp(cmObj("default", "a", map[string]string{"k": "v2"}), h.idx)
				op.ExpectUid = "uid-default-a"
				return op
			},
			events: []wantEvent{{evModified, kCM, "default/a"}},
		},
		{
			name: "update/not found",
			op: func(h *harness) *storagev1.Op {
				return updateOp(cmObj("default", "missing", nil), 0)
			},
			err: ErrNotFound,
		},
		{
			name:  "update/label-only change keeps generation",
			setup: createD,
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kDeploy, "default", "d"), func(m *gantryv1.ObjectMeta) {
					m.Labels = map[string]string{"team": "a"}
				}), h.idx)
			},
			events: []wantEvent{{evModified, kDeploy, "default/d"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGen(t, r.Object, 1)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
				if apimeta.Meta(r.Object).GetLabels()["team"] != "a" {
					t.Fatalf("labels lost: %v", r.Object)
				}
			},
		},
		{
			name: "update/spec change bumps generation",
			setup: func(h *harness) {
				createD(h)
				h.mustApply(updateOp(deployObj("default", "d", 2), 0)) // generation 2
			},
			op:     func(h *harness) *storagev1.Op { return updateOp(deployObj("default", "d", 3), h.idx) },
			events: []wantEvent{{evModified, kDeploy, "default/d"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGen(t, r.Object, 3)
				if r.Object.GetDeployment().GetSpec().GetReplicas() != 3 {
					t.Fatalf("spec lost: %v", r.Object)
				}
			},
		},
		{
			name: "update/keeps stored status",
			setup: func(h *harness) {
				createD(h)
				h.mustApply(statusOp(edit(deployObj("default", "d", 1), func(d *gantryv1.Deployment) {
					d.Status = &gantryv1.DeploymentStatus{Replicas: 4}
				}), 0))
			},
			op: func(h *harness) *storagev1.Op {
				return updateOp(edit(deployObj("default", "d", 5), func(d *gantryv1.Deployment) {
					d.Status = &gantryv1.DeploymentStatus{Replicas: 99}
				}), 0)
			},
			events: []wantEvent{{evModified, kDeploy, "default/d"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				d := r.Object.GetDeployment()
				if d.GetStatus().GetReplicas() != 4 || d.GetSpec().GetReplicas() != 5 {
					t.Fatalf("update must change spec and keep status: %v", d)
				}
				isStored(t, h, r.Object)
			},
		},
		{
			name:  "update/keeps server-owned fields",
			setup: createD,
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(deployObj("default", "d", 1), func(m *gantryv1.ObjectMeta) {
					m.Uid, m.CreationTimestamp, m.Generation, m.ResourceVersion = "forged", later, 99, "1"
					m.DeletionTimestamp, m.DeletionGracePeriodSeconds, m.GenerateName = later, proto.Int64(5), "x-"
					m.Labels = map[string]string{"changed": "yes"}
				}), 0)
			},
			events: []wantEvent{{evModified, kDeploy, "default/d"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				m := apimeta.Meta(r.Object)
				if m.GetUid() != "uid-default-d" || !proto.Equal(m.GetCreationTimestamp(), created) ||
					m.GetDeletionTimestamp() != nil || m.DeletionGracePeriodSeconds != nil || m.GetGenerateName() != "" {
					t.Fatalf("update let the client set server-owned fields: %v", m)
				}
				wantGen(t, r.Object, 1)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
			},
		},
		{
			name: "update/no-op returns the stored object",
			setup: func(h *harness) {
				createD(h)
				h.mustApply(statusOp(edit(deployObj("default", "d", 1), func(d *gantryv1.Deployment) {
					d.Status = &gantryv1.DeploymentStatus{Replicas: 1}
				}), 0))
			},
			op: func(h *harness) *storagev1.Op {
				// Only ignored fields differ: status, generation, resource_version.
				return updateOp(edit(deployObj("default", "d", 1), func(d *gantryv1.Deployment) {
					d.Status = &gantryv1.DeploymentStatus{Replicas: 7}
					d.Metadata.Generation, d.Metadata.ResourceVersion = 42, "1"
				}), h.idx)
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				stored := h.get(kDeploy, "default", "d")
				if r.Object != stored {
					t.Fatalf("no-op update returned %v, want the stored object %v", r.Object, stored)
				}
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
		{
			name: "update/no-op for a kind without spec",
			setup: func(h *harness) {
				createA(h)
			},
			op: func(h *harness) *storagev1.Op {
				return updateOp(cmObj("default", "a", map[string]string{"k": "v1"}), 0)
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
	}
}

func updateStatusCases() []applyCase {
	createP := func(h *harness) { h.mustApply(createOp(podObj("default", "p", ""))) }
	running := func(o *gantryv1.Object) *gantryv1.Object {
		return edit(o, func(p *gantryv1.Pod) { p.Status = &gantryv1.PodStatus{Phase: "Running"} })
	}
	return []applyCase{
		{
			name:  "update_status/ok keeps everything but status",
			setup: createP,
			op: func(h *harness) *storagev1.Op {
				in := running(podObj("default", "p", "sneaky-node"))
				in = editMeta(in, func(m *gantryv1.ObjectMeta) { m.Labels = map[string]string{"x": "y"}; m.Generation = 9 })
				return statusOp(in, h.idx)
			},
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				p := r.Object.GetPod()
				if p.GetStatus().GetPhase() != "Running" {
					t.Fatalf("status not written: %v", p)
				}
				if p.GetSpec().GetNodeName() != "" || len(p.GetMetadata().GetLabels()) != 0 {
					t.Fatalf("update_status changed spec or metadata: %v", p)
				}
				wantGen(t, r.Object, 1)
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
				if evs[0].Prev.GetPod().GetStatus() != nil {
					t.Fatalf("Prev has a status: %v", evs[0].Prev)
				}
			},
		},
		{
			name: "update_status/stale resource_version",
			setup: func(h *harness) {
				createP(h)
				h.mustApply(statusOp(running(podObj("default", "p", "")), 0))
			},
			op: func(h *harness) *storagev1.Op {
				return statusOp(edit(podObj("default", "p", ""), func(p *gantryv1.Pod) {
					p.Status = &gantryv1.PodStatus{Phase: "Failed"}
				}), h.idx-indexStep)
			},
			err: ErrConflict,
		},
		{
			name:  "update_status/uid mismatch",
			setup: createP,
			op: func(h *harness) *storagev1.Op {
				op := statusOp(running(podObj("default", "p", "")), 0)
				op.ExpectUid = "other"
				return op
			},
			err: ErrUIDMismatch,
		},
		{
			name: "update_status/not found",
			op:   func(h *harness) *storagev1.Op { return statusOp(running(podObj("default", "p", "")), 0) },
			err:  ErrNotFound,
		},
		{
			name: "update_status/no-op when equal",
			setup: func(h *harness) {
				createP(h)
				h.mustApply(statusOp(running(podObj("default", "p", "")), 0))
			},
			op: func(h *harness) *storagev1.Op {
				return statusOp(running(podObj("default", "p", "other-node")), h.idx)
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				if stored := h.get(kPod, "default", "p"); r.Object != stored {
					t.Fatalf("no-op update_status returned %v, want the stored object", r.Object)
				}
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
		{
			name:  "update_status/kind without status is a no-op",
			setup: func(h *harness) { h.mustApply(createOp(cmObj("default", "a", nil))) },
			op: func(h *harness) *storagev1.Op {
				return statusOp(cmObj("default", "a", map[string]string{"ignored": "yes"}), 0)
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				if len(r.Object.GetConfigMap().GetData()) != 0 {
					t.Fatalf("update_status changed data: %v", r.Object)
				}
			},
		},
	}
}

func deleteCases() []applyCase {
	createA := func(h *harness) { h.mustApply(createOp(cmObj("default", "a", map[string]string{"k": "v"}))) }
	createF := func(h *harness) {
		h.mustApply(createOp(cmObj("default", "f", nil, "example.com/one", "example.com/two")))
	}
	return []applyCase{
		{
			name:   "delete/ok",
			setup:  createA,
			op:     func(h *harness) *storagev1.Op { return deleteOp(kCM, "default", "a") },
			events: []wantEvent{{evDeleted, kCM, "default/a"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				h.absent(kCM, "default", "a")
				// The DELETED object carries the delete's revision.
				wantRV(t, r.Object, h.idx)
				wantRV(t, evs[0].Object, h.idx)
				wantRV(t, evs[0].Prev, h.idx-indexStep)
				if evs[0].Object.GetConfigMap().GetData()["k"] != "v" {
					t.Fatalf("DELETED object is not the last state: %v", evs[0].Object)
				}
				if h.s.Count(kCM) != 0 {
					t.Fatalf("Count = %d after delete", h.s.Count(kCM))
				}
			},
		},
		{
			name:  "delete/matching preconditions",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				op := deleteOp(kCM, "default", "a")
				op.ExpectResourceVersion, op.ExpectUid = h.idx, "uid-default-a"
				return op
			},
			events: []wantEvent{{evDeleted, kCM, "default/a"}},
		},
		{
			name:  "delete/stale resource_version",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				op := deleteOp(kCM, "default", "a")
				op.ExpectResourceVersion = h.idx - indexStep
				return op
			},
			err: ErrConflict,
		},
		{
			name:  "delete/uid mismatch",
			setup: createA,
			op: func(h *harness) *storagev1.Op {
				op := deleteOp(kCM, "default", "a")
				op.ExpectUid = "uid-of-someone-else"
				return op
			},
			err: ErrUIDMismatch,
		},
		{
			name: "delete/not found",
			op:   func(h *harness) *storagev1.Op { return deleteOp(kCM, "default", "a") },
			err:  ErrNotFound,
		},
		{
			name:  "delete/wrong namespace is not found",
			setup: createA,
			op:    func(h *harness) *storagev1.Op { return deleteOp(kCM, "other", "a") },
			err:   ErrNotFound,
		},
		{
			name:   "delete/cluster-scoped",
			setup:  func(h *harness) { h.mustApply(createOp(nodeObj("n1"))) },
			op:     func(h *harness) *storagev1.Op { return deleteOp(kNode, "", "n1") },
			events: []wantEvent{{evDeleted, kNode, "n1"}},
		},
		{
			name:   "delete/finalizers set deletion_timestamp",
			setup:  createF,
			op:     func(h *harness) *storagev1.Op { return deleteOp(kCM, "default", "f") },
			events: []wantEvent{{evModified, kCM, "default/f"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				m := apimeta.Meta(h.get(kCM, "default", "f"))
				if !proto.Equal(m.GetDeletionTimestamp(), now) {
					t.Fatalf("deletion_timestamp = %v, want op.now %v", m.GetDeletionTimestamp(), now)
				}
				if m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds != 0 {
					t.Fatalf("deletion_grace_period_seconds = %v, want 0", m.DeletionGracePeriodSeconds)
				}
				if len(m.GetFinalizers()) != 2 || m.GetGeneration() != 1 {
					t.Fatalf("marking changed finalizers or generation: %v", m)
				}
				wantRV(t, r.Object, h.idx)
				isStored(t, h, r.Object)
			},
		},
		{
			name: "delete/again of a marked object is a no-op",
			setup: func(h *harness) {
				createF(h)
				h.mustApply(deleteOp(kCM, "default", "f"))
			},
			op: func(h *harness) *storagev1.Op {
				op := deleteOp(kCM, "default", "f")
				op.Now = later
				return op
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				if !proto.Equal(apimeta.Meta(r.Object).GetDeletionTimestamp(), now) {
					t.Fatalf("second delete moved deletion_timestamp: %v", apimeta.Meta(r.Object))
				}
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
		{
			name: "delete/update removing one of two finalizers keeps the object",
			setup: func(h *harness) {
				createF(h)
				h.mustApply(deleteOp(kCM, "default", "f"))
			},
			op: func(h *harness) *storagev1.Op {
				// The client also clears deletion_timestamp: it must not stick.
				return updateOp(editMeta(h.get(kCM, "default", "f"), func(m *gantryv1.ObjectMeta) {
					m.Finalizers, m.DeletionTimestamp = []string{"example.com/two"}, nil
				}), h.idx)
			},
			events: []wantEvent{{evModified, kCM, "default/f"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				m := apimeta.Meta(h.get(kCM, "default", "f"))
				if !proto.Equal(m.GetDeletionTimestamp(), now) || len(m.GetFinalizers()) != 1 {
					t.Fatalf("want the object still marked with one finalizer: %v", m)
				}
			},
		},
		{
			name: "delete/update removing the last finalizer removes the object",
			setup: func(h *harness) {
				createF(h)
				h.mustApply(deleteOp(kCM, "default", "f"))
			},
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kCM, "default", "f"), func(m *gantryv1.ObjectMeta) {
					m.Finalizers = nil
				}), h.idx)
			},
			events: []wantEvent{{evDeleted, kCM, "default/f"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				h.absent(kCM, "default", "f")
				wantRV(t, r.Object, h.idx)
				if apimeta.Meta(r.Object).GetDeletionTimestamp() == nil {
					t.Fatalf("DELETED object lost its deletion_timestamp: %v", r.Object)
				}
				// Prev is the object as it was stored, finalizers and all.
				prev := evs[0].Prev
				wantRV(t, prev, h.idx-indexStep)
				if len(apimeta.Meta(prev).GetFinalizers()) != 2 {
					t.Fatalf("DELETED Prev is not the stored object: %v", prev)
				}
			},
		},
	}
}

// gracefulCases cover pods bound to a node: they get a grace period.
func gracefulCases() []applyCase {
	bound := func(h *harness) { h.mustApply(createOp(podObj("default", "p", "n1"))) }
	boundMarked := func(h *harness) {
		bound(h)
		h.mustApply(deleteOp(kPod, "default", "p"))
	}
	wantGrace := func(t *testing.T, h *harness, grace int64) {
		t.Helper()
		m := apimeta.Meta(h.get(kPod, "default", "p"))
		if m.DeletionGracePeriodSeconds == nil || *m.DeletionGracePeriodSeconds != grace {
			t.Fatalf("deletion_grace_period_seconds = %v, want %d", m.DeletionGracePeriodSeconds, grace)
		}
		if !proto.Equal(m.GetDeletionTimestamp(), now) {
			t.Fatalf("deletion_timestamp = %v, want %v", m.GetDeletionTimestamp(), now)
		}
	}
	return []applyCase{
		{
			name:   "graceful/bound pod defaults to 30s",
			setup:  bound,
			op:     func(h *harness) *storagev1.Op { return deleteOp(kPod, "default", "p") },
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGrace(t, h, 30)
				isStored(t, h, r.Object)
			},
		},
		{
			name: "graceful/bound pod uses its termination_grace_period_seconds",
			setup: func(h *harness) {
				h.mustApply(createOp(edit(podObj("default", "p", "n1"), func(p *gantryv1.Pod) {
					p.Spec.TerminationGracePeriodSeconds = proto.Int64(10)
				})))
			},
			op:     func(h *harness) *storagev1.Op { return deleteOp(kPod, "default", "p") },
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { wantGrace(t, h, 10) },
		},
		{
			name:   "graceful/op grace_period_seconds overrides",
			setup:  bound,
			op:     func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", 5) },
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { wantGrace(t, h, 5) },
		},
		{
			name:   "graceful/later delete with grace 0 removes it",
			setup:  boundMarked,
			op:     func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", 0) },
			events: []wantEvent{{evDeleted, kPod, "default/p"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				h.absent(kPod, "default", "p")
				wantRV(t, r.Object, h.idx)
			},
		},
		{
			name:   "graceful/negative grace counts as 0",
			setup:  bound,
			op:     func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", -1) },
			events: []wantEvent{{evDeleted, kPod, "default/p"}},
		},
		{
			name:  "graceful/shorter grace shortens, keeps deletion_timestamp",
			setup: boundMarked,
			op: func(h *harness) *storagev1.Op {
				op := graceDeleteOp(kPod, "default", "p", 5)
				op.Now = later
				return op
			},
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { wantGrace(t, h, 5) },
		},
		{
			name:  "graceful/longer grace is a no-op",
			setup: boundMarked,
			op:    func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", 60) },
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGrace(t, h, 30)
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
		{
			name:  "graceful/update while terminating keeps the pod",
			setup: boundMarked,
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kPod, "default", "p"), func(m *gantryv1.ObjectMeta) {
					m.Labels = map[string]string{"draining": "yes"}
				}), h.idx)
			},
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { wantGrace(t, h, 30) },
		},
		{
			name:   "graceful/unbound pod goes at once",
			setup:  func(h *harness) { h.mustApply(createOp(podObj("default", "p", ""))) },
			op:     func(h *harness) *storagev1.Op { return deleteOp(kPod, "default", "p") },
			events: []wantEvent{{evDeleted, kPod, "default/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { h.absent(kPod, "default", "p") },
		},
		{
			name: "graceful/finished bound pod goes at once",
			setup: func(h *harness) {
				bound(h)
				h.mustApply(statusOp(edit(podObj("default", "p", "n1"), func(p *gantryv1.Pod) {
					p.Status = &gantryv1.PodStatus{Phase: "Succeeded"}
				}), 0))
			},
			op:     func(h *harness) *storagev1.Op { return deleteOp(kPod, "default", "p") },
			events: []wantEvent{{evDeleted, kPod, "default/p"}},
		},
		{
			// A forced delete (grace 0) of a bound pod that also has a
			// finalizer must record grace 0, so that removing the
			// finalizer removes the pod.
			name: "graceful/force delete of a pod with finalizers records grace 0",
			setup: func(h *harness) {
				h.mustApply(createOp(podObj("default", "p", "n1", "example.com/f")))
				h.mustApply(deleteOp(kPod, "default", "p"))
			},
			op:     func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", 0) },
			events: []wantEvent{{evModified, kPod, "default/p"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantGrace(t, h, 0)
				res, evs2 := h.mustApply(updateOp(editMeta(h.get(kPod, "default", "p"), func(m *gantryv1.ObjectMeta) {
					m.Finalizers = nil
				}), h.idx))
				checkEvents(t, evs2, []wantEvent{{evDeleted, kPod, "default/p"}})
				h.absent(kPod, "default", "p")
				wantRV(t, res[0].Object, h.idx)
			},
		},
	}
}

func namespaceCases() []applyCase {
	withObjects := func(h *harness) {
		h.mustApply(
			createOp(cmObj("default", "b", nil)),
			createOp(cmObj("default", "a", nil)),
			createOp(podObj("default", "p", "")),
			createOp(deployObj("default", "d", 1)),
			createOp(nsObj("other")),
			createOp(cmObj("other", "x", nil)),
			createOp(nsObj("defaultx")),
			createOp(cmObj("defaultx", "y", nil)),
		)
	}
	withGracefulPod := func(h *harness) {
		h.mustApply(createOp(cmObj("default", "a", nil)), createOp(podObj("default", "p", "n1")))
	}
	terminating := func(h *harness) {
		withGracefulPod(h)
		h.mustApply(deleteOp(kNS, "", "default"))
	}
	wantTerminating := func(t *testing.T, h *harness) {
		t.Helper()
		ns := h.get(kNS, "", "default")
		if !proto.Equal(apimeta.Meta(ns).GetDeletionTimestamp(), now) || ns.GetNamespace().GetStatus().GetPhase() != "Terminating" {
			t.Fatalf("namespace is not Terminating since op.now: %v", ns)
		}
	}
	return []applyCase{
		{
			name:   "namespace/empty goes at once",
			op:     func(h *harness) *storagev1.Op { return deleteOp(kNS, "", "default") },
			events: []wantEvent{{evDeleted, kNS, "default"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { h.absent(kNS, "", "default") },
		},
		{
			name:  "namespace/contents deleted, namespace removed with its last object",
			setup: withObjects,
			op:    func(h *harness) *storagev1.Op { return deleteOp(kNS, "", "default") },
			events: []wantEvent{
				{evModified, kNS, "default"},
				// Kinds in name order, keys in order.
				{evDeleted, kCM, "default/a"},
				{evDeleted, kCM, "default/b"},
				{evDeleted, kDeploy, "default/d"},
				{evDeleted, kPod, "default/p"},
				{evDeleted, kNS, "default"},
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				h.absent(kNS, "", "default")
				for _, k := range []string{kCM, kDeploy, kPod} {
					if res, _ := h.s.List(k, ListOptions{Namespace: "default"}); len(res.Items) != 0 {
						t.Fatalf("%s left in the deleted namespace: %v", k, res.Items)
					}
				}
				h.get(kCM, "other", "x")
				h.get(kCM, "defaultx", "y")
				if evs[0].Object.GetNamespace().GetStatus().GetPhase() != "Terminating" {
					t.Fatalf("first event is not the namespace turning Terminating: %v", evs[0].Object)
				}
			},
		},
		{
			name:  "namespace/graceful pod keeps it terminating",
			setup: withGracefulPod,
			op:    func(h *harness) *storagev1.Op { return deleteOp(kNS, "", "default") },
			events: []wantEvent{
				{evModified, kNS, "default"},
				{evDeleted, kCM, "default/a"},
				{evModified, kPod, "default/p"},
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantTerminating(t, h)
				isStored(t, h, r.Object)
				if apimeta.Meta(h.get(kPod, "default", "p")).GetDeletionTimestamp() == nil {
					t.Fatal("the bound pod was not marked for deletion")
				}
			},
		},
		{
			name:  "namespace/goes with its last object",
			setup: terminating,
			op:    func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "default", "p", 0) },
			events: []wantEvent{
				{evDeleted, kPod, "default/p"},
				{evDeleted, kNS, "default"},
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) { h.absent(kNS, "", "default") },
		},
		{
			name:  "namespace/create into a terminating namespace is refused",
			setup: terminating,
			op:    func(h *harness) *storagev1.Op { return createOp(cmObj("default", "new", nil)) },
			err:   ErrNamespaceTerminating,
		},
		{
			name:  "namespace/repeated delete changes nothing",
			setup: terminating,
			op: func(h *harness) *storagev1.Op {
				op := deleteOp(kNS, "", "default")
				op.Now = later
				return op
			},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantTerminating(t, h)
				wantRV(t, r.Object, h.idx-indexStep)
			},
		},
		{
			name:  "namespace/update of a terminating namespace with objects keeps it",
			setup: terminating,
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kNS, "", "default"), func(m *gantryv1.ObjectMeta) {
					m.Labels = map[string]string{"note": "going"}
				}), h.idx)
			},
			events: []wantEvent{{evModified, kNS, "default"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				wantTerminating(t, h)
				// And it still goes with its last object.
				_, evs2 := h.mustApply(graceDeleteOp(kPod, "default", "p", 0))
				checkEvents(t, evs2, []wantEvent{{evDeleted, kPod, "default/p"}, {evDeleted, kNS, "default"}})
			},
		},
		{
			name: "namespace/finalizer keeps an empty namespace terminating",
			setup: func(h *harness) {
				h.mustApply(createOp(nsObj("fin", "example.com/hold")))
			},
			op:     func(h *harness) *storagev1.Op { return deleteOp(kNS, "", "fin") },
			events: []wantEvent{{evModified, kNS, "fin"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				if apimeta.Meta(h.get(kNS, "", "fin")).GetDeletionTimestamp() == nil {
					t.Fatal("namespace not marked")
				}
			},
		},
		{
			name: "namespace/removing the last finalizer of an empty terminating namespace removes it",
			setup: func(h *harness) {
				h.mustApply(createOp(nsObj("fin", "example.com/hold")))
				h.mustApply(deleteOp(kNS, "", "fin"))
			},
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kNS, "", "fin"), func(m *gantryv1.ObjectMeta) { m.Finalizers = nil }), 0)
			},
			events: []wantEvent{{evDeleted, kNS, "fin"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { h.absent(kNS, "", "fin") },
		},
		{
			name: "namespace/finalizer outlives the last object",
			setup: func(h *harness) {
				h.mustApply(createOp(nsObj("fin", "example.com/hold")))
				h.mustApply(createOp(podObj("fin", "p", "n1")))
				h.mustApply(deleteOp(kNS, "", "fin"))
			},
			op:     func(h *harness) *storagev1.Op { return graceDeleteOp(kPod, "fin", "p", 0) },
			events: []wantEvent{{evDeleted, kPod, "fin/p"}},
			check:  func(t *testing.T, h *harness, r Result, evs []*Event) { h.get(kNS, "", "fin") },
		},
		{
			name: "namespace/removing the last finalizer while objects remain keeps it",
			setup: func(h *harness) {
				h.mustApply(createOp(nsObj("fin", "example.com/hold")))
				h.mustApply(createOp(podObj("fin", "p", "n1")))
				h.mustApply(deleteOp(kNS, "", "fin"))
			},
			op: func(h *harness) *storagev1.Op {
				return updateOp(editMeta(h.get(kNS, "", "fin"), func(m *gantryv1.ObjectMeta) { m.Finalizers = nil }), 0)
			},
			events: []wantEvent{{evModified, kNS, "fin"}},
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				h.get(kNS, "", "fin")
				_, evs2 := h.mustApply(graceDeleteOp(kPod, "fin", "p", 0))
				checkEvents(t, evs2, []wantEvent{{evDeleted, kPod, "fin/p"}, {evDeleted, kNS, "fin"}})
			},
		},
	}
}

func memberCases() []applyCase {
	return []applyCase{
		{
			name: "set_member/ok",
			op:   func(h *harness) *storagev1.Op { return memberOp("m1", "10.0.0.1:7000", "10.0.0.1:6443") },
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				ms := h.s.Members()
				if len(ms) != 1 || ms[0].GetId() != "m1" || ms[0].GetRaftAddress() != "10.0.0.1:7000" {
					t.Fatalf("Members() = %v", ms)
				}
				if m, ok := h.s.Member("m1"); !ok || m.GetApiAddress() != "10.0.0.1:6443" {
					t.Fatalf("Member(m1) = %v, %v", m, ok)
				}
				if _, ok := h.s.Member("m2"); ok {
					t.Fatal("Member(m2) found")
				}
			},
		},
		{
			name: "set_member/replaces by id, Members sorted",
			setup: func(h *harness) {
				h.mustApply(memberOp("m2", "old", "old"), memberOp("m0", "a", "a"))
			},
			op: func(h *harness) *storagev1.Op { return memberOp("m2", "new", "new") },
			check: func(t *testing.T, h *harness, r Result, evs []*Event) {
				ms := h.s.Members()
				if len(ms) != 2 || ms[0].GetId() != "m0" || ms[1].GetId() != "m2" || ms[1].GetRaftAddress() != "new" {
					t.Fatalf("Members() = %v", ms)
				}
			},
		},
		{
			name:  "set_member/without id",
			setup: func(h *harness) { h.mustApply(memberOp("m1", "a", "a")) },
			op:    func(h *harness) *storagev1.Op { return memberOp("", "b", "b") },
			err:   ErrBadCommand,
		},
		{
			name: "set_member/without member",
			op: func(h *harness) *storagev1.Op {
				return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_SET_MEMBER}
			},
			err: ErrBadCommand,
		},
	}
}

func badCommandCases() []applyCase {
	bad := func(name string, op *storagev1.Op) applyCase {
		return applyCase{
			name:  "bad/" + name,
			setup: func(h *harness) { h.mustApply(createOp(cmObj("default", "a", nil))) },
			op:    func(*harness) *storagev1.Op { return op },
			err:   ErrBadCommand,
		}
	}
	noName := cmObj("default", "", nil)
	noMeta := apimeta.Wrap(&gantryv1.ConfigMap{Data: map[string]string{"k": "v"}})
	return []applyCase{
		bad("unspecified op type", &storagev1.Op{Object: cmObj("default", "b", nil)}),
		bad("unknown op type", &storagev1.Op{Type: storagev1.OpType(99), Object: cmObj("default", "b", nil)}),
		bad("create without object", createOp(nil)),
		bad("create of an empty envelope", createOp(&gantryv1.Object{})),
		bad("create without metadata", createOp(noMeta)),
		bad("create without name", createOp(noName)),
		bad("update without object", updateOp(nil, 0)),
		bad("update of an empty envelope", updateOp(&gantryv1.Object{}, 0)),
		bad("update without name", updateOp(noName, 0)),
		bad("update_status without metadata", statusOp(noMeta, 0)),
		bad("update_status of an empty envelope", statusOp(&gantryv1.Object{}, 0)),
		bad("delete of an unknown kind", deleteOp("Widget", "default", "a")),
		bad("delete without kind", deleteOp("", "default", "a")),
		bad("delete without name", deleteOp(kCM, "default", "")),
	}
}

// TestApplyOpsAreIndependent: ops of one command succeed or fail on their
// own; the events of the successful ones share the index, Last on the end.
func TestApplyOpsAreIndependent(t *testing.T) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")))
	res, evs := h.apply(
		createOp(cmObj("default", "a", nil)),
		createOp(cmObj("default", "a", nil)),
		updateOp(cmObj("default", "missing", nil), 0),
		&storagev1.Op{},
		createOp(cmObj("default", "b", nil)),
		// Ops see the effects of earlier ops of the same command.
		updateOp(cmObj("default", "b", map[string]string{"k": "v"}), h.nextIndex()),
	)
	wantErrs := []error{nil, ErrAlreadyExists, ErrNotFound, ErrBadCommand, nil, nil}
	for i, want := range wantErrs {
		if (want == nil) != (res[i].Err == nil) || (want != nil && !errors.Is(res[i].Err, want)) {
			t.Fatalf("op %d: Err = %v, want %v", i, res[i].Err, want)
		}
	}
	checkEvents(t, evs, []wantEvent{
		{evAdded, kCM, "default/a"}, {evAdded, kCM, "default/b"}, {evModified, kCM, "default/b"},
	})
	b := h.get(kCM, "default", "b")
	wantGen(t, b, 2)
	wantRV(t, b, h.idx)
}

// TestApplyRevisionAdvancesOnFailure: a command whose ops all fail still
// moves the revision (and the log's LastRev) to its index, emits nothing
// and does not wake watchers.
func TestApplyRevisionAdvancesOnFailure(t *testing.T) {
	h := newHarness(t)
	h.mustApply(createOp(nsObj("default")))
	_, _, wait, err := h.s.Events().Read(h.cur, 10, nil)
	if err != nil || wait == nil {
		t.Fatalf("Read at the end: wait=%v err=%v", wait, err)
	}
	res, evs := h.apply(createOp(cmObj("nope", "a", nil)), deleteOp(kCM, "default", "x"))
	if !errors.Is(res[0].Err, ErrNamespaceNotFound) || !errors.Is(res[1].Err, ErrNotFound) {
		t.Fatalf("results %v", res)
	}
	if len(evs) != 0 {
		t.Fatalf("failed ops emitted %s", describeEvents(evs))
	}
	select {
	case <-wait:
		t.Fatal("a command without events woke the watchers")
	default:
	}
	// An empty command too.
	h.apply()
	if _, rev, _ := h.s.Get(kNS, "", "default"); rev != h.idx {
		t.Fatalf("Get revision %d, want %d", rev, h.idx)
	}
	// A watch may start at the revision of an event-less command.
	if c, err := h.s.Events().CursorAfter(h.idx); err != nil || c != h.cur {
		t.Fatalf("CursorAfter(%d) = %v, %v; want %v", h.idx, c, err, h.cur)
	}
}

// TestApplyMalformedDoesNotPanic feeds ops with every field combination
// that might dereference nil.
func TestApplyMalformedDoesNotPanic(t *testing.T) {
	h := newHarness(t)
	objs := []*gantryv1.Object{nil, {}, apimeta.Wrap(&gantryv1.Pod{}), apimeta.Wrap(&gantryv1.Namespace{}),
		apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{}})}
	for typ := storagev1.OpType(0); typ <= 6; typ++ {
		for _, o := range objs {
			res, evs := h.apply(&storagev1.Op{Type: typ, Object: o})
			for i, r := range res {
				if !errors.Is(r.Err, ErrBadCommand) {
					t.Fatalf("type %v object %v op %d: Err = %v, want ErrBadCommand", typ, o, i, r.Err)
				}
			}
			if len(evs) != 0 {
				t.Fatalf("malformed op emitted %s", describeEvents(evs))
			}
		}
	}
}
