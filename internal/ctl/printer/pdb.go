package printer

import (
	"strconv"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// pdbRow is kubectl's PodDisruptionBudget row: N/A for the bound not set.
func pdbRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	pdb := o.GetPodDisruptionBudget()
	spec := pdb.GetSpec()
	orNA := func(v *string) string {
		if v == nil {
			return "N/A"
		}
		return *v
	}
	var minAvailable, maxUnavailable *string
	if spec != nil {
		minAvailable, maxUnavailable = spec.MinAvailable, spec.MaxUnavailable
	}
	return []string{pdb.GetMetadata().GetName(), orNA(minAvailable), orNA(maxUnavailable),
		strconv.Itoa(int(pdb.GetStatus().GetDisruptionsAllowed())), Since(pdb.GetMetadata().GetCreationTimestamp(), now)}
}
