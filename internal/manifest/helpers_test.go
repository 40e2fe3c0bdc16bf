package manifest

import (
	"errors"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// decodeAll decodes src strictly and fails the test on error.
func decodeAll(t *testing.T, source, src string) []Decoded {
	t.Helper()
	return decodeWith(t, source, src, DefaultOptions())
}

func decodeWith(t *testing.T, source, src string, opts Options) []Decoded {
	t.Helper()
	got, warnings, err := Decode(source, []byte(src), opts)
	if err != nil {
		t.Fatalf("Decode: %v", err)
	}
	if opts.Strict && len(warnings) > 0 {
		t.Fatalf("Decode: unexpected warnings %v", warnings)
	}
	return got
}

// decodeOne decodes src, which must hold exactly one object.
func decodeOne(t *testing.T, src string) *gantryv1.Object {
	t.Helper()
	got := decodeAll(t, "test.yaml", src)
	if len(got) != 1 {
		t.Fatalf("Decode: got %d objects, want 1", len(got))
	}
	return got[0].Object
}

// decodeErr decodes src, which must fail, and returns the error.
func decodeErr(t *testing.T, source, src string, opts Options) *Error {
	t.Helper()
	got, warnings, err := Decode(source, []byte(src), opts)
	if err == nil {
		t.Fatalf("Decode succeeded with %d objects, want an error", len(got))
	}
	if got != nil || warnings != nil {
		t.Errorf("Decode returned objects or warnings along with its error")
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("Decode error %v is a %T, want *Error", err, err)
	}
	return e
}

const podHead = `apiVersion: v1
kind: Pod
metadata:
  name: p
spec:
`

// podSpec is a Pod manifest with one container named c plus extra, which
// is indented as the container's fields.
func container(extra string) string {
	return podHead + `  containers:
  - name: c
    image: busybox
` + indent(extra, "    ")
}

func indent(s, prefix string) string {
	out := ""
	start := 0
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			out += prefix + s[start:i+1]
			start = i + 1
		}
	}
	if start < len(s) {
		out += prefix + s[start:] + "\n"
	}
	return out
}

func firstContainer(o *gantryv1.Object) *gantryv1.Container {
	return o.GetPod().GetSpec().GetContainers()[0]
}
