package ctl

import (
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// writePodTemplate prints a pod template the way kubectl describe does
// inside "rollout history --revision": labels, annotations, then each
// container. Fields left at their zero value are left out, except the
// ones kubectl always shows ("<none>").
func writePodTemplate(out io.Writer, t *gantryv1.PodTemplateSpec) error {
	w := tabwriter.NewWriter(out, 0, 8, 2, ' ', 0)
	fmt.Fprintln(w, "Pod Template:")
	writeMap(w, "  Labels:", t.GetMetadata().GetLabels(), "=")
	writeMap(w, "  Annotations:", t.GetMetadata().GetAnnotations(), ": ")
	fmt.Fprintln(w, "  Containers:")
	for _, c := range t.GetSpec().GetContainers() {
		writeContainer(w, c)
	}
	spec := t.GetSpec()
	writeMap(w, "  Node-Selectors:", spec.GetNodeSelector(), "=")
	if len(spec.GetTolerations()) == 0 {
		fmt.Fprintln(w, "  Tolerations:\t<none>")
	}
	for i, tol := range spec.GetTolerations() {
		label := "  Tolerations:"
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%s\t%s\n", label, tolerationString(tol))
	}
	return w.Flush()
}

// writeMap prints sorted key/value pairs, the first beside label and the
// others below it, or <none>.
func writeMap(w io.Writer, label string, m map[string]string, sep string) {
	if len(m) == 0 {
		fmt.Fprintf(w, "%s\t<none>\n", label)
		return
	}
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			label = ""
		}
		fmt.Fprintf(w, "%s\t%s%s%s\n", label, k, sep, m[k])
	}
}

func writeContainer(w io.Writer, c *gantryv1.Container) {
	fmt.Fprintf(w, "   %s:\n", c.GetName())
	fmt.Fprintf(w, "    Image:\t%s\n", c.GetImage())
	if len(c.GetPorts()) == 0 {
		fmt.Fprintln(w, "    Port:\t<none>")
	}
	for _, p := range c.GetPorts() {
		proto := p.GetProtocol()
		if proto == "" {
			proto = "TCP"
		}
		fmt.Fprintf(w, "    Port:\t%d/%s\n", p.GetContainerPort(), proto)
		if p.GetHostPort() != 0 {
			fmt.Fprintf(w, "    Host Port:\t%d/%s\n", p.GetHostPort(), proto)
		}
	}
	writeList(w, "    Command:", c.GetCommand())
	writeList(w, "    Args:", c.GetArgs())
	if c.GetWorkingDir() != "" {
		fmt.Fprintf(w, "    Working Dir:\t%s\n", c.GetWorkingDir())
	}
	writeResources(w, "    Limits:", c.GetResources().GetLimits())
	writeResources(w, "    Requests:", c.GetResources().GetRequests())
	for _, pr := range []struct {
		name  string
		probe *gantryv1.Probe
	}{{"Liveness", c.GetLivenessProbe()}, {"Readiness", c.GetReadinessProbe()}, {"Startup", c.GetStartupProbe()}} {
		if pr.probe != nil {
			fmt.Fprintf(w, "    %s:\t%s\n", pr.name, probeString(pr.probe))
		}
	}
	if len(c.GetEnv()) == 0 {
		fmt.Fprintln(w, "    Environment:\t<none>")
		return
	}
	fmt.Fprintln(w, "    Environment:")
	for _, env := range c.GetEnv() {
		fmt.Fprintf(w, "      %s:\t%s\n", env.GetName(), envValue(env))
	}
}

func writeList(w io.Writer, label string, items []string) {
	if len(items) == 0 {
		return
	}
	fmt.Fprintln(w, label)
	for _, s := range items {
		fmt.Fprintf(w, "      %s\n", s)
	}
}

func writeResources(w io.Writer, label string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	fmt.Fprintln(w, label)
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(w, "      %s:\t%s\n", k, m[k])
	}
}

func envValue(e *gantryv1.EnvVar) string {
	from := e.GetValueFrom()
	switch {
	case from.GetFieldRef() != nil:
		return fmt.Sprintf(" (%s:%s)", from.GetFieldRef().GetApiVersion(), from.GetFieldRef().GetFieldPath())
	case from.GetConfigMapKeyRef() != nil:
		r := from.GetConfigMapKeyRef()
		return fmt.Sprintf("<set to the key '%s' of config map '%s'>", r.GetKey(), r.GetName())
	case from.GetSecretKeyRef() != nil:
		r := from.GetSecretKeyRef()
		return fmt.Sprintf("<set to the key '%s' in secret '%s'>", r.GetKey(), r.GetName())
	}
	return e.GetValue()
}

// probeString is kubectl describe's one-line probe summary.
func probeString(p *gantryv1.Probe) string {
	var action string
	switch {
	case p.GetExec() != nil:
		action = fmt.Sprintf("exec %v", p.GetExec().GetCommand())
	case p.GetHttpGet() != nil:
		h := p.GetHttpGet()
		scheme := strings.ToLower(h.GetScheme())
		if scheme == "" {
			scheme = "http"
		}
		action = fmt.Sprintf("http-get %s://%s:%s%s", scheme, h.GetHost(), h.GetPort(), h.GetPath())
	case p.GetTcpSocket() != nil:
		action = fmt.Sprintf("tcp-socket %s:%s", p.GetTcpSocket().GetHost(), p.GetTcpSocket().GetPort())
	default:
		action = "unknown"
	}
	return fmt.Sprintf("%s delay=%ds timeout=%ds period=%ds #success=%d #failure=%d", action,
		p.GetInitialDelaySeconds(), p.GetTimeoutSeconds(), p.GetPeriodSeconds(), p.GetSuccessThreshold(), p.GetFailureThreshold())
}

// tolerationString is kubectl describe's "key=value:effect op=Exists for Ns".
func tolerationString(t *gantryv1.Toleration) string {
	s := t.GetKey()
	if t.GetValue() != "" {
		s += "=" + t.GetValue()
	}
	if t.GetEffect() != "" {
		s += ":" + t.GetEffect()
	}
	if t.GetOperator() == "Exists" {
		s += " op=Exists"
	}
	if t.TolerationSeconds != nil {
		s += fmt.Sprintf(" for %ds", t.GetTolerationSeconds())
	}
	return s
}
