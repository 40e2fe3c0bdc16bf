package execstream

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestCheckStartNamesTheField(t *testing.T) {
	many := make([]string, MaxArgs+1)
	for i := range many {
		many[i] = "x"
	}
	for _, tc := range []struct {
		start *gantryv1.ExecStart
		want  string // "" for valid
	}{
		{&gantryv1.ExecStart{Name: "p", Command: []string{"ls"}}, ""},
		{nil, "start: Required value"},
		{&gantryv1.ExecStart{Command: []string{"ls"}}, "start.name: Required value"},
		{&gantryv1.ExecStart{Name: "p"}, "start.command: Required value"},
		{&gantryv1.ExecStart{Name: "p", Command: []string{"", "x"}}, "start.command[0]: Required value"},
		{&gantryv1.ExecStart{Name: "p", Command: many}, "start.command: Too many: 1025 arguments"},
		{&gantryv1.ExecStart{Name: "p", Command: []string{"sh", strings.Repeat("a", MaxCommandBytes)}}, "start.command: Too long"},
		{&gantryv1.ExecStart{Name: "p", Command: []string{"sh", "a\x00b"}}, "start.command[1]: Invalid value"},
	} {
		err := CheckStart(tc.start)
		if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)) {
			t.Errorf("CheckStart(%v) = %v, want %q", tc.start, err, tc.want)
		}
	}
	if CheckStdin(make([]byte, ChunkSize)) != nil || CheckStdin(make([]byte, ChunkSize+1)) == nil {
		t.Error("CheckStdin does not allow exactly ChunkSize bytes")
	}
}

func TestWriterSendsBoundedCopies(t *testing.T) {
	var chunks [][]byte
	w := NewWriter(func(b []byte) error { chunks = append(chunks, b); return nil })
	in := bytes.Repeat([]byte("abcdefgh"), (2*ChunkSize+100)/8)
	n, err := w.Write(in)
	if err != nil || n != len(in) || len(chunks) != 3 || len(chunks[0]) != ChunkSize || len(chunks[2]) != len(in)-2*ChunkSize {
		t.Fatalf("Write = %d, %v; chunk sizes %d", n, err, len(chunks))
	}
	in[0] = 'X'
	if chunks[0][0] != 'a' || !bytes.Equal(bytes.Join(chunks, nil)[1:], in[1:]) {
		t.Fatal("chunks are not copies of the input")
	}
	boom := errors.New("boom")
	calls := 0
	w = NewWriter(func([]byte) error { calls++; return boom })
	if n, err := w.Write(in); n != 0 || !errors.Is(err, boom) || calls != 1 {
		t.Fatalf("failing send: n=%d err=%v calls=%d", n, err, calls)
	}
}
