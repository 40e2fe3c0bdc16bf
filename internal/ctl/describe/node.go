package describe

import (
	"sort"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/printer"
)

func (d *describer) node(n *gantryv1.Node) {
	m, spec, st := n.GetMetadata(), n.GetSpec(), n.GetStatus()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Roles:\t%s\n", orNone(strings.Join(printer.NodeRoles(n), ",")))
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.taints(spec.GetTaints())
	d.w.write(level0, "Unschedulable:\t%t\n", spec.GetUnschedulable())
	d.nodeLease(m.GetName())
	if len(st.GetConditions()) > 0 {
		d.w.write(level0, "Conditions:\n  Type\tStatus\tLastHeartbeatTime\tLastTransitionTime\tReason\tMessage\n")
		d.w.write(level1, "----\t------\t-----------------\t------------------\t------\t-------\n")
		for _, c := range st.GetConditions() {
			d.w.write(level1, "%s \t%s \t%s \t%s \t%s \t%s\n", c.GetType(), c.GetStatus(), d.stamp(c.GetLastHeartbeatTime()),
				d.stamp(c.GetLastTransitionTime()), c.GetReason(), oneLine(c.GetMessage()))
		}
	}
	d.w.write(level0, "Addresses:\n")
	for _, a := range st.GetAddresses() {
		d.w.write(level1, "%s:\t%s\n", a.GetType(), a.GetAddress())
	}
	d.resourceList("Capacity", st.GetCapacity())
	d.resourceList("Allocatable", st.GetAllocatable())
	info := st.GetNodeInfo()
	d.w.write(level0, "System Info:\n")
	d.w.write(level1, "Machine ID:\t%s\n", info.GetMachineId())
	d.w.write(level1, "Boot ID:\t%s\n", info.GetBootId())
	d.w.write(level1, "Kernel Version:\t%s\n", info.GetKernelVersion())
	d.w.write(level1, "OS Image:\t%s\n", info.GetOsImage())
	d.w.write(level1, "Operating System:\t%s\n", info.GetOperatingSystem())
	d.w.write(level1, "Architecture:\t%s\n", info.GetArchitecture())
	d.w.write(level1, "Container Runtime Version:\t%s\n", info.GetContainerRuntimeVersion())
	d.w.write(level1, "Node Agent Version:\t%s\n", info.GetKubeletVersion())
	if spec.GetPodCidr() != "" {
		d.w.write(level0, "PodCIDR:\t%s\n", spec.GetPodCidr())
	}
	if len(spec.GetPodCidrs()) > 0 {
		d.w.write(level0, "PodCIDRs:\t%s\n", strings.Join(spec.GetPodCidrs(), ","))
	}
	if spec.GetProviderId() != "" {
		d.w.write(level0, "ProviderID:\t%s\n", spec.GetProviderId())
	}
	d.nodePods(n)
}

// taints prints "key=value:Effect" lines sorted by effect then key, as
// kubectl does.
func (d *describer) taints(ts []*gantryv1.Taint) {
	d.w.write(level0, "Taints:\t")
	if len(ts) == 0 {
		d.w.write(level0, "<none>\n")
		return
	}
	lines := make([]string, len(ts))
	keys := make([]string, len(ts))
	for i, t := range ts {
		lines[i] = t.GetKey()
		if t.GetValue() != "" {
			lines[i] += "=" + t.GetValue()
		}
		lines[i] += ":" + t.GetEffect()
		keys[i] = t.GetEffect() + "," + t.GetKey()
	}
	idx := make([]int, len(ts))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return keys[idx[a]] < keys[idx[b]] })
	for i, j := range idx {
		if i > 0 {
			d.w.write(level0, "\t")
		}
		d.w.write(level0, "%s\n", lines[j])
	}
}

// nodeLease prints the node's Lease (from Owned), as kubectl does.
func (d *describer) nodeLease(name string) {
	var lease *gantryv1.Lease
	for _, o := range d.owned(apimeta.KindLease) {
		if o.GetLease().GetMetadata().GetName() == name {
			lease = o.GetLease()
		}
	}
	d.w.write(level0, "Lease:\n")
	d.w.write(level1, "HolderIdentity:\t%s\n", orUnset(lease.GetSpec().GetHolderIdentity()))
	d.w.write(level1, "AcquireTime:\t%s\n", d.stamp(lease.GetSpec().GetAcquireTime()))
	d.w.write(level1, "RenewTime:\t%s\n", d.stamp(lease.GetSpec().GetRenewTime()))
}

func (d *describer) resourceList(title string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	d.w.write(level0, "%s:\n", title)
	for _, k := range sortedKeys(m) {
		d.w.write(level1, "%s:\t%s\n", k, m[k])
	}
}
