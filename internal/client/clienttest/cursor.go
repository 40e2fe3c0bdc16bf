package clienttest

import (
	"context"
	"sort"
	"strconv"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Cursor is one open watch on a Store. Its Recv satisfies
// client.WatchStream, so tests can run a client.Watcher without gRPC.
type Cursor struct {
	ctx      context.Context
	s        *Store
	m        matcher
	pos      uint64
	initial  *gantryv1.WatchResponse
	bookmark bool
	breakGen uint64
	bookGen  uint64
}

// Watch opens a cursor after req.resource_version (the current version
// when empty, after sending every matching object as ADDED and a bookmark
// when send_initial_events is set). A version older than the log yields
// OUT_OF_RANGE. ctx ends the cursor.
func (s *Store) Watch(ctx context.Context, req *gantryv1.WatchRequest) (*Cursor, error) {
	m, err := newMatcher(req.GetKind(), req.GetNamespace(), req.GetLabelSelector())
	if err != nil {
		return nil, err
	}
	rv, err := apimeta.ParseResourceVersion(req.GetResourceVersion())
	if err != nil {
		return nil, status.Errorf(codes.InvalidArgument, "resource_version %q: %v", req.GetResourceVersion(), err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := &Cursor{ctx: ctx, s: s, m: m, pos: rv, bookmark: req.GetAllowBookmarks(), breakGen: s.breakGen, bookGen: s.bookGen}
	if req.GetResourceVersion() == "" || req.GetSendInitialEvents() {
		c.pos = s.rv
	}
	if req.GetSendInitialEvents() {
		c.initial = s.snapshotLocked(m)
	}
	if c.pos < s.compacted {
		return nil, tooOld(c.pos, s.compacted)
	}
	s.opened++
	return c, nil
}

func tooOld(pos, compacted uint64) error {
	return status.Errorf(codes.OutOfRange, "resource_version %d is too old; oldest is %d", pos, compacted)
}

func (s *Store) snapshotLocked(m matcher) *gantryv1.WatchResponse {
	keys := make([]string, 0, len(s.objs))
	for k, o := range s.objs {
		if m.match(o) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	resp := &gantryv1.WatchResponse{}
	for _, k := range keys {
		o := s.objs[k]
		resp.Events = append(resp.Events, event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_ADDED, o, apimeta.Meta(o).GetResourceVersion()))
	}
	resp.Events = append(resp.Events, event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK, nil, strconv.FormatUint(s.rv, 10)))
	return resp
}

// Recv blocks until the cursor has events, the watch is broken
// (UNAVAILABLE), its history is gone (OUT_OF_RANGE) or ctx ends.
func (c *Cursor) Recv() (*gantryv1.WatchResponse, error) {
	for {
		resp, wait, err := c.next()
		if resp != nil || err != nil {
			return resp, err
		}
		select {
		case <-c.ctx.Done():
			return nil, status.FromContextError(c.ctx.Err()).Err()
		case <-wait[0]:
		case <-wait[1]:
		}
	}
}

func (c *Cursor) next() (*gantryv1.WatchResponse, [2]chan struct{}, error) {
	s := c.s
	s.mu.Lock()
	defer s.mu.Unlock()
	if c.initial != nil {
		r := c.initial
		c.initial = nil
		return r, [2]chan struct{}{}, nil
	}
	if c.breakGen != s.breakGen {
		return nil, [2]chan struct{}{}, status.Error(codes.Unavailable, "watch broken by test")
	}
	if c.pos < s.compacted {
		return nil, [2]chan struct{}{}, tooOld(c.pos, s.compacted)
	}
	i := sort.Search(len(s.log), func(i int) bool { return s.log[i].rv > c.pos })
	var resp *gantryv1.WatchResponse
	for ; i < len(s.log); i++ {
		e := s.log[i]
		n := 0
		for _, ev := range e.events {
			if c.m.match(ev.GetObject()) {
				n++
			}
		}
		if resp != nil && n > 0 && len(resp.Events)+n > MaxBatch {
			break
		}
		c.pos = e.rv
		for _, ev := range e.events {
			if c.m.match(ev.GetObject()) {
				if resp == nil {
					resp = &gantryv1.WatchResponse{}
				}
				resp.Events = append(resp.Events, ev)
			}
		}
	}
	if resp == nil && c.bookmark && c.bookGen != s.bookGen {
		c.bookGen = s.bookGen
		c.pos = s.rv
		resp = &gantryv1.WatchResponse{Events: []*gantryv1.WatchEvent{
			event(gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK, nil, strconv.FormatUint(s.rv, 10)),
		}}
	}
	return resp, [2]chan struct{}{s.changed, s.broken}, nil
}
