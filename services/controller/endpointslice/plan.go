package endpointslice

import (
	"maps"
	"slices"
	"sort"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/services/controller/ctrl"
	"google.golang.org/protobuf/proto"
)

// plan is the writes of one sync.
type plan struct {
	// create holds new slices (generateName set, no name).
	create []*gantryv1.EndpointSlice
	// update holds changed copies of cached slices, with the
	// resource_version they were read at.
	update []*gantryv1.EndpointSlice
	// delete holds cached slices.
	delete []*gantryv1.EndpointSlice
}

func (p plan) empty() bool { return len(p.create)+len(p.update)+len(p.delete) == 0 }

// slot is one slice being planned: a cached one (orig set) or a new one.
type slot struct {
	orig    *gantryv1.EndpointSlice
	ports   []*gantryv1.EndpointPort
	eps     []*gantryv1.Endpoint
	changed bool
}

type planner struct {
	svc    *gantryv1.Service
	max    int
	labels map[string]string
}

// computePlan returns the smallest set of writes that makes existing (the
// cached slices labelled for svc) hold exactly the desired endpoints:
//
//  1. An endpoint that is still desired stays in its slice (updated there
//     if it changed); the rest are dropped. A slice with no change at all
//     is not written.
//  2. New endpoints fill the slices that are written anyway, fullest
//     first; then those slices are compacted when one of them can be
//     emptied into the others.
//  3. What is left goes into one unchanged slice with room for all of it,
//     or into new slices.
//  4. Slices left empty are reused for the new slices (an update instead
//     of a create and a delete) or deleted, except that a Service always
//     keeps one slice: a placeholder with no ports and no endpoints.
func computePlan(svc *gantryv1.Service, existing []*gantryv1.EndpointSlice, desired map[string]*group, max int) plan {
	pl := planner{svc: svc, max: max, labels: sliceLabels(svc)}
	existing = slices.Clone(existing)
	sort.Slice(existing, func(i, j int) bool { return existing[i].GetMetadata().GetName() < existing[j].GetMetadata().GetName() })
	var p plan
	byKey := map[string][]*slot{}
	for _, s := range existing {
		if !ownedBy(s, svc) || s.GetAddressType() != AddressTypeIPv4 {
			// An older Service's (the GC would get there too) or of a
			// type this controller does not write.
			p.delete = append(p.delete, s)
			continue
		}
		k := portKey(s.GetPorts())
		byKey[k] = append(byKey[k], &slot{orig: s, ports: s.GetPorts()})
	}
	keys := slices.Sorted(maps.Keys(byKey))
	for k := range desired {
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var kept, fresh, spare []*slot
	for _, k := range keys {
		g := desired[k]
		if g == nil {
			spare = append(spare, byKey[k]...)
			continue
		}
		gk, gf, gs := pl.placeGroup(byKey[k], g)
		kept, fresh, spare = append(kept, gk...), append(fresh, gf...), append(spare, gs...)
	}
	kept, fresh, spare = pl.reuse(kept, fresh, spare)
	for _, s := range spare {
		p.delete = append(p.delete, s.orig)
	}
	for _, s := range append(kept, fresh...) {
		switch {
		case s.orig == nil:
			p.create = append(p.create, pl.newSlice(s))
		case s.changed:
			p.update = append(p.update, pl.updatedSlice(s))
		}
	}
	return p
}

// placeGroup plans the slices of one port mapping: kept slices (changed
// or not), new ones, and spare ones (left empty).
func (pl planner) placeGroup(slots []*slot, g *group) (kept, fresh, spare []*slot) {
	placed := make(map[string]bool, len(g.endpoints))
	var left []*gantryv1.Endpoint
	for _, s := range slots {
		for _, ep := range s.orig.GetEndpoints() {
			k := endpointKey(ep)
			want, ok := g.endpoints[k]
			if !ok || placed[k] {
				s.changed = true
				continue
			}
			placed[k] = true
			if !endpointEqual(want, ep) {
				s.changed = true
			}
			s.eps = append(s.eps, want)
		}
		if len(s.eps) > pl.max {
			// Written with a larger bound: the overflow moves.
			left = append(left, s.eps[pl.max:]...)
			s.eps = s.eps[:pl.max:pl.max]
			s.changed = true
		}
		if !maps.Equal(s.orig.GetMetadata().GetLabels(), pl.labels) {
			s.changed = true
		}
	}
	for k, ep := range g.endpoints {
		if !placed[k] {
			left = append(left, ep)
		}
	}
	sortEndpoints(left)
	var changed []*slot
	for _, s := range slots {
		if s.changed {
			changed = append(changed, s)
		}
	}
	left = pl.fill(changed, left)
	pl.compact(changed)
	for len(left) > 0 {
		var target *slot
		if len(left) < pl.max {
			target = pl.fitting(slots, len(left))
		}
		if target == nil {
			target = &slot{ports: g.ports}
			fresh = append(fresh, target)
		}
		target.changed = true
		left = pl.fill([]*slot{target}, left)
	}
	for _, s := range slots {
		if len(s.eps) == 0 {
			spare = append(spare, s)
		} else {
			kept = append(kept, s)
		}
	}
	return kept, fresh, spare
}

// fill moves endpoints from left into slots, fullest slot first, and
// returns what did not fit.
func (pl planner) fill(slots []*slot, left []*gantryv1.Endpoint) []*gantryv1.Endpoint {
	bySize(slots)
	for _, s := range slots {
		n := min(pl.max-len(s.eps), len(left))
		if n <= 0 {
			continue
		}
		s.eps = append(s.eps, left[:n]...)
		left = left[n:]
	}
	return left
}

// compact empties the smallest of the slots being written anyway into the
// others while they have room for all of it: a scale-down leaves fewer,
// fuller slices without touching a slice that did not change.
func (pl planner) compact(slots []*slot) {
	live := slices.DeleteFunc(slices.Clone(slots), func(s *slot) bool { return len(s.eps) == 0 })
	for len(live) >= 2 {
		bySize(live)
		last, rest := live[len(live)-1], live[:len(live)-1]
		room := 0
		for _, s := range rest {
			room += pl.max - len(s.eps)
		}
		if room < len(last.eps) {
			return
		}
		moving := last.eps
		last.eps = nil
		pl.fill(rest, moving)
		live = rest
	}
}

// fitting returns the unchanged slot with the least room that still has
// room for n endpoints, or nil.
func (pl planner) fitting(slots []*slot, n int) *slot {
	var best *slot
	for _, s := range slots {
		room := pl.max - len(s.eps)
		if s.changed || room < n {
			continue
		}
		if best == nil || room < pl.max-len(best.eps) {
			best = s
		}
	}
	return best
}

// reuse turns new slices into updates of spare ones (same address type,
// owned by the Service), and keeps one placeholder slice when the Service
// would otherwise have none, as Kubernetes does.
func (pl planner) reuse(kept, fresh, spare []*slot) ([]*slot, []*slot, []*slot) {
	sort.Slice(spare, func(i, j int) bool {
		return spare[i].orig.GetMetadata().GetName() < spare[j].orig.GetMetadata().GetName()
	})
	for _, f := range fresh {
		if len(spare) == 0 {
			break
		}
		f.orig, spare = spare[0].orig, spare[1:]
	}
	if len(kept) > 0 || len(fresh) > 0 {
		return kept, fresh, spare
	}
	if len(spare) == 0 {
		return kept, []*slot{{changed: true}}, spare
	}
	s := spare[0]
	o := s.orig
	ph := &slot{orig: o, changed: len(o.GetEndpoints()) > 0 || len(o.GetPorts()) > 0 || !maps.Equal(o.GetMetadata().GetLabels(), pl.labels)}
	return []*slot{ph}, fresh, spare[1:]
}

func (pl planner) newSlice(s *slot) *gantryv1.EndpointSlice {
	m := pl.svc.GetMetadata()
	return &gantryv1.EndpointSlice{
		Metadata: &gantryv1.ObjectMeta{
			GenerateName: m.GetName() + "-", Namespace: m.GetNamespace(), Labels: maps.Clone(pl.labels),
			OwnerReferences: []*gantryv1.OwnerReference{ctrl.NewControllerRef(m, apimeta.KindService)},
		},
		AddressType: AddressTypeIPv4, Endpoints: s.eps, Ports: s.ports,
	}
}

func (pl planner) updatedSlice(s *slot) *gantryv1.EndpointSlice {
	meta := proto.Clone(s.orig.GetMetadata()).(*gantryv1.ObjectMeta)
	meta.Labels = maps.Clone(pl.labels)
	return &gantryv1.EndpointSlice{Metadata: meta, AddressType: s.orig.GetAddressType(), Endpoints: s.eps, Ports: s.ports}
}

// bySize orders slots fullest first, by name among equals (new slots
// last), so plans are deterministic.
func bySize(ss []*slot) {
	sort.SliceStable(ss, func(i, j int) bool {
		if len(ss[i].eps) != len(ss[j].eps) {
			return len(ss[i].eps) > len(ss[j].eps)
		}
		ni, nj := ss[i].orig.GetMetadata().GetName(), ss[j].orig.GetMetadata().GetName()
		return ni != "" && (nj == "" || ni < nj)
	})
}

// sortEndpoints orders endpoints by pod name, then key, so that new
// slices are filled in a stable order.
func sortEndpoints(eps []*gantryv1.Endpoint) {
	sort.Slice(eps, func(i, j int) bool {
		if c := strings.Compare(eps[i].GetTargetRef().GetName(), eps[j].GetTargetRef().GetName()); c != 0 {
			return c < 0
		}
		return endpointKey(eps[i]) < endpointKey(eps[j])
	})
}
