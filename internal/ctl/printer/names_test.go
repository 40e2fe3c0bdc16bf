package printer

import (
	"bytes"
	"errors"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestPrintNames(t *testing.T) {
	objs := []*gantryv1.Object{pods()[0], deployments()[0], replicaSets()[0], nodes()[0], services()[0],
		endpointSlices()[0], configMaps()[0], secrets()[0], namespaces()[0], leases()[0], events()[0]}
	var b bytes.Buffer
	if err := PrintNames(&b, objs); err != nil {
		t.Fatal(err)
	}
	checkGolden(t, "names", b.Bytes())
	if err := PrintNames(&b, []*gantryv1.Object{{}}); !errors.Is(err, ErrEmptyObject) {
		t.Errorf("empty envelope: %v", err)
	}
}
