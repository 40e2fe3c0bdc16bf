package describe

import (
	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/ctl/printer"
)

// pod is kubectl's pod describer for what a Gantry pod has.
func (d *describer) pod(p *gantryv1.Pod) {
	m, spec, st := p.GetMetadata(), p.GetSpec(), p.GetStatus()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.w.write(level0, "Priority:\t%d\n", spec.GetPriority())
	if s := spec.GetSchedulerName(); s != "" && s != "default-scheduler" {
		d.w.write(level0, "Scheduler:\t%s\n", s)
	}
	if spec.GetNodeName() == "" {
		d.w.write(level0, "Node:\t<none>\n")
	} else {
		d.w.write(level0, "Node:\t%s/%s\n", spec.GetNodeName(), st.GetHostIp())
	}
	if st.GetStartTime() != nil {
		d.w.write(level0, "Start Time:\t%s\n", d.stamp(st.GetStartTime()))
	}
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	phase := st.GetPhase()
	if phase == "" {
		phase = "Pending"
	}
	if m.GetDeletionTimestamp() != nil && phase != "Succeeded" && phase != "Failed" {
		d.w.write(level0, "Status:\tTerminating (lasts %s)\n", printer.Since(m.GetDeletionTimestamp(), d.now))
		if g := m.DeletionGracePeriodSeconds; g != nil {
			d.w.write(level0, "Termination Grace Period:\t%ds\n", *g)
		}
	} else {
		d.w.write(level0, "Status:\t%s\n", phase)
	}
	if st.GetReason() != "" {
		d.w.write(level0, "Reason:\t%s\n", st.GetReason())
	}
	if st.GetMessage() != "" {
		d.w.write(level0, "Message:\t%s\n", st.GetMessage())
	}
	d.w.write(level0, "IP:\t%s\n", st.GetPodIp())
	if len(st.GetPodIps()) == 0 {
		d.w.write(level0, "IPs:\t<none>\n")
	} else {
		d.w.write(level0, "IPs:\n")
		for _, ip := range st.GetPodIps() {
			d.w.write(level1, "IP:\t%s\n", ip.GetIp())
		}
	}
	d.controller(m)
	if st.GetNominatedNodeName() != "" {
		d.w.write(level0, "NominatedNodeName:\t%s\n", st.GetNominatedNodeName())
	}
	d.field = func(path string) string { return podField(p, path) }
	d.containers("Containers", spec.GetContainers(), st.GetContainerStatuses(), "")
	d.field = nil
	if len(st.GetConditions()) > 0 {
		d.w.write(level0, "Conditions:\n  Type\tStatus\n")
		for _, c := range st.GetConditions() {
			d.w.write(level1, "%s \t%s \n", c.GetType(), c.GetStatus())
		}
	}
	if spec.GetNodeName() == "" {
		d.scheduling(st)
	}
	d.labels(level0, "Node-Selectors", spec.GetNodeSelector())
	d.tolerations(level0, "Tolerations", spec.GetTolerations())
}

// tolerations prints kubectl's toleration lines: "key=value:Effect",
// " op=Exists", " for 300s".
func (d *describer) tolerations(level int, title string, ts []*gantryv1.Toleration) {
	d.w.write(level, "%s:\t", title)
	if len(ts) == 0 {
		d.w.write(level0, "<none>\n")
		return
	}
	for i, t := range ts {
		if i > 0 {
			d.w.write(level, "\t")
		}
		s := t.GetKey()
		if t.GetValue() != "" {
			s += "=" + t.GetValue()
		}
		if t.GetEffect() != "" {
			s += ":" + t.GetEffect()
		}
		if t.GetOperator() == "Exists" && t.GetValue() == "" {
			if t.GetKey() != "" || t.GetEffect() != "" {
				s += " "
			}
			s += "op=Exists"
		}
		if t.TolerationSeconds != nil {
			d.w.write(level0, "%s for %ds\n", s, t.GetTolerationSeconds())
			continue
		}
		d.w.write(level0, "%s\n", s)
	}
}

// podField is the value of a downward-API field path of p, "" for paths
// it does not know.
func podField(p *gantryv1.Pod, path string) string {
	switch path {
	case "metadata.name":
		return p.GetMetadata().GetName()
	case "metadata.namespace":
		return p.GetMetadata().GetNamespace()
	case "metadata.uid":
		return p.GetMetadata().GetUid()
	case "spec.nodeName":
		return p.GetSpec().GetNodeName()
	case "status.podIP":
		return p.GetStatus().GetPodIp()
	case "status.hostIP":
		return p.GetStatus().GetHostIp()
	}
	return ""
}
