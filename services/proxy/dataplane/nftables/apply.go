package nftables

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/gantryio/gantry/services/proxy/table"
	"github.com/google/nftables"
	"github.com/google/nftables/binaryutil"
	"github.com/google/nftables/expr"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// step is one route to move from old to new (either may be nil: the route
// is added, or removed).
type step struct {
	key      table.PortKey
	old, new *plan
}

// Apply carries ch.New in one nftables transaction holding only the
// operations between what each affected route's plan was and what it is
// now. The plans, not ch.Old, are the reference: applying a change twice
// finds nothing left to do, so Apply is idempotent. A failed transaction
// changes nothing in the kernel, but since its outcome may be unknown
// (an answer lost), the next Apply rewrites the table whole from ch.New.
func (d *Dataplane) Apply(ctx context.Context, ch *table.Changes) error {
	d.mu.RLock()
	closed, resync := d.closed, d.broken
	d.mu.RUnlock()
	if closed {
		return ErrClosed
	}
	if ch == nil {
		return nil
	}
	start := time.Now()
	steps := d.steps(ch, resync)
	if len(steps) == 0 && !resync {
		return nil
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if resync {
		if err := d.sk.add(d.cc, d.cfg.MasqueradeMark); err != nil {
			return fmt.Errorf("nftables: table: %w", err)
		}
	}
	for _, s := range steps {
		d.remove(s)
	}
	for _, s := range steps {
		if err := d.add(s); err != nil {
			// The queue cannot be dropped, only sent: send it, whatever it
			// does, and rewrite the table whole next time.
			_ = d.cc.Flush()
			d.setBroken()
			return fmt.Errorf("nftables: %s: %w", s.key, err)
		}
	}
	if err := d.cc.Flush(); err != nil {
		d.setBroken()
		d.m.transactions.WithLabelValues("error").Inc()
		return fmt.Errorf("nftables: transaction (%d routes): %w", len(steps), err)
	}
	d.m.transactions.WithLabelValues("ok").Inc()
	if resync {
		d.m.resyncs.Inc()
	}
	d.commit(steps, resync)
	took := time.Since(start)
	d.log.Debug("applied", zap.Int("routes", len(steps)), zap.Bool("resync", resync), zap.Duration("took", took))
	if d.ct != nil {
		d.flushConntrack(steps)
	}
	return nil
}

func (d *Dataplane) setBroken() {
	d.mu.Lock()
	d.broken = true
	d.mu.Unlock()
}

// steps plans every route the changes touch (all of ch.New on a resync),
// plus the blocked routes, sorted by key; conflicts go to the route that
// already holds an address, then to the first key.
func (d *Dataplane) steps(ch *table.Changes, resync bool) []step {
	var news []*table.Route
	var gone []table.PortKey
	if resync {
		news = ch.New.Routes()
	} else {
		for _, r := range ch.Removed {
			gone = append(gone, r.Key)
		}
		for _, c := range ch.Changed {
			news = append(news, c.New)
		}
		news = append(news, ch.Added...)
		for k := range d.blocked {
			if r, ok := ch.New.Route(k); ok {
				news = append(news, r)
			} else {
				gone = append(gone, k)
			}
		}
	}
	steps := make([]step, 0, len(news)+len(gone))
	seen := make(map[table.PortKey]bool, len(news)+len(gone))
	old := func(k table.PortKey) *plan {
		if resync {
			return nil
		}
		return d.plans[k]
	}
	for _, k := range gone {
		if !seen[k] {
			seen[k] = true
			if o := old(k); o != nil {
				steps = append(steps, step{key: k, old: o})
			}
		}
	}
	for _, r := range news {
		if !seen[r.Key] {
			seen[r.Key] = true
			steps = append(steps, step{key: r.Key, old: old(r.Key), new: newPlan(r)})
		}
	}
	slices.SortFunc(steps, func(a, b step) int { return a.key.Compare(b.key) })

	// Addresses the affected routes give up are free for the others.
	freeSvc := map[svcAddr]bool{}
	freeNP := map[npAddr]bool{}
	for _, s := range steps {
		if s.old != nil && s.old.ok {
			freeSvc[s.old.svc] = true
			if s.old.np.port != 0 {
				freeNP[s.old.np] = true
			}
		}
	}
	claimSvc := map[svcAddr]table.PortKey{}
	claimNP := map[npAddr]table.PortKey{}
	for _, s := range steps {
		p := s.new
		if p == nil || !p.ok {
			continue
		}
		if o, ok := claimSvc[p.svc]; ok {
			p.conflict(fmt.Sprintf("%s is also %s's; not carried", p.svc, o))
		} else if o, ok := d.svcOwner[p.svc]; ok && !resync && !freeSvc[p.svc] && o != p.key {
			p.conflict(fmt.Sprintf("%s is also %s's; not carried", p.svc, o))
		} else if o, ok := claimNP[p.np]; ok && p.np.port != 0 {
			p.conflict(fmt.Sprintf("%s is also %s's; not carried", p.np, o))
		} else if o, ok := d.npOwner[p.np]; ok && p.np.port != 0 && !resync && !freeNP[p.np] && o != p.key {
			p.conflict(fmt.Sprintf("%s is also %s's; not carried", p.np, o))
		} else {
			claimSvc[p.svc] = p.key
			if p.np.port != 0 {
				claimNP[p.np] = p.key
			}
			continue
		}
		p.blocked = true
	}
	// Unchanged steps (a blocked route still blocked the same way, a
	// change already carried) drop out here.
	out := steps[:0]
	for _, s := range steps {
		if !samePlan(s.old, s.new) {
			out = append(out, s)
		}
	}
	return out
}

// element is one verdict map element a plan owns.
type element struct {
	set     *nftables.Set
	key     []byte
	verdict string // the chain the element goes to
}

func (e element) equal(o element) bool {
	return e.set == o.set && string(e.key) == string(o.key) && e.verdict == o.verdict
}

// elements lists the map elements of p (none when p carries nothing).
func (d *Dataplane) elements(p *plan) []element {
	if p == nil || !p.ok {
		return nil
	}
	svcKey := serviceKey(p.svc.ip, p.svc.proto, p.svc.port)
	out := make([]element, 0, 2)
	if p.hasTargets() {
		out = append(out, element{d.sk.serviceIPs, svcKey, p.svcChain})
	} else {
		out = append(out, element{d.sk.noEPs, svcKey, chainReject})
	}
	if p.np.port != 0 {
		npKey := nodePortKey(p.np.proto, p.np.port)
		if p.hasTargets() {
			out = append(out, element{d.sk.nodePorts, npKey, p.extChain})
		} else {
			out = append(out, element{d.sk.noEPPort, npKey, chainReject})
		}
	}
	return out
}

func containsElement(list []element, e element) bool {
	return slices.ContainsFunc(list, e.equal)
}

func (d *Dataplane) setElements(e element, add bool) error {
	el := []nftables.SetElement{{Key: e.key, VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: e.verdict}}}
	if add {
		return d.cc.SetAddElements(e.set, el)
	}
	return d.cc.SetDeleteElements(e.set, el)
}

// remove queues what s.old owns and s.new does not: map elements first
// (they refer to chains), then the node port chain (it refers to the
// service chain), the service chain (flushed when it stays but spreads
// differently), and the endpoint chains it referred to.
func (d *Dataplane) remove(s step) {
	if s.old == nil || !s.old.ok {
		return
	}
	newEls := d.elements(s.new)
	for _, e := range d.elements(s.old) {
		if !containsElement(newEls, e) {
			_ = d.setElements(e, false) // only fails for anonymous sets
		}
	}
	if !s.old.hasTargets() {
		return
	}
	keep := map[string]bool{}
	if s.new.hasTargets() {
		for _, c := range s.new.chains() {
			keep[c] = true
		}
	}
	if s.old.extChain != "" && !keep[s.old.extChain] {
		d.cc.DelChain(d.sk.chain(s.old.extChain))
	}
	switch {
	case !keep[s.old.svcChain]:
		d.cc.DelChain(d.sk.chain(s.old.svcChain))
	case !sameSpread(s.old, s.new):
		d.cc.FlushChain(d.sk.chain(s.old.svcChain))
	}
	for _, c := range s.old.epChains {
		if !keep[c] {
			d.cc.DelChain(d.sk.chain(c))
		}
	}
}

// add queues what s.new owns and s.old did not: endpoint chains, the
// service chain's rules, the node port chain, then the map elements.
func (d *Dataplane) add(s step) error {
	p := s.new
	if p == nil || !p.ok {
		return nil
	}
	had := map[string]bool{}
	if s.old.hasTargets() {
		for _, c := range s.old.chains() {
			had[c] = true
		}
	}
	if p.hasTargets() {
		for i, c := range p.epChains {
			if had[c] {
				continue
			}
			d.cc.AddChain(d.sk.chain(c))
			d.sk.rule(d.cc, c, l4proto(p.svc.proto), dnat(p.targets[i]))
		}
		if !had[p.svcChain] {
			d.cc.AddChain(d.sk.chain(p.svcChain))
		}
		if !had[p.svcChain] || !sameSpread(s.old, p) {
			if err := d.spread(p); err != nil {
				return err
			}
		}
		if p.extChain != "" && !had[p.extChain] {
			d.cc.AddChain(d.sk.chain(p.extChain))
			d.sk.rule(d.cc, p.extChain, []expr.Any{jump(chainMarkMasq)})
			d.sk.rule(d.cc, p.extChain, []expr.Any{goTo(p.svcChain)})
		}
	}
	oldEls := d.elements(s.old)
	for _, e := range d.elements(p) {
		if !containsElement(oldEls, e) {
			if err := d.setElements(e, true); err != nil {
				return err
			}
		}
	}
	return nil
}

// spread writes the service chain's rules: the host's own connections are
// masqueraded (so answers find their way back whatever source address the
// host picked), then each new connection goes to one endpoint chain,
// chosen by numgen over an anonymous verdict map.
func (d *Dataplane) spread(p *plan) error {
	d.sk.rule(d.cc, p.svcChain, localSaddr(), []expr.Any{jump(chainMarkMasq)})
	if len(p.epChains) == 1 {
		d.sk.rule(d.cc, p.svcChain, []expr.Any{goTo(p.epChains[0])})
		return nil
	}
	m := &nftables.Set{Table: d.sk.table, Anonymous: true, Constant: true, IsMap: true,
		KeyType: nftables.TypeInteger, KeyByteOrder: binaryutil.NativeEndian, DataType: nftables.TypeVerdict}
	els := make([]nftables.SetElement, len(p.epChains))
	for i, c := range p.epChains {
		els[i] = nftables.SetElement{Key: binaryutil.NativeEndian.PutUint32(uint32(i)),
			VerdictData: &expr.Verdict{Kind: expr.VerdictGoto, Chain: c}}
	}
	if err := d.cc.AddSet(m, els); err != nil {
		return err
	}
	ng := uint32(unix.NFT_NG_RANDOM)
	if d.cfg.Spread == SpreadRoundRobin {
		ng = unix.NFT_NG_INCREMENTAL
	}
	d.sk.rule(d.cc, p.svcChain, []expr.Any{
		&expr.Numgen{Register: reg1, Modulus: uint32(len(p.epChains)), Type: ng},
		&expr.Lookup{SourceRegister: reg1, SetName: m.Name, SetID: m.ID, IsDestRegSet: true, DestRegister: 0},
	})
	return nil
}

// commit records the plans a transaction carried.
func (d *Dataplane) commit(steps []step, resync bool) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if resync {
		d.reset()
		d.broken = false
	}
	for _, s := range steps {
		if o := s.old; o != nil && o.ok {
			if d.svcOwner[o.svc] == s.key {
				delete(d.svcOwner, o.svc)
			}
			if o.np.port != 0 && d.npOwner[o.np] == s.key {
				delete(d.npOwner, o.np)
			}
		}
	}
	for _, s := range steps {
		p := s.new
		if p == nil {
			delete(d.plans, s.key)
			delete(d.blocked, s.key)
			continue
		}
		d.plans[s.key] = p
		if p.blocked {
			d.blocked[s.key] = struct{}{}
		} else {
			delete(d.blocked, s.key)
		}
		if p.ok {
			d.svcOwner[p.svc] = s.key
			if p.np.port != 0 {
				d.npOwner[p.np] = s.key
			}
		}
	}
}

// samePlan reports whether two plans carry a route identically (then the
// step has nothing to do but remember the newer route).
func samePlan(a, b *plan) bool {
	if a == nil || b == nil {
		return a == b
	}
	return a.ok == b.ok && a.err == b.err && a.svc == b.svc && a.np == b.np && slices.Equal(a.targets, b.targets)
}
