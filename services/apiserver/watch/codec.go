package watch

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// Frame is a message already in wire format: a whole WatchResponse built
// by concatenating pre-encoded events.
type Frame struct{ B []byte }

// Codec is the proto codec that also sends Frames as they are. Install it
// with grpc.ForceServerCodecV2 on servers that serve Watch.
func Codec() encoding.CodecV2 { return codec{inner: encoding.GetCodecV2(proto.Name)} }

type codec struct{ inner encoding.CodecV2 }

func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*Frame); ok {
		return mem.BufferSlice{mem.SliceBuffer(f.B)}, nil
	}
	return c.inner.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.inner.Unmarshal(data, v) }

func (c codec) Name() string { return proto.Name }
