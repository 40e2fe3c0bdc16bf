package deployment

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
)

// Strategy types.
const (
	RollingUpdate = "RollingUpdate"
	Recreate      = "Recreate"
)

// ResolveFenceposts turns maxSurge and maxUnavailable ("1", "25%", "" for
// 0) into pod counts for desired replicas: surge rounds up, unavailable
// rounds down, and when both are 0 unavailable becomes 1 so that a
// rollout can make progress.
func ResolveFenceposts(maxSurge, maxUnavailable string, desired int32) (surge, unavailable int32, err error) {
	s, err := scaled(maxSurge, desired, true)
	if err != nil {
		return 0, 0, fmt.Errorf("maxSurge: %w", err)
	}
	u, err := scaled(maxUnavailable, desired, false)
	if err != nil {
		return 0, 0, fmt.Errorf("maxUnavailable: %w", err)
	}
	if s == 0 && u == 0 {
		u = 1
	}
	return s, u, nil
}

func scaled(v string, total int32, roundUp bool) (int32, error) {
	if v == "" {
		return 0, nil
	}
	is := intstr.Parse(v)
	n, err := intstr.GetScaledValueFromIntOrPercent(&is, int(total), roundUp)
	if err != nil {
		return 0, err
	}
	if n < 0 {
		return 0, fmt.Errorf("%q is negative", v)
	}
	return int32(n), nil
}

// isRolling reports whether d rolls (RollingUpdate, the default).
func isRolling(d *gantryv1.Deployment) bool {
	return d.GetSpec().GetStrategy().GetType() != Recreate
}

// desiredReplicas returns spec.replicas (1 when unset, as the API
// defaults it).
func desiredReplicas(d *gantryv1.Deployment) int32 {
	if r := d.GetSpec().Replicas; r != nil {
		return *r
	}
	return 1
}

// MaxSurge returns d's surge in pods (0 for Recreate).
func MaxSurge(d *gantryv1.Deployment) int32 {
	if !isRolling(d) {
		return 0
	}
	ru := d.GetSpec().GetStrategy().GetRollingUpdate()
	s, _, err := ResolveFenceposts(ru.GetMaxSurge(), ru.GetMaxUnavailable(), desiredReplicas(d))
	if err != nil {
		return 0
	}
	return s
}

// MaxUnavailable returns how many of d's desired pods may be unavailable
// (0 for Recreate; never more than replicas).
func MaxUnavailable(d *gantryv1.Deployment) int32 {
	want := desiredReplicas(d)
	if !isRolling(d) || want == 0 {
		return 0
	}
	ru := d.GetSpec().GetStrategy().GetRollingUpdate()
	_, u, err := ResolveFenceposts(ru.GetMaxSurge(), ru.GetMaxUnavailable(), want)
	if err != nil {
		return 1
	}
	return min(u, want)
}
