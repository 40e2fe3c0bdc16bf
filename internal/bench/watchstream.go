package bench

import (
	"context"
	"errors"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/mem"
	"google.golang.org/protobuf/encoding/protowire"
	"google.golang.org/protobuf/proto"
)

// rawFrame receives WatchResponses. With onEvent set, Unmarshal hands it
// every event of a response in place, as the bytes arrived (no joined copy
// of the response, no decode beyond what parseEvent reads); without, the
// whole response is copied into b.
type rawFrame struct {
	onEvent func(now time.Time, ev []byte) error
	scratch []byte
	b       []byte
}

// rawCodec marshals requests as protobuf and hands responses to a
// rawFrame, so a watcher pays for a walk of the wire format, not a decode
// of every object, per response: the benchmark measures the masters, and
// must not be the bottleneck at a thousand watchers.
type rawCodec struct{}

func (rawCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(proto.Message)
	if !ok {
		return nil, fmt.Errorf("bench codec: cannot marshal %T", v)
	}
	b, err := proto.Marshal(m)
	if err != nil {
		return nil, err
	}
	return mem.BufferSlice{mem.SliceBuffer(b)}, nil
}

func (rawCodec) Unmarshal(data mem.BufferSlice, v any) error {
	f, ok := v.(*rawFrame)
	if !ok {
		return fmt.Errorf("bench codec: cannot unmarshal into %T", v)
	}
	if f.onEvent == nil {
		f.b = f.b[:0]
		for _, buf := range data {
			f.b = append(f.b, buf.ReadOnlyData()...)
		}
		return nil
	}
	now := time.Now()
	return eachEvent(data, &f.scratch, func(ev []byte) error { return f.onEvent(now, ev) })
}

func (rawCodec) Name() string { return "proto" }

// openRawWatch opens a Watch stream whose responses arrive as rawFrames.
func openRawWatch(ctx context.Context, conn *grpc.ClientConn, req *gantryv1.WatchRequest) (grpc.ClientStream, error) {
	s, err := conn.NewStream(ctx, &gantryv1.ResourceService_ServiceDesc.Streams[0],
		gantryv1.ResourceService_Watch_FullMethodName, grpc.ForceCodecV2(rawCodec{}))
	if err != nil {
		return nil, err
	}
	if err := s.SendMsg(req); err != nil {
		return nil, err
	}
	return s, s.CloseSend()
}

// wireEvent is what the benchmark reads of one WatchEvent: its type, and
// for a ConfigMap its name and the sent annotation (raw, unparsed).
type wireEvent struct {
	typ  gantryv1.WatchEventType
	name []byte
	sent []byte
}

var errWire = errors.New("bench: malformed watch response")

// Field numbers on the path WatchResponse.events[].object.config_map.metadata.
const (
	fResponseEvents    = 1 // WatchResponse.events
	fEventType         = 1 // WatchEvent.type
	fEventObject       = 2 // WatchEvent.object
	fObjectConfigMap   = 8 // Object.config_map
	fConfigMapMeta     = 1 // ConfigMap.metadata
	fMetaName          = 1 // ObjectMeta.name
	fMetaAnnotations   = 10
	fMapKey, fMapValue = 1, 2
)

func parseEvent(b []byte) (wireEvent, error) {
	var ev wireEvent
	err := fields(b, func(num protowire.Number, x uint64, v []byte) error {
		switch num {
		case fEventType:
			ev.typ = gantryv1.WatchEventType(x)
		case fEventObject:
			cm := field(v, fObjectConfigMap)
			if cm == nil {
				return nil
			}
			return parseMeta(field(cm, fConfigMapMeta), &ev)
		}
		return nil
	})
	return ev, err
}

func parseMeta(meta []byte, ev *wireEvent) error {
	return fields(meta, func(num protowire.Number, _ uint64, v []byte) error {
		switch num {
		case fMetaName:
			ev.name = v
		case fMetaAnnotations:
			if string(field(v, fMapKey)) == sentAnnotation {
				ev.sent = field(v, fMapValue)
			}
		}
		return nil
	})
}

// field returns the last occurrence of length-delimited field num in b
// (protobuf's "last one wins"), or nil.
func field(b []byte, num protowire.Number) []byte {
	var out []byte
	_ = fields(b, func(n protowire.Number, _ uint64, v []byte) error {
		if n == num {
			out = v
		}
		return nil
	})
	return out
}

// fields walks the fields of one message: varints come as x, bytes as v;
// fixed-width fields are skipped.
func fields(b []byte, fn func(num protowire.Number, x uint64, v []byte) error) error {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return errWire
		}
		b = b[n:]
		var (
			x uint64
			v []byte
		)
		switch typ {
		case protowire.VarintType:
			x, n = protowire.ConsumeVarint(b)
		case protowire.BytesType:
			v, n = protowire.ConsumeBytes(b)
		default:
			n = protowire.ConsumeFieldValue(num, typ, b)
		}
		if n < 0 {
			return errWire
		}
		b = b[n:]
		if typ != protowire.VarintType && typ != protowire.BytesType {
			continue
		}
		if err := fn(num, x, v); err != nil {
			return err
		}
	}
	return nil
}
