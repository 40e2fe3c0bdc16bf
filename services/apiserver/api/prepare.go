package api

import (
	"fmt"
	mrand "math/rand/v2"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/apiserver/admission"
	"github.com/google/uuid"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// propagationFinalizers are what Kubernetes adds for each deletion
// propagation policy: the garbage collector orphans or deletes the
// dependents, then removes the finalizer. Background adds none.
var propagationFinalizers = map[string][]string{"Orphan": {"orphan"}, "Foreground": {"foregroundDeletion"}}

// protectedNamespaces exist from bootstrap and may not be deleted.
var protectedNamespaces = map[string]bool{"default": true, "gantry-system": true, "gantry-node-lease": true}

func protoSize(o *gantryv1.Object) int { return proto.Size(o) }

// prepareCreate defaults, validates and stamps a new object: the leader
// decides uid, name suffix and timestamps so Apply stays deterministic.
func (s *Service) prepareCreate(o *gantryv1.Object) (*storagev1.Op, error) {
	info, err := checkEnvelope(o)
	if err != nil {
		return nil, err
	}
	m := apimeta.Meta(o)
	if _, m.Namespace, err = kindAndNamespace(info.Name, m.GetNamespace(), true); err != nil {
		return nil, err
	}
	if m.GetName() == "" && m.GetGenerateName() != "" {
		m.Name = s.generateName(info.Name, m.GetNamespace(), m.GetGenerateName())
	}
	admission.Default(o)
	admission.DefaultPodTolerations(o, s.cfg.Tolerations)
	if err := admission.Validate(o); err != nil {
		return nil, err
	}
	m.Uid = uuid.NewString()
	m.CreationTimestamp = timestamppb.New(s.cfg.Now())
	m.ResourceVersion, m.Generation = "", 0
	m.DeletionTimestamp, m.DeletionGracePeriodSeconds = nil, nil
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_CREATE, Object: o, ServiceNetwork: s.serviceNetwork(o)}, nil
}

func (s *Service) prepareUpdate(o *gantryv1.Object) (*storagev1.Op, error) {
	_, old, err := s.current(o)
	if err != nil {
		return nil, err
	}
	m := apimeta.Meta(o)
	rv, err := apimeta.ParseResourceVersion(m.GetResourceVersion())
	if err != nil || rv == 0 {
		return nil, fmt.Errorf("%w: metadata.resourceVersion: Invalid value: %q: must be the version the object was read at", errInvalid, m.GetResourceVersion())
	}
	admission.Default(o)
	admission.DefaultUpdate(o, old)
	if err := admission.ValidateUpdate(o, old); err != nil {
		return nil, err
	}
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE, Object: o, ExpectResourceVersion: rv, ExpectUid: m.GetUid(),
		ServiceNetwork: s.serviceNetwork(o)}, nil
}

// serviceNetwork is the ranges to stamp on a write of o: Services only.
func (s *Service) serviceNetwork(o *gantryv1.Object) *storagev1.ServiceNetwork {
	if o.GetService() == nil {
		return nil
	}
	return s.cfg.ServiceNetwork.Proto()
}

func (s *Service) prepareStatus(o *gantryv1.Object) (*storagev1.Op, error) {
	info, _, err := s.current(o)
	if err != nil {
		return nil, err
	}
	if !info.HasStatus {
		return nil, fmt.Errorf("%w: %s has no status", errInvalid, info.Name)
	}
	m := apimeta.Meta(o)
	rv, err := apimeta.ParseResourceVersion(m.GetResourceVersion())
	if err != nil {
		return nil, fmt.Errorf("%w: metadata.resourceVersion: Invalid value: %q: must be a decimal number or empty", errInvalid, m.GetResourceVersion())
	}
	if err := admission.ValidateStatus(o); err != nil {
		return nil, err
	}
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_UPDATE_STATUS, Object: o, ExpectResourceVersion: rv, ExpectUid: m.GetUid()}, nil
}

func (s *Service) prepareDelete(req *gantryv1.DeleteRequest) (*storagev1.Op, error) {
	info, ns, err := kindAndNamespace(req.GetKind(), req.GetNamespace(), true)
	if err != nil {
		return nil, err
	}
	if req.GetName() == "" {
		return nil, fmt.Errorf("%w: name: Required value", errInvalid)
	}
	switch req.GetPropagationPolicy() {
	case "", "Background", "Foreground", "Orphan":
	default:
		return nil, fmt.Errorf("%w: propagationPolicy: Unsupported value: %q: supported values: \"Background\", \"Foreground\", \"Orphan\"", errInvalid, req.GetPropagationPolicy())
	}
	if req.GracePeriodSeconds != nil && req.GetGracePeriodSeconds() < 0 {
		return nil, fmt.Errorf("%w: gracePeriodSeconds: Invalid value: %d: must be >= 0", errInvalid, req.GetGracePeriodSeconds())
	}
	if info.Name == apimeta.KindNamespace && protectedNamespaces[req.GetName()] {
		return nil, fmt.Errorf("%w: namespace %q may not be deleted", errForbid, req.GetName())
	}
	rv, err := apimeta.ParseResourceVersion(req.GetPreconditions().GetResourceVersion())
	if err != nil {
		return nil, fmt.Errorf("%w: preconditions.resourceVersion: Invalid value: must be a decimal number", errInvalid)
	}
	return &storagev1.Op{Type: storagev1.OpType_OP_TYPE_DELETE, Kind: info.Name, Namespace: ns, Name: req.GetName(),
		ExpectUid: req.GetPreconditions().GetUid(), ExpectResourceVersion: rv, GracePeriodSeconds: req.GracePeriodSeconds,
		AddFinalizers: propagationFinalizers[req.GetPropagationPolicy()]}, nil
}

// generateNameTries bounds the search for a free generated name.
const generateNameTries = 8

// generateName appends a random suffix to prefix, avoiding names this
// leader already stores, as Kubernetes retries generation on the server.
func (s *Service) generateName(kind, ns, prefix string) string {
	var name string
	for i := 0; i < generateNameTries; i++ {
		name = prefix + s.cfg.NameSuffix()
		if _, _, err := s.st.Get(kind, ns, name); err != nil {
			return name
		}
	}
	return name
}

// randomSuffix is five characters, as Kubernetes appends to generateName,
// from an alphabet without vowels or look-alikes, uniformly chosen.
func randomSuffix() string {
	const alphabet = "bcdfghjklmnpqrstvwxz2456789"
	b := make([]byte, 5)
	for i := range b {
		b[i] = alphabet[mrand.IntN(len(alphabet))]
	}
	return string(b)
}
