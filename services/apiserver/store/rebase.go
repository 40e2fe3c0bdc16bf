package store

import (
	"fmt"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
)

// ForNewCluster returns the snapshot as a new cluster restored from it
// starts: the recorded masters replaced by members (the old cluster's
// API addresses would send forwarded calls to the old masters), and the
// revision raised to revision, which must not be below the snapshot's.
// Objects are shared, not copied: a snapshot never changes.
func (sn *Snapshot) ForNewCluster(revision uint64, members []*storagev1.MemberInfo) (*Snapshot, error) {
	if revision < sn.revision {
		return nil, fmt.Errorf("revision %d is below the snapshot's %d: resource versions would go back", revision, sn.revision)
	}
	byID := make(map[string]*storagev1.MemberInfo, len(members))
	for _, m := range members {
		byID[m.GetId()] = m
	}
	return &Snapshot{tables: sn.tables, members: sortedMembers(byID), revision: revision}, nil
}
