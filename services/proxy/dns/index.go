package dns

import (
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryio/gantry/services/proxy/table"
	mdns "github.com/miekg/dns"
)

// View is what the server answers from: the latest routing table the proxy
// built from its Service and EndpointSlice caches (nil until the caches
// have synced). *proxy.Proxy satisfies it.
type View interface {
	Table() *table.Table
}

// index adds to one table what answering needs beyond Table.Service: the
// namespaces that have services, the hostnames of headless endpoints and
// the reverse (PTR) names. It is built once per table and then shared.
type index struct {
	t          *table.Table
	serial     uint32
	namespaces map[string]bool
	// hosts maps a headless service's endpoint hostnames to their ready
	// addresses.
	hosts map[table.ServiceKey]map[string][]netip.Addr
	ptr   map[netip.Addr][]string
}

func buildIndex(t *table.Table, zone string) *index {
	ix := &index{t: t, serial: uint32(time.Now().Unix()), namespaces: map[string]bool{},
		hosts: map[table.ServiceKey]map[string][]netip.Addr{}, ptr: map[netip.Addr][]string{}}
	for _, s := range t.Services() {
		ix.namespaces[s.Key.Namespace] = true
		if s.ClusterIP.IsValid() {
			ix.ptr[s.ClusterIP] = append(ix.ptr[s.ClusterIP], serviceFQDN(s.Key, zone))
		}
		if !s.Headless {
			continue
		}
		hosts := map[string][]netip.Addr{}
		for _, e := range s.Endpoints {
			if !e.Ready {
				continue
			}
			h := endpointHost(e)
			hosts[h] = append(hosts[h], e.Addr.Addr())
			ix.ptr[e.Addr.Addr()] = append(ix.ptr[e.Addr.Addr()], h+"."+serviceFQDN(s.Key, zone))
		}
		ix.hosts[s.Key] = hosts
	}
	return ix
}

// serviceFQDN is NAME.NAMESPACE.svc.ZONE.
func serviceFQDN(k table.ServiceKey, zone string) string {
	return k.Name + "." + k.Namespace + ".svc." + zone + "."
}

// endpointHost is an endpoint's hostname: its own when it has a valid one,
// else its address with dashes (10-244-1-5), as CoreDNS names them.
func endpointHost(e table.Endpoint) string {
	if h := strings.ToLower(e.Hostname); h != "" && len(h) <= 63 && !strings.Contains(h, ".") {
		if _, ok := mdns.IsDomainName(h); ok {
			return h
		}
	}
	a := e.Addr.Addr()
	if a.Is4() {
		return strings.ReplaceAll(a.String(), ".", "-")
	}
	return strings.ReplaceAll(a.StringExpanded(), ":", "-")
}

// indexCache keeps the index of the view's latest table.
type indexCache struct {
	view View
	zone string
	mu   sync.Mutex
	cur  atomic.Pointer[index]
}

// get returns the index of the current table, building it on first use;
// nil before the proxy has a table.
func (c *indexCache) get() *index {
	t := c.view.Table()
	if t == nil {
		return nil
	}
	if ix := c.cur.Load(); ix != nil && ix.t == t {
		return ix
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if ix := c.cur.Load(); ix != nil && ix.t == t {
		return ix
	}
	ix := buildIndex(t, c.zone)
	c.cur.Store(ix)
	return ix
}
