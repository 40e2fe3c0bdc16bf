package watch

import (
	"google.golang.org/grpc/encoding"
	"google.golang.org/grpc/encoding/proto"
	"google.golang.org/grpc/mem"
)

// Frame is a message already in wire format: a whole WatchResponse made
// of parts, each one or more whole encoded events. The parts are shared
// (an event's encoding is one part of every frame that carries it), so a
// frame is never modified once built.
type Frame struct{ parts mem.BufferSlice }

// bytesFrame is a frame of one part.
func bytesFrame(b []byte) *Frame { return &Frame{parts: mem.BufferSlice{mem.SliceBuffer(b)}} }

// Bytes returns the frame's wire format as one new slice.
func (f *Frame) Bytes() []byte { return f.parts.Materialize() }

// Len is the frame's size in bytes.
func (f *Frame) Len() int { return f.parts.Len() }

// Codec is the proto codec that also sends Frames as they are. Install it
// with grpc.ForceServerCodecV2 on servers that serve Watch.
func Codec() encoding.CodecV2 { return codec{inner: encoding.GetCodecV2(proto.Name)} }

type codec struct{ inner encoding.CodecV2 }

// Marshal hands a Frame's parts to gRPC as they are: gRPC's HTTP/2 writer
// copies them straight into its write buffer, so N watchers sharing an
// event cost no copy of it here.
func (c codec) Marshal(v any) (mem.BufferSlice, error) {
	if f, ok := v.(*Frame); ok {
		return f.parts, nil
	}
	return c.inner.Marshal(v)
}

func (c codec) Unmarshal(data mem.BufferSlice, v any) error { return c.inner.Unmarshal(data, v) }

func (c codec) Name() string { return proto.Name }
