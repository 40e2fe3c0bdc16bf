package bench

import (
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
)

// eachEvent calls fn with every WatchResponse.events element of the
// message in data, without first joining data's buffers into one slice:
// an element that lies within one buffer (nearly all of them) is passed
// in place, and only one that straddles two buffers is copied, into
// *scratch. The slices fn gets are valid only during the call.
func eachEvent(data mem.BufferSlice, scratch *[]byte, fn func(ev []byte) error) error {
	r := bufWalker{data: data}
	for !r.done() {
		tag, err := r.varint()
		if err != nil {
			return err
		}
		num, typ := protowire.DecodeTag(tag)
		var v []byte
		switch typ {
		case protowire.VarintType:
			_, err = r.varint()
		case protowire.Fixed32Type:
			_, err = r.take(4, scratch)
		case protowire.Fixed64Type:
			_, err = r.take(8, scratch)
		case protowire.BytesType:
			var n uint64
			if n, err = r.varint(); err == nil {
				v, err = r.take(n, scratch)
			}
		default:
			return errWire
		}
		if err != nil {
			return err
		}
		if num == fResponseEvents && typ == protowire.BytesType {
			if err := fn(v); err != nil {
				return err
			}
		}
	}
	return nil
}

// bufWalker reads a message spread over buffers: data[i][off:] is next.
type bufWalker struct {
	data mem.BufferSlice
	i    int
	off  int
}

// skipEmpty moves past exhausted buffers.
func (r *bufWalker) skipEmpty() {
	for r.i < len(r.data) && r.off >= r.data[r.i].Len() {
		r.i, r.off = r.i+1, 0
	}
}

func (r *bufWalker) done() bool {
	r.skipEmpty()
	return r.i >= len(r.data)
}

// varint reads one base-128 varint, byte by byte across buffers.
func (r *bufWalker) varint() (uint64, error) {
	var x uint64
	for shift := uint(0); shift < 64; shift += 7 {
		r.skipEmpty()
		if r.i >= len(r.data) {
			return 0, errWire
		}
		c := r.data[r.i].ReadOnlyData()[r.off]
		r.off++
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			return x, nil
		}
	}
	return 0, errWire
}

// take returns the next n bytes: in place when one buffer holds them,
// else copied into *scratch.
func (r *bufWalker) take(n uint64, scratch *[]byte) ([]byte, error) {
	r.skipEmpty()
	if n == 0 {
		return nil, nil
	}
	if r.i >= len(r.data) {
		return nil, errWire
	}
	if b := r.data[r.i].ReadOnlyData()[r.off:]; uint64(len(b)) >= n {
		r.off += int(n)
		return b[:n], nil
	}
	out := (*scratch)[:0]
	for uint64(len(out)) < n {
		r.skipEmpty()
		if r.i >= len(r.data) {
			return nil, errWire
		}
		b := r.data[r.i].ReadOnlyData()[r.off:]
		k := min(uint64(len(b)), n-uint64(len(out)))
		out = append(out, b[:k]...)
		r.off += int(k)
	}
	*scratch = out
	return out, nil
}
