package store

import (
	"sort"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
)

func sortedMembers(m map[string]*storagev1.MemberInfo) []*storagev1.MemberInfo {
	out := make([]*storagev1.MemberInfo, 0, len(m))
	for _, v := range m {
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].GetId() < out[j].GetId() })
	return out
}

// Member returns the recorded master with id.
func (s *Store) Member(id string) (*storagev1.MemberInfo, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	m, ok := s.members[id]
	return m, ok
}
