package snapshotfile

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	storagev1 "github.com/gantryio/gantry/gen/gantry/storage/v1"
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protodelim"
	"google.golang.org/protobuf/proto"
)

func configMap(name, rv string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.ConfigMap{Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: rv}})
}

func namespace(name, rv string) *gantryv1.Object {
	return apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: name, ResourceVersion: rv}})
}

// stream encodes a backup the way the store persists one.
func stream(t *testing.T, hdr *storagev1.SnapshotHeader, objs ...*gantryv1.Object) []byte {
	t.Helper()
	var b bytes.Buffer
	for _, m := range append([]proto.Message{hdr}, msgs(objs)...) {
		if _, err := protodelim.MarshalTo(&b, m); err != nil {
			t.Fatal(err)
		}
	}
	return b.Bytes()
}

func msgs(objs []*gantryv1.Object) []proto.Message {
	out := make([]proto.Message, len(objs))
	for i, o := range objs {
		out[i] = o
	}
	return out
}

func TestInspectCountsAndHashes(t *testing.T) {
	hdr := &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 40, ObjectCount: 3,
		Members: []*storagev1.MemberInfo{{Id: "m1", RaftAddress: "127.0.0.1:7101"}}}
	data := stream(t, hdr, configMap("a", "7"), configMap("b", "40"), namespace("default", "3"))
	info, err := Inspect(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(data)
	if info.Bytes != int64(len(data)) || info.SHA256 != hex.EncodeToString(sum[:]) {
		t.Errorf("bytes %d sha %s, want %d %x", info.Bytes, info.SHA256, len(data), sum)
	}
	if info.Revision != 40 || info.Objects != 3 || info.Kinds["ConfigMap"] != 2 || info.Kinds["Namespace"] != 1 || len(info.Kinds) != 2 {
		t.Errorf("info = %+v", info)
	}
	if got := strings.Join(info.SortedKinds(), ","); got != "ConfigMap,Namespace" {
		t.Errorf("sorted kinds %q", got)
	}
	if len(info.Members) != 1 || info.Members[0].GetId() != "m1" {
		t.Errorf("members %v", info.Members)
	}
}

func TestInspectRejects(t *testing.T) {
	good := stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 2}, configMap("a", "5"), configMap("b", "9"))
	cases := map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "header"},
		"format":         {stream(t, &storagev1.SnapshotHeader{FormatVersion: 2, Revision: 1}), "format version 2"},
		"truncated":      {good[:len(good)-3], "object 1"},
		"missing object": {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 2}, configMap("a", "5")), "holds 1 objects, header says 2"},
		"extra object":   {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 1}, configMap("a", "5"), configMap("b", "6")), "holds 2 objects, header says 1"},
		"future rv":      {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 1}, configMap("a", "10")), "resource_version 10 is past the snapshot's revision 9"},
		"bad rv":         {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 1}, configMap("a", "x")), `ConfigMap "default/a"`},
		"no kind":        {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 1}, &gantryv1.Object{}), "no kind"},
		"no name":        {stream(t, &storagev1.SnapshotHeader{FormatVersion: 1, Revision: 9, ObjectCount: 1}, configMap("", "1")), "without a name"},
		"garbage":        {append(append([]byte(nil), good...), 0xff, 0xff, 0xff), "object 2"},
	}
	for name, tc := range cases {
		t.Run(name, func(t *testing.T) {
			_, err := Inspect(bytes.NewReader(tc.data))
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Inspect = %v, want ErrCorrupt mentioning %q", err, tc.want)
			}
		})
	}
}
