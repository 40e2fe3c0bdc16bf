package printer

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func configMapRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	cm := o.GetConfigMap()
	return []string{cm.GetMetadata().GetName(), itoa(int32(len(cm.GetData()) + len(cm.GetBinaryData()))),
		Since(cm.GetMetadata().GetCreationTimestamp(), now)}
}

func secretRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	s := o.GetSecret()
	return []string{s.GetMetadata().GetName(), s.GetType(), itoa(int32(len(s.GetData()))),
		Since(s.GetMetadata().GetCreationTimestamp(), now)}
}

func namespaceRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	ns := o.GetNamespace()
	return []string{ns.GetMetadata().GetName(), NamespacePhase(ns), Since(ns.GetMetadata().GetCreationTimestamp(), now)}
}

// NamespacePhase is status.phase; a namespace no one has written a phase
// for yet is Active, or Terminating once its deletion started.
func NamespacePhase(ns *gantryv1.Namespace) string {
	switch {
	case ns.GetStatus().GetPhase() != "":
		return ns.GetStatus().GetPhase()
	case ns.GetMetadata().GetDeletionTimestamp() != nil:
		return "Terminating"
	}
	return "Active"
}

func leaseRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	l := o.GetLease()
	return []string{l.GetMetadata().GetName(), l.GetSpec().GetHolderIdentity(), Since(l.GetMetadata().GetCreationTimestamp(), now)}
}
