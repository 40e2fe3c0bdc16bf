package describe

import (
	"fmt"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/printer"
	"k8s.io/apimachinery/pkg/api/resource"
)

// podResources are a pod's cpu and memory requests and limits. A
// container's missing request counts as its limit, as the scheduler
// counts it (Kubernetes defaults it so).
type podResources struct {
	cpuReq, cpuLim, memReq, memLim resource.Quantity
}

func resourcesOf(p *gantryv1.Pod) podResources {
	var r podResources
	for _, c := range p.GetSpec().GetContainers() {
		req, lim := c.GetResources().GetRequests(), c.GetResources().GetLimits()
		addQuantity(&r.cpuReq, firstNonEmpty(req["cpu"], lim["cpu"]))
		addQuantity(&r.memReq, firstNonEmpty(req["memory"], lim["memory"]))
		addQuantity(&r.cpuLim, lim["cpu"])
		addQuantity(&r.memLim, lim["memory"])
	}
	return r
}

// addQuantity adds s to q; the apiserver validated quantities, so one
// that does not parse is left out rather than failing the describe.
func addQuantity(q *resource.Quantity, s string) {
	if s == "" {
		return
	}
	if v, err := resource.ParseQuantity(s); err == nil {
		q.Add(v)
	}
}

func (r *podResources) add(o podResources) {
	r.cpuReq.Add(o.cpuReq)
	r.cpuLim.Add(o.cpuLim)
	r.memReq.Add(o.memReq)
	r.memLim.Add(o.memLim)
}

// nodePods prints kubectl's "Non-terminated Pods" and "Allocated
// resources" from the pods the caller passed in Owned.
func (d *describer) nodePods(n *gantryv1.Node) {
	var pods []*gantryv1.Pod
	for _, o := range d.owned(apimeta.KindPod) {
		p := o.GetPod()
		if p.GetSpec().GetNodeName() != n.GetMetadata().GetName() {
			continue
		}
		if ph := p.GetStatus().GetPhase(); ph == "Succeeded" || ph == "Failed" {
			continue
		}
		pods = append(pods, p)
	}
	alloc := n.GetStatus().GetAllocatable()
	if len(alloc) == 0 {
		alloc = n.GetStatus().GetCapacity()
	}
	var cpu, mem resource.Quantity
	addQuantity(&cpu, alloc["cpu"])
	addQuantity(&mem, alloc["memory"])
	pct := func(q resource.Quantity, of resource.Quantity, milli bool) string {
		frac := int64(0)
		if milli && of.MilliValue() != 0 {
			frac = q.MilliValue() * 100 / of.MilliValue()
		} else if !milli && of.Value() != 0 {
			frac = q.Value() * 100 / of.Value()
		}
		return fmt.Sprintf("%s (%d%%)", q.String(), frac)
	}
	d.w.write(level0, "Non-terminated Pods:\t(%d in total)\n", len(pods))
	var total podResources
	if len(pods) > 0 {
		d.w.write(level1, "Namespace\tName\tCPU Requests\tCPU Limits\tMemory Requests\tMemory Limits\tAge\n")
		d.w.write(level1, "---------\t----\t------------\t----------\t---------------\t-------------\t---\n")
		for _, p := range pods {
			r := resourcesOf(p)
			total.add(r)
			d.w.write(level1, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", p.GetMetadata().GetNamespace(), p.GetMetadata().GetName(),
				pct(r.cpuReq, cpu, true), pct(r.cpuLim, cpu, true), pct(r.memReq, mem, false), pct(r.memLim, mem, false),
				printer.Since(p.GetMetadata().GetCreationTimestamp(), d.now))
		}
	}
	d.w.write(level0, "Allocated resources:\n  (Total limits may be over 100 percent, i.e., overcommitted.)\n")
	d.w.write(level1, "Resource\tRequests\tLimits\n")
	d.w.write(level1, "--------\t--------\t------\n")
	d.w.write(level1, "cpu\t%s\t%s\n", pct(total.cpuReq, cpu, true), pct(total.cpuLim, cpu, true))
	d.w.write(level1, "memory\t%s\t%s\n", pct(total.memReq, mem, false), pct(total.memLim, mem, false))
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
