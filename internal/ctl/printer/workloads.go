package printer

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/selector"
)

func deploymentRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	d := o.GetDeployment()
	st := d.GetStatus()
	row := []string{d.GetMetadata().GetName(),
		fmt.Sprintf("%d/%d", st.GetReadyReplicas(), Replicas(d.GetSpec().Replicas)),
		itoa(st.GetUpdatedReplicas()), itoa(st.GetAvailableReplicas()),
		Since(d.GetMetadata().GetCreationTimestamp(), now)}
	if wide {
		names, images := ContainerCells(d.GetSpec().GetTemplate().GetSpec().GetContainers())
		row = append(row, names, images, Selector(d.GetSpec().GetSelector()))
	}
	return row
}

func replicaSetRow(o *gantryv1.Object, now time.Time, wide bool) []string {
	rs := o.GetReplicaSet()
	st := rs.GetStatus()
	row := []string{rs.GetMetadata().GetName(), itoa(Replicas(rs.GetSpec().Replicas)),
		itoa(st.GetReplicas()), itoa(st.GetReadyReplicas()),
		Since(rs.GetMetadata().GetCreationTimestamp(), now)}
	if wide {
		names, images := ContainerCells(rs.GetSpec().GetTemplate().GetSpec().GetContainers())
		row = append(row, names, images, Selector(rs.GetSpec().GetSelector()))
	}
	return row
}

// Replicas is spec.replicas with its default of 1.
func Replicas(p *int32) int32 {
	if p == nil {
		return 1
	}
	return *p
}

// ContainerCells is kubectl's layoutContainerCells: names and images,
// comma-separated.
func ContainerCells(cs []*gantryv1.Container) (names, images string) {
	n := make([]string, len(cs))
	im := make([]string, len(cs))
	for i, c := range cs {
		n[i], im[i] = c.GetName(), c.GetImage()
	}
	return strings.Join(n, ","), strings.Join(im, ",")
}

// Selector formats a label selector as kubectl does ("app=web,tier in (a,b)").
// An unset selector selects nothing and prints as "".
func Selector(ls *gantryv1.LabelSelector) string {
	sel, err := selector.FromLabelSelector(ls)
	if err != nil {
		return "<invalid>"
	}
	return sel.String()
}

func itoa(n int32) string { return strconv.Itoa(int(n)) }
