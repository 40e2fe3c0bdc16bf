package describe

import (
	"fmt"
	"sort"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/printer"
	"google.golang.org/protobuf/proto"
)

// podTemplateHashLabel tells a Deployment's ReplicaSets apart; templates
// are compared without it.
const podTemplateHashLabel = "pod-template-hash"

func (d *describer) deployment(dep *gantryv1.Deployment) {
	m, spec, st := dep.GetMetadata(), dep.GetSpec(), dep.GetStatus()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "Selector:\t%s\n", labelSelector(spec.GetSelector()))
	d.w.write(level0, "Replicas:\t%d desired | %d updated | %d total | %d available | %d unavailable\n",
		printer.Replicas(spec.Replicas), st.GetUpdatedReplicas(), st.GetReplicas(), st.GetAvailableReplicas(), st.GetUnavailableReplicas())
	strategy := spec.GetStrategy().GetType()
	if strategy == "" {
		strategy = "RollingUpdate"
	}
	d.w.write(level0, "StrategyType:\t%s\n", strategy)
	d.w.write(level0, "MinReadySeconds:\t%d\n", spec.GetMinReadySeconds())
	if strategy == "RollingUpdate" {
		ru := spec.GetStrategy().GetRollingUpdate()
		d.w.write(level0, "RollingUpdateStrategy:\t%s max unavailable, %s max surge\n",
			orDefault(ru.GetMaxUnavailable(), "25%"), orDefault(ru.GetMaxSurge(), "25%"))
	}
	if spec.GetPaused() {
		d.w.write(level0, "Paused:\ttrue\n")
	}
	d.podTemplate(spec.GetTemplate())
	d.conditionsTable(st.GetConditions())
	oldRS, newRS := d.splitReplicaSets(dep)
	d.w.write(level0, "OldReplicaSets:\t%s\n", replicaSetList(oldRS))
	d.w.write(level0, "NewReplicaSet:\t%s\n", replicaSetList(newRS))
}

// splitReplicaSets finds, among the Owned ReplicaSets, the new one (the
// oldest whose template is the Deployment's, as the controller decides)
// and the old ones that still want pods (kubectl leaves out those scaled
// to zero).
func (d *describer) splitReplicaSets(dep *gantryv1.Deployment) (old, cur []*gantryv1.ReplicaSet) {
	var all []*gantryv1.ReplicaSet
	for _, o := range d.owned(apimeta.KindReplicaSet) {
		all = append(all, o.GetReplicaSet())
	}
	sort.SliceStable(all, func(i, j int) bool {
		a, b := all[i].GetMetadata().GetCreationTimestamp().AsTime(), all[j].GetMetadata().GetCreationTimestamp().AsTime()
		return a.Before(b)
	})
	var newRS *gantryv1.ReplicaSet
	for _, rs := range all {
		if equalIgnoreHash(rs.GetSpec().GetTemplate(), dep.GetSpec().GetTemplate()) {
			newRS = rs
			break
		}
	}
	for _, rs := range all {
		if rs != newRS && printer.Replicas(rs.GetSpec().Replicas) != 0 {
			old = append(old, rs)
		}
	}
	if newRS != nil {
		cur = []*gantryv1.ReplicaSet{newRS}
	}
	return old, cur
}

func equalIgnoreHash(a, b *gantryv1.PodTemplateSpec) bool {
	strip := func(t *gantryv1.PodTemplateSpec) *gantryv1.PodTemplateSpec {
		c := proto.Clone(t).(*gantryv1.PodTemplateSpec)
		if c != nil && c.Metadata != nil {
			delete(c.Metadata.Labels, podTemplateHashLabel)
			if len(c.Metadata.Labels) == 0 {
				c.Metadata.Labels = nil
			}
		}
		return c
	}
	return proto.Equal(strip(a), strip(b))
}

// replicaSetList is kubectl's printReplicaSetsByLabels.
func replicaSetList(rss []*gantryv1.ReplicaSet) string {
	if len(rss) == 0 {
		return "<none>"
	}
	out := make([]string, len(rss))
	for i, rs := range rss {
		out[i] = fmt.Sprintf("%s (%d/%d replicas created)", rs.GetMetadata().GetName(), rs.GetStatus().GetReplicas(), printer.Replicas(rs.GetSpec().Replicas))
	}
	return strings.Join(out, ", ")
}

func (d *describer) replicaSet(rs *gantryv1.ReplicaSet) {
	m, spec, st := rs.GetMetadata(), rs.GetSpec(), rs.GetStatus()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.w.write(level0, "Selector:\t%s\n", labelSelector(spec.GetSelector()))
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.controller(m)
	d.w.write(level0, "Replicas:\t%d current / %d desired\n", st.GetReplicas(), printer.Replicas(spec.Replicas))
	var running, waiting, succeeded, failed int
	for _, o := range d.owned(apimeta.KindPod) {
		switch o.GetPod().GetStatus().GetPhase() {
		case "Running":
			running++
		case "Succeeded":
			succeeded++
		case "Failed":
			failed++
		default:
			waiting++
		}
	}
	d.w.write(level0, "Pods Status:\t%d Running / %d Waiting / %d Succeeded / %d Failed\n", running, waiting, succeeded, failed)
	d.podTemplate(spec.GetTemplate())
	d.conditionsTable(st.GetConditions())
}

// podTemplate is kubectl's DescribePodTemplate.
func (d *describer) podTemplate(t *gantryv1.PodTemplateSpec) {
	d.w.write(level0, "Pod Template:\n")
	if t == nil {
		d.w.write(level1, "<unset>\n")
		return
	}
	d.labels(level1, "Labels", t.GetMetadata().GetLabels())
	if len(t.GetMetadata().GetAnnotations()) > 0 {
		d.annotations(level1, "Annotations", t.GetMetadata().GetAnnotations())
	}
	d.containers("Containers", t.GetSpec().GetContainers(), nil, "  ")
	d.labels(level1, "Node-Selectors", t.GetSpec().GetNodeSelector())
	d.tolerations(level1, "Tolerations", t.GetSpec().GetTolerations())
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
