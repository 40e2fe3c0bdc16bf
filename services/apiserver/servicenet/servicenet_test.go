package servicenet

import (
	"errors"
	"net/netip"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	r, err := Parse("10.96.0.0/16", "30000-32767")
	if err != nil || r != Default() {
		t.Fatalf("Parse(defaults) = %v, %v; want %v", r, err, Default())
	}
	bad := []struct{ cidr, ports, want string }{
		{"10.96.0.0", "30000-32767", "no '/'"},
		{"fd00::/108", "30000-32767", "must be IPv4"},
		{"10.96.0.5/16", "30000-32767", "did you mean 10.96.0.0/16"},
		{"10.0.0.0/8", "30000-32767", "between /12 and /30"},
		{"10.96.0.0/31", "30000-32767", "between /12 and /30"},
		{"10.96.0.0/16", "30000", "want FIRST-LAST"},
		{"10.96.0.0/16", "32767-30000", "FIRST <= LAST"},
		{"10.96.0.0/16", "0-10", "1 <= FIRST"},
		{"10.96.0.0/16", "60000-70000", "LAST <= 65535"},
	}
	for _, b := range bad {
		_, err := Parse(b.cidr, b.ports)
		if !errors.Is(err, ErrRange) || !strings.Contains(err.Error(), b.want) {
			t.Errorf("Parse(%q, %q) = %v; want ErrRange saying %q", b.cidr, b.ports, err, b.want)
		}
	}
}

func TestProtoRoundTrip(t *testing.T) {
	r, _ := Parse("10.100.0.0/24", "20000-20010")
	back, err := FromProto(r.Proto())
	if err != nil || back != r {
		t.Fatalf("FromProto(Proto(%v)) = %v, %v", r, back, err)
	}
	if d, err := FromProto(nil); err != nil || d != Default() {
		t.Fatalf("FromProto(nil) = %v, %v; want the defaults", d, err)
	}
}

func TestIPRange(t *testing.T) {
	r := NewIPRange(netip.MustParsePrefix("10.96.0.0/29"))
	if r.Size() != 6 {
		t.Fatalf("a /29 numbers %d addresses, want 6 (8 minus network and broadcast)", r.Size())
	}
	if a := r.Addr(Reserved); a != netip.MustParseAddr("10.96.0.1") {
		t.Fatalf("reserved address %v, want 10.96.0.1", a)
	}
	for i := 0; i < r.Size(); i++ {
		if j, ok := r.Index(r.Addr(i)); !ok || j != i {
			t.Fatalf("Index(Addr(%d)=%v) = %d, %v", i, r.Addr(i), j, ok)
		}
	}
	for _, s := range []string{"10.96.0.0", "10.96.0.7", "10.96.0.8", "10.95.255.255"} {
		if _, ok := r.Index(netip.MustParseAddr(s)); ok {
			t.Errorf("Index(%s) is in the range; want out (network, broadcast or outside)", s)
		}
	}
	if _, ok := r.Index(netip.MustParseAddr("::1")); ok {
		t.Error("an IPv6 address is in an IPv4 range")
	}
}

func TestBitmapSetClear(t *testing.T) {
	b := NewBitmap(130)
	b.Set(0)
	b.Set(129)
	b.Set(129)
	b.Set(130) // outside: ignored
	b.Set(-1)
	if b.Used() != 2 || !b.Has(0) || !b.Has(129) || b.Has(130) {
		t.Fatalf("used %d, has(0)=%v has(129)=%v", b.Used(), b.Has(0), b.Has(129))
	}
	b.Clear(129)
	b.Clear(129)
	if b.Used() != 1 || b.Has(129) {
		t.Fatalf("after clear: used %d", b.Used())
	}
}

func TestPickPrefersUpperBandAndIsDeterministic(t *testing.T) {
	const size, offset = 1000, 100
	b := NewBitmap(size)
	seen := map[int]bool{}
	for seed := uint64(0); seed < size-offset; seed++ {
		i := b.Pick(offset, seed*7919)
		if i < offset || seen[i] {
			t.Fatalf("pick %d (seed %d): %d; want a fresh index in the upper band", seed, seed*7919, i)
		}
		seen[i] = true
		b.Set(i)
	}
	// Upper band full: the lower band is used, then nothing is left.
	for n := 0; n < offset; n++ {
		i := b.Pick(offset, uint64(n))
		if i < 0 || i >= offset || b.Has(i) {
			t.Fatalf("lower band pick %d: %d", n, i)
		}
		b.Set(i)
	}
	if i := b.Pick(offset, 42); i != -1 {
		t.Fatalf("full bitmap picked %d", i)
	}
	c := NewBitmap(size)
	if c.Pick(offset, 12345) != NewBitmap(size).Pick(offset, 12345) {
		t.Fatal("the same seed on the same state picked different indexes")
	}
}

func TestPickWrapsAround(t *testing.T) {
	b := NewBitmap(200)
	for i := 150; i < 200; i++ {
		b.Set(i)
	}
	// seed puts the start at 170 (taken to the end): the scan wraps to 0.
	if i := b.Pick(0, 170); i != 0 {
		t.Fatalf("pick from a full tail: %d, want 0", i)
	}
	b.Set(0)
	if i := b.Pick(0, 199); i != 1 {
		t.Fatalf("pick wrapping past a taken head: %d, want 1", i)
	}
}

func TestBandOffset(t *testing.T) {
	cases := []struct{ size, ip, port int }{
		{6, 0, 0}, {16, 0, 0}, {17, 16, 16}, {254, 16, 16}, {4094, 255, 127}, {65534, 256, 128}, {2768, 173, 86},
	}
	for _, c := range cases {
		if got := IPBandOffset(c.size); got != c.ip {
			t.Errorf("IPBandOffset(%d) = %d, want %d", c.size, got, c.ip)
		}
		if got := PortBandOffset(c.size); got != c.port {
			t.Errorf("PortBandOffset(%d) = %d, want %d", c.size, got, c.port)
		}
	}
}
