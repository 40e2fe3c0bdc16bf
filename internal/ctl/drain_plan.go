package ctl

import (
	"errors"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// kubectl's words for the pods drain treats specially.
const (
	unmanagedFatal   = "cannot delete Pods that declare no controller (use --force to override)"
	unmanagedWarning = "deleting Pods that declare no controller"
	daemonSetFatal   = "cannot delete DaemonSet-managed Pods (use --ignore-daemonsets to ignore)"
	daemonSetWarning = "ignoring DaemonSet-managed Pods"
)

// podGroups are pods ("ns/name") under the message that is about them,
// messages in the order they first came up.
type podGroups struct {
	order []string
	pods  map[string][]string
}

func (g *podGroups) add(msg string, pod *gantryv1.Pod) {
	if g.pods == nil {
		g.pods = map[string][]string{}
	}
	if _, ok := g.pods[msg]; !ok {
		g.order = append(g.order, msg)
	}
	g.pods[msg] = append(g.pods[msg], podKey(pod))
}

// lines are "message: ns/a, ns/b", one per message.
func (g *podGroups) lines() []string {
	out := make([]string, 0, len(g.order))
	for _, msg := range g.order {
		out = append(out, msg+": "+strings.Join(g.pods[msg], ", "))
	}
	return out
}

// drainPlan is what drain does with each pod of the node.
type drainPlan struct {
	evict       []*gantryv1.Pod
	fatal, warn podGroups
}

// planDrain applies kubectl's filters: finished pods always go; DaemonSet
// pods stay with --ignore-daemonsets and stop the drain without it; pods
// no controller owns go with --force and stop the drain without it.
func planDrain(pods []*gantryv1.Pod, o *drainOptions) *drainPlan {
	p := &drainPlan{}
	for _, pod := range pods {
		ref := controllerOf(pod.GetMetadata())
		switch {
		case podFinished(pod):
			p.evict = append(p.evict, pod)
		case ref != nil && ref.GetKind() == "DaemonSet" && o.ignoreDaemonSets:
			p.warn.add(daemonSetWarning, pod)
		case ref != nil && ref.GetKind() == "DaemonSet":
			p.fatal.add(daemonSetFatal, pod)
		case ref == nil && o.force:
			p.warn.add(unmanagedWarning, pod)
			p.evict = append(p.evict, pod)
		case ref == nil:
			p.fatal.add(unmanagedFatal, pod)
		default:
			p.evict = append(p.evict, pod)
		}
	}
	return p
}

// err is every reason to stop, or nil.
func (p *drainPlan) err() error {
	if lines := p.fatal.lines(); len(lines) > 0 {
		return errors.New(strings.Join(lines, "; "))
	}
	return nil
}

// controllerOf returns the owner reference with controller: true, or nil.
func controllerOf(m *gantryv1.ObjectMeta) *gantryv1.OwnerReference {
	for _, r := range m.GetOwnerReferences() {
		if r.GetController() {
			return r
		}
	}
	return nil
}

func podFinished(p *gantryv1.Pod) bool {
	ph := p.GetStatus().GetPhase()
	return ph == "Succeeded" || ph == "Failed"
}
