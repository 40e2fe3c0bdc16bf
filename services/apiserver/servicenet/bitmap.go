package servicenet

import "math/bits"

// Bitmap records which indexes of a range are taken. Finding a free one
// skips 64 taken indexes per step, so even a full /16 is scanned in about
// a thousand word reads.
type Bitmap struct {
	words []uint64
	size  int
	used  int
}

// NewBitmap returns an empty bitmap of size indexes.
func NewBitmap(size int) *Bitmap {
	return &Bitmap{words: make([]uint64, (size+63)/64), size: size}
}

// Size is how many indexes the bitmap holds.
func (b *Bitmap) Size() int { return b.size }

// Used is how many indexes are taken.
func (b *Bitmap) Used() int { return b.used }

// Has reports whether i is taken; indexes outside the bitmap are not.
func (b *Bitmap) Has(i int) bool {
	return i >= 0 && i < b.size && b.words[i/64]&(1<<(i%64)) != 0
}

// Set takes i; it ignores indexes outside the bitmap.
func (b *Bitmap) Set(i int) {
	if i < 0 || i >= b.size || b.Has(i) {
		return
	}
	b.words[i/64] |= 1 << (i % 64)
	b.used++
}

// Clear frees i.
func (b *Bitmap) Clear(i int) {
	if !b.Has(i) {
		return
	}
	b.words[i/64] &^= 1 << (i % 64)
	b.used--
}

// firstFree returns the first free index in [from, to), or -1.
func (b *Bitmap) firstFree(from, to int) int {
	for i := max(from, 0); i < to; {
		w := i / 64
		free := ^b.words[w] >> (i % 64)
		if free != 0 {
			if j := i + bits.TrailingZeros64(free); j < to {
				return j
			}
			return -1
		}
		i = (w + 1) * 64
	}
	return -1
}

// nextFree returns the first free index in [lo, hi) at or after start,
// wrapping around to lo, or -1 when all are taken.
func (b *Bitmap) nextFree(start, lo, hi int) int {
	hi = min(hi, b.size)
	if lo >= hi {
		return -1
	}
	if start < lo || start >= hi {
		start = lo
	}
	if i := b.firstFree(start, hi); i >= 0 {
		return i
	}
	return b.firstFree(lo, start)
}

// Pick chooses a free index for a dynamic allocation, or -1 when the
// bitmap is full. As Kubernetes does (KEP-3070, KEP-3668), it prefers the
// upper band above offset and leaves the lower band to the addresses
// people pick by hand (a DNS server's 10.96.0.10), falling back to it only
// when the upper band is full. Within a band it starts at a point seed
// decides, so a freed address is not handed out again straight away;
// seed must come from the command (a uid), never from a clock or rand.
func (b *Bitmap) Pick(offset int, seed uint64) int {
	offset = min(max(offset, 0), b.size)
	if n := b.size - offset; n > 0 {
		if i := b.nextFree(offset+int(seed%uint64(n)), offset, b.size); i >= 0 {
			return i
		}
	}
	if offset > 0 {
		return b.nextFree(int(seed%uint64(offset)), 0, offset)
	}
	return -1
}

// BandOffset is where the upper (dynamic) band of a range of size starts:
// min(max(lo, size/step), hi), and 0 for ranges of lo or fewer, which are
// too small to split.
func BandOffset(size, lo, hi, step int) int {
	if size <= lo {
		return 0
	}
	return min(max(lo, size/step), hi)
}

// IPBandOffset and PortBandOffset are Kubernetes' band splits for cluster
// IPs (16..256, a sixteenth) and node ports (16..128, a thirty-second).
func IPBandOffset(size int) int   { return BandOffset(size, 16, 256, 16) }
func PortBandOffset(size int) int { return BandOffset(size, 16, 128, 32) }
