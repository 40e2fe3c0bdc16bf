package nodeipam

import (
	"errors"
	"fmt"
	"math/big"
	"net/netip"
	"sync"
)

// Errors of the allocator.
var (
	// ErrFull: every subnet is taken.
	ErrFull = errors.New("nodeipam: cluster CIDR is full")
	// ErrOutOfRange: a node's CIDR is not one of the cluster's subnets.
	ErrOutOfRange = errors.New("nodeipam: CIDR is not a subnet of the cluster CIDR")
	// ErrTaken: a node's CIDR is held by another node.
	ErrTaken = errors.New("nodeipam: CIDR already allocated to another node")
)

// maxSubnetBits bounds the subnets of one cluster CIDR (65,536).
const maxSubnetBits = 16

// cidrSet hands out the subnets of one CIDR, each to one holder (a node
// name) at a time.
type cidrSet struct {
	cluster  netip.Prefix
	maskSize int

	mu     sync.Mutex
	owners []string       // subnet index -> holder ("" free)
	held   map[string]int // holder -> subnet index
	next   int
}

func newCIDRSet(cidr string, maskSize int) (*cidrSet, error) {
	p, err := netip.ParsePrefix(cidr)
	if err != nil {
		return nil, fmt.Errorf("cluster CIDR %q: %w", cidr, err)
	}
	p = p.Masked()
	bits := p.Addr().BitLen()
	if maskSize < p.Bits() || maskSize > bits || maskSize-p.Bits() > maxSubnetBits {
		return nil, fmt.Errorf("node CIDR mask size %d: must be between %d and %d, and at most %d more than the cluster's",
			maskSize, p.Bits(), bits, maxSubnetBits)
	}
	return &cidrSet{cluster: p, maskSize: maskSize, owners: make([]string, 1<<(maskSize-p.Bits())), held: map[string]int{}}, nil
}

// prefixAt returns subnet i.
func (s *cidrSet) prefixAt(i int) netip.Prefix {
	bits := s.cluster.Addr().BitLen()
	base := new(big.Int).SetBytes(s.cluster.Addr().AsSlice())
	off := new(big.Int).Lsh(big.NewInt(int64(i)), uint(bits-s.maskSize))
	b := new(big.Int).Add(base, off).FillBytes(make([]byte, bits/8))
	addr, _ := netip.AddrFromSlice(b)
	return netip.PrefixFrom(addr, s.maskSize)
}

// indexOf returns the index of subnet p.
func (s *cidrSet) indexOf(p netip.Prefix) (int, error) {
	if p.Bits() != s.maskSize || p.Masked() != p || !s.cluster.Contains(p.Addr()) || p.Addr().BitLen() != s.cluster.Addr().BitLen() {
		return 0, fmt.Errorf("%w: %s in %s /%d", ErrOutOfRange, p, s.cluster, s.maskSize)
	}
	bits := s.cluster.Addr().BitLen()
	off := new(big.Int).Sub(new(big.Int).SetBytes(p.Addr().AsSlice()), new(big.Int).SetBytes(s.cluster.Addr().AsSlice()))
	return int(off.Rsh(off, uint(bits-s.maskSize)).Int64()), nil
}

// allocate returns holder's subnet, reserving the next free one if it has
// none.
func (s *cidrSet) allocate(holder string) (netip.Prefix, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if i, ok := s.held[holder]; ok {
		return s.prefixAt(i), nil
	}
	n := len(s.owners)
	for k := 0; k < n; k++ {
		i := (s.next + k) % n
		if s.owners[i] == "" {
			s.owners[i], s.held[holder], s.next = holder, i, (i+1)%n
			return s.prefixAt(i), nil
		}
	}
	return netip.Prefix{}, ErrFull
}

// occupy records that holder has subnet p (and no other subnet).
func (s *cidrSet) occupy(p netip.Prefix, holder string) error {
	i, err := s.indexOf(p)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if o := s.owners[i]; o != "" && o != holder {
		return fmt.Errorf("%w: %s belongs to %s, not %s", ErrTaken, p, o, holder)
	}
	if j, ok := s.held[holder]; ok && j != i {
		s.owners[j] = ""
	}
	s.owners[i], s.held[holder] = holder, i
	return nil
}

// release frees holder's subnet.
func (s *cidrSet) release(holder string) (netip.Prefix, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	i, ok := s.held[holder]
	if !ok {
		return netip.Prefix{}, false
	}
	delete(s.held, holder)
	s.owners[i] = ""
	return s.prefixAt(i), true
}

// used returns how many subnets are held.
func (s *cidrSet) used() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.held)
}
