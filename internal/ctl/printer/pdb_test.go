package printer

import (
	"bytes"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

func TestPodDisruptionBudgetTable(t *testing.T) {
	mk := func(name string, spec *gantryv1.PodDisruptionBudgetSpec, allowed int32) *gantryv1.Object {
		return apimeta.Wrap(&gantryv1.PodDisruptionBudget{Metadata: meta("default", name, 3*time.Hour), Spec: spec,
			Status: &gantryv1.PodDisruptionBudgetStatus{DisruptionsAllowed: allowed}})
	}
	objs := []*gantryv1.Object{
		mk("web", &gantryv1.PodDisruptionBudgetSpec{MinAvailable: str("2")}, 1),
		mk("db", &gantryv1.PodDisruptionBudgetSpec{MaxUnavailable: str("25%")}, 0),
		mk("bare", nil, 0),
	}
	var b bytes.Buffer
	if err := PrintTable(&b, apimeta.KindPodDisruptionBudget, objs, Options{Now: now}); err != nil {
		t.Fatal(err)
	}
	want := "NAME   MIN AVAILABLE   MAX UNAVAILABLE   ALLOWED DISRUPTIONS   AGE\n" +
		"web    2               N/A               1                     3h\n" +
		"db     N/A             25%               0                     3h\n" +
		"bare   N/A             N/A               0                     3h\n"
	if b.String() != want {
		t.Errorf("table:\n%s\nwant:\n%s", b.String(), want)
	}
}
