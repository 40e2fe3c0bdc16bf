package snapshotfile

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"sort"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protodelim"
)

// FormatVersion is the store snapshot format this package reads.
const FormatVersion = 1

// MaxRecord bounds one record of a backup, as the store does when it
// restores one.
const MaxRecord = 16 << 20

// ErrCorrupt wraps every reason a backup is unusable.
var ErrCorrupt = errors.New("corrupt snapshot")

// Info describes a verified backup.
type Info struct {
	// Bytes is the size of the stream; SHA256 its hex digest.
	Bytes  int64
	SHA256 string
	// Revision is the store revision the backup holds: every object's
	// resource_version is at or below it.
	Revision uint64
	Objects  uint64
	// Kinds counts objects per kind; kinds with none are absent.
	Kinds map[string]uint64
	// Members are the masters the backed-up cluster had recorded.
	Members []*storagev1.MemberInfo
}

// SortedKinds returns the kinds Info counts, in name order.
func (i Info) SortedKinds() []string {
	out := make([]string, 0, len(i.Kinds))
	for k := range i.Kinds {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// Inspect reads a whole backup from r and checks it: the header's format,
// every record decodes, every object has a kind and a name and a
// resource_version no later than the header's revision, and the header's
// object count matches.
func Inspect(r io.Reader) (Info, error) {
	cr := &countingReader{r: r, h: sha256.New()}
	br := bufio.NewReaderSize(cr, 256<<10)
	opts := protodelim.UnmarshalOptions{MaxSize: MaxRecord}
	hdr := &storagev1.SnapshotHeader{}
	if err := opts.UnmarshalFrom(br, hdr); err != nil {
		return Info{}, fmt.Errorf("%w: header: %w", ErrCorrupt, err)
	}
	if hdr.GetFormatVersion() != FormatVersion {
		return Info{}, fmt.Errorf("%w: format version %d is not supported (want %d)", ErrCorrupt, hdr.GetFormatVersion(), FormatVersion)
	}
	info := Info{Revision: hdr.GetRevision(), Kinds: map[string]uint64{}, Members: hdr.GetMembers()}
	for {
		o := &gantryv1.Object{}
		err := opts.UnmarshalFrom(br, o)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return Info{}, fmt.Errorf("%w: object %d: %w", ErrCorrupt, info.Objects, err)
		}
		if err := check(o, hdr.GetRevision()); err != nil {
			return Info{}, fmt.Errorf("%w: object %d: %w", ErrCorrupt, info.Objects, err)
		}
		info.Objects++
		info.Kinds[apimeta.KindOf(o)]++
	}
	if info.Objects != hdr.GetObjectCount() {
		return Info{}, fmt.Errorf("%w: holds %d objects, header says %d (truncated?)", ErrCorrupt, info.Objects, hdr.GetObjectCount())
	}
	info.Bytes, info.SHA256 = cr.n, hex.EncodeToString(cr.h.Sum(nil))
	return info, nil
}

func check(o *gantryv1.Object, revision uint64) error {
	kind := apimeta.KindOf(o)
	if kind == "" {
		return errors.New("empty envelope (no kind)")
	}
	m := apimeta.Meta(o)
	if m.GetName() == "" {
		return fmt.Errorf("%s without a name", kind)
	}
	rv, err := apimeta.ParseResourceVersion(m.GetResourceVersion())
	if err != nil {
		return fmt.Errorf("%s %q: %w", kind, apimeta.Key(m.GetNamespace(), m.GetName()), err)
	}
	if rv > revision {
		return fmt.Errorf("%s %q: resource_version %d is past the snapshot's revision %d", kind, apimeta.Key(m.GetNamespace(), m.GetName()), rv, revision)
	}
	return nil
}

// countingReader counts and hashes what is read through it.
type countingReader struct {
	r io.Reader
	n int64
	h hash.Hash
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	c.h.Write(p[:n])
	return n, err
}
