package table

import (
	"net/netip"
)

// Changes are the differences between two tables: what a dataplane carrying
// Old must do to carry New.
type Changes struct {
	// Old and New are the tables compared (Old may be nil: empty).
	Old, New *Table
	// Added and Removed are routes only in New, only in Old; Changed are
	// routes in both that differ. Each is sorted by key.
	Added, Removed []*Route
	Changed        []Change
}

// Change is one route in both tables that differs.
type Change struct {
	Old, New *Route
}

// Empty reports whether there is nothing to do.
func (c *Changes) Empty() bool {
	return c == nil || len(c.Added)+len(c.Removed)+len(c.Changed) == 0
}

// Len is the number of routes changed, added or removed.
func (c *Changes) Len() int {
	if c == nil {
		return 0
	}
	return len(c.Added) + len(c.Removed) + len(c.Changed)
}

// Diff compares two tables route by route (both may be nil: empty). It
// walks both sorted route lists once.
func Diff(old, new *Table) *Changes {
	c := &Changes{Old: old, New: new}
	a, b := old.Routes(), new.Routes()
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		switch {
		case j == len(b) || (i < len(a) && a[i].Key.Compare(b[j].Key) < 0):
			c.Removed = append(c.Removed, a[i])
			i++
		case i == len(a) || a[i].Key.Compare(b[j].Key) > 0:
			c.Added = append(c.Added, b[j])
			j++
		default:
			if !a[i].Equal(b[j]) {
				c.Changed = append(c.Changed, Change{Old: a[i], New: b[j]})
			}
			i++
			j++
		}
	}
	return c
}

// RemovedTargets returns the targets of old that are not targets of new
// (either may be nil): the endpoints that stop taking new connections.
// Whether their existing connections end is the dataplane's decision (the
// userspace one lets terminating endpoints that still serve drain them).
func RemovedTargets(old, new *Route) []netip.AddrPort {
	if old == nil {
		return nil
	}
	keep := map[netip.AddrPort]bool{}
	if new != nil {
		for _, e := range new.Targets {
			keep[e.Addr] = true
		}
	}
	var out []netip.AddrPort
	for _, e := range old.Targets {
		if !keep[e.Addr] {
			out = append(out, e.Addr)
		}
	}
	return out
}
