package store

import (
	"bufio"
	"errors"
	"fmt"
	"io"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protodelim"
)

// snapshotFormat is the version of the Persist stream.
const snapshotFormat = 1

// maxSnapshotRecord bounds one record of a snapshot stream when reading.
const maxSnapshotRecord = 16 << 20

// Snapshot is a frozen, consistent view of the store. Taking one is O(1):
// the tables are copy-on-write clones, so Apply goes on while it persists.
type Snapshot struct {
	tables   map[string]*table
	members  []*storagev1.MemberInfo
	revision uint64
}

// Snapshot freezes the current state.
func (s *Store) Snapshot() *Snapshot {
	s.mu.Lock() // Clone mutates the source tree's copy-on-write bookkeeping.
	defer s.mu.Unlock()
	snap := &Snapshot{tables: make(map[string]*table, len(s.tables)), members: sortedMembers(s.members), revision: s.revision}
	for k, t := range s.tables {
		snap.tables[k] = t.clone()
	}
	return snap
}

// Revision is the index the snapshot was taken at.
func (sn *Snapshot) Revision() uint64 { return sn.revision }

// List reads a page of the frozen state; every page of one snapshot is
// consistent with its revision, however long the caller takes.
func (sn *Snapshot) List(kind string, opts ListOptions) (ListResult, error) {
	t, ok := sn.tables[kind]
	if !ok {
		return ListResult{}, ErrNotFound
	}
	return listTable(t, sn.revision, opts), nil
}

// Persist writes the snapshot as a header followed by length-delimited
// objects, kinds in name order and objects in key order.
func (sn *Snapshot) Persist(w io.Writer) error {
	bw := bufio.NewWriterSize(w, 256<<10)
	count := uint64(0)
	for _, t := range sn.tables {
		count += uint64(t.len())
	}
	hdr := &storagev1.SnapshotHeader{FormatVersion: snapshotFormat, Revision: sn.revision, ObjectCount: count, Members: sn.members}
	if _, err := protodelim.MarshalTo(bw, hdr); err != nil {
		return fmt.Errorf("write snapshot header: %w", err)
	}
	for _, k := range apimeta.Kinds() {
		var err error
		sn.tables[k].scan("", "", func(r record) bool {
			_, err = protodelim.MarshalTo(bw, r.obj)
			return err == nil
		})
		if err != nil {
			return fmt.Errorf("write snapshot object: %w", err)
		}
	}
	return bw.Flush()
}

// Restore replaces the whole state with a persisted snapshot. Every open
// watch ends with ErrCompacted, since its history is gone.
func (s *Store) Restore(r io.Reader) error {
	br := bufio.NewReaderSize(r, 256<<10)
	opts := protodelim.UnmarshalOptions{MaxSize: maxSnapshotRecord}
	hdr := &storagev1.SnapshotHeader{}
	if err := opts.UnmarshalFrom(br, hdr); err != nil {
		return fmt.Errorf("read snapshot header: %w", err)
	}
	if hdr.GetFormatVersion() != snapshotFormat {
		return fmt.Errorf("snapshot format %d is not supported (want %d)", hdr.GetFormatVersion(), snapshotFormat)
	}
	tables, members := emptyTables(), map[string]*storagev1.MemberInfo{}
	for _, m := range hdr.GetMembers() {
		members[m.GetId()] = m
	}
	for n := uint64(0); ; n++ {
		o := &gantryv1.Object{}
		err := opts.UnmarshalFrom(br, o)
		if errors.Is(err, io.EOF) {
			if n != hdr.GetObjectCount() {
				return fmt.Errorf("snapshot holds %d objects, header says %d", n, hdr.GetObjectCount())
			}
			break
		}
		if err != nil {
			return fmt.Errorf("read snapshot object %d: %w", n, err)
		}
		info, key, _, err := target(o)
		if err != nil {
			return fmt.Errorf("snapshot object %d: %w", n, err)
		}
		tables[info.Name].put(key, o)
	}
	svc := newServiceIndex(tables[apimeta.KindService])
	s.mu.Lock()
	s.tables, s.members, s.revision, s.svc = tables, members, hdr.GetRevision(), svc
	s.log.reset(hdr.GetRevision())
	s.mu.Unlock()
	return nil
}
