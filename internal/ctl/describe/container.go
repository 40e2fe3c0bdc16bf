package describe

import (
	"fmt"
	"net"
	"net/url"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// containers is kubectl's describeContainers. space is "  " inside a pod
// template, where names get one more space of indent.
func (d *describer) containers(label string, cs []*gantryv1.Container, statuses []*gantryv1.ContainerStatus, space string) {
	byName := map[string]*gantryv1.ContainerStatus{}
	for _, s := range statuses {
		byName[s.GetName()] = s
	}
	none := ""
	if len(cs) == 0 {
		none = " <none>"
	}
	d.w.write(level0, "%s%s:%s\n", space, label, none)
	for _, c := range cs {
		st, ok := byName[c.GetName()]
		nameIndent := ""
		if space != "" {
			nameIndent = " "
		}
		d.w.write(level1, "%s%s:\n", nameIndent, c.GetName())
		if ok {
			d.w.write(level2, "Container ID:\t%s\n", st.GetContainerId())
		}
		d.w.write(level2, "Image:\t%s\n", c.GetImage())
		if ok {
			d.w.write(level2, "Image ID:\t%s\n", st.GetImageId())
		}
		d.ports(c.GetPorts())
		d.command("Command", c.GetCommand())
		d.command("Args", c.GetArgs())
		if c.GetWorkingDir() != "" {
			d.w.write(level2, "Working Dir:\t%s\n", c.GetWorkingDir())
		}
		if ok {
			d.state("State", st.GetState())
			if st.GetLastState().GetTerminated() != nil {
				d.state("Last State", st.GetLastState())
			}
			d.w.write(level2, "Ready:\t%s\n", boolWord(st.GetReady()))
			d.w.write(level2, "Restart Count:\t%d\n", st.GetRestartCount())
		}
		d.resources("Limits", c.GetResources().GetLimits())
		d.resources("Requests", c.GetResources().GetRequests())
		d.probe("Liveness", c.GetLivenessProbe())
		d.probe("Readiness", c.GetReadinessProbe())
		d.probe("Startup", c.GetStartupProbe())
		d.env(c.GetEnv())
	}
}

func (d *describer) ports(ps []*gantryv1.ContainerPort) {
	var ports, hostPorts []string
	for _, p := range ps {
		proto := p.GetProtocol()
		if proto == "" {
			proto = "TCP"
		}
		s := fmt.Sprintf("%d/%s", p.GetContainerPort(), proto)
		if p.GetName() != "" {
			s += " (" + p.GetName() + ")"
		}
		ports = append(ports, s)
		hostPorts = append(hostPorts, fmt.Sprintf("%d/%s", p.GetHostPort(), proto))
	}
	if len(ports) > 1 {
		d.w.write(level2, "Ports:\t%s\n", strings.Join(ports, ", "))
		d.w.write(level2, "Host Ports:\t%s\n", strings.Join(hostPorts, ", "))
		return
	}
	d.w.write(level2, "Port:\t%s\n", orNone(strings.Join(ports, "")))
	d.w.write(level2, "Host Port:\t%s\n", orNone(strings.Join(hostPorts, "")))
}

func (d *describer) command(title string, args []string) {
	if len(args) == 0 {
		return
	}
	d.w.write(level2, "%s:\n", title)
	for _, a := range args {
		for _, s := range strings.Split(a, "\n") {
			d.w.write(level3, "%s\n", s)
		}
	}
}

// state is kubectl's describeStatus.
func (d *describer) state(title string, s *gantryv1.ContainerState) {
	switch {
	case s.GetRunning() != nil:
		d.w.write(level2, "%s:\tRunning\n", title)
		d.w.write(level3, "Started:\t%s\n", d.stamp(s.GetRunning().GetStartedAt()))
	case s.GetTerminated() != nil:
		t := s.GetTerminated()
		d.w.write(level2, "%s:\tTerminated\n", title)
		if t.GetReason() != "" {
			d.w.write(level3, "Reason:\t%s\n", t.GetReason())
		}
		if t.GetMessage() != "" {
			d.w.write(level3, "Message:\t%s\n", oneLine(t.GetMessage()))
		}
		d.w.write(level3, "Exit Code:\t%d\n", t.GetExitCode())
		if t.GetSignal() > 0 {
			d.w.write(level3, "Signal:\t%d\n", t.GetSignal())
		}
		d.w.write(level3, "Started:\t%s\n", d.stamp(t.GetStartedAt()))
		d.w.write(level3, "Finished:\t%s\n", d.stamp(t.GetFinishedAt()))
	default:
		d.w.write(level2, "%s:\tWaiting\n", title)
		if r := s.GetWaiting().GetReason(); r != "" {
			d.w.write(level3, "Reason:\t%s\n", r)
		}
		if m := s.GetWaiting().GetMessage(); m != "" {
			d.w.write(level3, "Message:\t%s\n", oneLine(m))
		}
	}
}

// oneLine keeps a free-form message on its line of the layout.
func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }

// resources lists quantities sorted by name (kubectl puts cpu, memory
// first; they sort first among the common names anyway).
func (d *describer) resources(title string, m map[string]string) {
	if len(m) == 0 {
		return
	}
	d.w.write(level2, "%s:\n", title)
	for _, k := range sortedKeys(m) {
		d.w.write(level3, "%s:\t%s\n", k, m[k])
	}
}

// probe is kubectl's DescribeProbe.
func (d *describer) probe(title string, p *gantryv1.Probe) {
	if p == nil {
		return
	}
	attrs := fmt.Sprintf("delay=%ds timeout=%ds period=%ds #success=%d #failure=%d", p.GetInitialDelaySeconds(),
		p.GetTimeoutSeconds(), p.GetPeriodSeconds(), p.GetSuccessThreshold(), p.GetFailureThreshold())
	var how string
	switch {
	case p.GetExec() != nil:
		how = fmt.Sprintf("exec %v", p.GetExec().GetCommand())
	case p.GetHttpGet() != nil:
		g := p.GetHttpGet()
		u := &url.URL{Scheme: strings.ToLower(orDefault(g.GetScheme(), "HTTP")), Host: g.GetHost(), Path: g.GetPath()}
		if g.GetPort() != "" {
			u.Host = net.JoinHostPort(g.GetHost(), g.GetPort())
		}
		how = "http-get " + u.String()
	case p.GetTcpSocket() != nil:
		how = fmt.Sprintf("tcp-socket %s:%s", p.GetTcpSocket().GetHost(), p.GetTcpSocket().GetPort())
	default:
		how = "unknown"
	}
	d.w.write(level2, "%s:\t%s %s\n", title, how, attrs)
}

// env is kubectl's describeContainerEnvVars; field references show the
// pod's value when describing a pod (d.field), as kubectl's do.
func (d *describer) env(vars []*gantryv1.EnvVar) {
	if len(vars) == 0 {
		d.w.write(level2, "Environment:\t<none>\n")
		return
	}
	d.w.write(level2, "Environment:\n")
	for _, e := range vars {
		vf := e.GetValueFrom()
		switch {
		case vf.GetFieldRef() != nil:
			val := ""
			if d.field != nil {
				val = d.field(vf.GetFieldRef().GetFieldPath())
			}
			d.w.write(level3, "%s:\t%s (%s:%s)\n", e.GetName(), val, vf.GetFieldRef().GetApiVersion(), vf.GetFieldRef().GetFieldPath())
		case vf.GetSecretKeyRef() != nil:
			r := vf.GetSecretKeyRef()
			d.w.write(level3, "%s:\t<set to the key '%s' in secret '%s'>\tOptional: %t\n", e.GetName(), r.GetKey(), r.GetName(), r.GetOptional())
		case vf.GetConfigMapKeyRef() != nil:
			r := vf.GetConfigMapKeyRef()
			d.w.write(level3, "%s:\t<set to the key '%s' of config map '%s'>\tOptional: %t\n", e.GetName(), r.GetKey(), r.GetName(), r.GetOptional())
		default:
			for i, s := range strings.Split(e.GetValue(), "\n") {
				if i == 0 {
					d.w.write(level3, "%s:\t%s\n", e.GetName(), s)
				} else {
					d.w.write(level3, "\t%s\n", s)
				}
			}
		}
	}
}
