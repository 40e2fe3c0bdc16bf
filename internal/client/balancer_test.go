package client

import (
	"fmt"
	"testing"

	"github.com/gantryio/gantry/internal/apistatus"
	"google.golang.org/grpc/metadata"
)

func hint(member, leader string) metadata.MD {
	return metadata.Pairs(apistatus.MemberTrailer, member, apistatus.LeaderTrailer, leader)
}

func leaderAddrOf(r *routes) string {
	if a := r.leaderAddr.Load(); a != nil {
		return *a
	}
	return ""
}

func TestRoutesLearnLeaderAddress(t *testing.T) {
	r := &routes{ids: map[string]string{}}
	steps := []struct {
		addr string
		tr   metadata.MD
		want string
	}{
		{"a:1", hint("m1", "m2"), ""},    // leader named, its address not known yet
		{"b:1", hint("m2", "m2"), "b:1"}, // the leader answered itself
		{"c:1", hint("m3", "m2"), "b:1"},
		{"c:1", nil, "b:1"},              // no trailers (an old master): nothing learned
		{"a:1", hint("m1", "m3"), "c:1"}, // leadership moved to a known member
		{"a:1", hint("m1", ""), ""},      // no leader: writes go round robin
		{"b:1", hint("m4", "m4"), "b:1"}, // an address now serves another member
	}
	for i, s := range steps {
		r.learn(s.addr, s.tr)
		if got := leaderAddrOf(r); got != s.want {
			t.Fatalf("step %d (%s %v): leader address %q, want %q", i, s.addr, s.tr, got, s.want)
		}
	}
}

func TestRoutesAreBounded(t *testing.T) {
	r := &routes{ids: map[string]string{}}
	for i := 0; i < 3*maxRoutedMasters; i++ {
		r.learn(fmt.Sprintf("h:%d", i), hint(fmt.Sprintf("m%d", i), "m0"))
	}
	if len(r.ids) != maxRoutedMasters {
		t.Fatalf("%d addresses remembered, want the bound %d", len(r.ids), maxRoutedMasters)
	}
	if got := leaderAddrOf(r); got != "h:0" {
		t.Fatalf("leader address %q, want h:0", got)
	}
}
