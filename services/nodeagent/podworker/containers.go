package podworker

import (
	"context"
	"errors"
	"fmt"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/events"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

// defaultPath is the PATH of containers whose env sets none.
const defaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// syncContainers starts the containers that should run and are not
// running: first runs, and restarts the restart policy allows once their
// back-off has passed. It returns the waiting state of containers it did
// not start and when to look again.
func (w *worker) syncContainers(ctx context.Context, pod *gantryv1.Pod, sb *runtime.Sandbox) (map[string]*gantryv1.ContainerStateWaiting, time.Duration) {
	rt := w.m.deps.Runtime
	runs := rt.PodContainers(w.uid)
	waiting := map[string]*gantryv1.ContainerStateWaiting{}
	var next time.Duration
	later := func(d time.Duration) {
		if next == 0 || d < next {
			next = d
		}
	}
	now := w.m.cfg.Clock.Now()
	// The Service variables are read once per sync, and only when a
	// container is about to start: they are those of the Services that
	// exist then, as the kubelet gives them.
	var svcEnv []*gantryv1.EnvVar
	var svcErr error
	svcRead := false
	serviceEnv := func() ([]*gantryv1.EnvVar, error) {
		if !svcRead && w.m.deps.ServiceEnv != nil {
			svcEnv, svcErr = w.m.deps.ServiceEnv.Vars(ctx, pod)
			svcRead = true
		}
		return svcEnv, svcErr
	}
	for _, c := range pod.GetSpec().GetContainers() {
		attempt := 0
		if latest, ok := runtime.Latest(runs, c.GetName()); ok {
			policy := pod.GetSpec().GetRestartPolicy()
			_, probeKilled := w.probeKills[latest.ID]
			// A container killed for failing a probe is restarted unless
			// the policy is Never, whatever its exit code (as the kubelet).
			if latest.State == runtime.StateRunning || !(shouldRestart(policy, latest.ExitCode) || probeKilled && policy != "Never") {
				continue
			}
			b := w.backoffs[c.GetName()]
			if b == nil {
				b = &backoff{}
				w.backoffs[c.GetName()] = b
			}
			if d := b.wait(now, latest.FinishedAt); d > 0 {
				waiting[c.GetName()] = &gantryv1.ContainerStateWaiting{Reason: "CrashLoopBackOff",
					Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", b.delay, c.GetName(),
						pod.GetMetadata().GetName(), pod.GetMetadata().GetNamespace(), w.uid)}
				w.event(pod, c, events.Warning, "BackOff", "Back-off restarting failed container %s in pod %s_%s(%s)",
					c.GetName(), pod.GetMetadata().GetName(), pod.GetMetadata().GetNamespace(), w.uid)
				later(d)
				continue
			}
			b.next(now, w.m.cfg.BackoffInitial, w.m.cfg.BackoffMax)
			attempt = latest.Attempt + 1
		}
		env, err := serviceEnv()
		if err != nil {
			waiting[c.GetName()] = &gantryv1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}
			w.event(pod, c, events.Warning, "Failed", "Error: %v", err)
			later(w.m.cfg.RetryDelay)
			continue
		}
		cfg, err := containerConfig(pod, c, sb, attempt, w.m.cfg.HostIP, env)
		if err != nil {
			waiting[c.GetName()] = &gantryv1.ContainerStateWaiting{Reason: "CreateContainerConfigError", Message: err.Error()}
			w.event(pod, c, events.Warning, "Failed", "Error: %v", err)
			later(w.m.cfg.RetryDelay)
			continue
		}
		if _, err := rt.StartContainer(ctx, cfg); err != nil {
			w.log.Warn("start container", zap.String("pod", podKey(pod)), zap.String("container", c.GetName()), zap.Error(err))
			waiting[c.GetName()] = &gantryv1.ContainerStateWaiting{Reason: "CreateContainerError", Message: err.Error()}
			w.event(pod, c, events.Warning, "Failed", "Error: %v", err)
			later(w.m.cfg.RetryDelay)
			continue
		}
		// One call creates and starts a process, so both of the kubelet's
		// events at once.
		w.event(pod, c, events.Normal, "Created", "Created container %s", c.GetName())
		w.event(pod, c, events.Normal, "Started", "Started container %s", c.GetName())
	}
	return waiting, next
}

// shouldRestart applies the pod's restart policy to an exited container.
func shouldRestart(policy string, exitCode int) bool {
	switch policy {
	case "Never":
		return false
	case "OnFailure":
		return exitCode != 0
	}
	return true
}

// containerConfig resolves what a container runs: its command and args,
// or the image as a binary when there is no command.
func containerConfig(pod *gantryv1.Pod, c *gantryv1.Container, sb *runtime.Sandbox, attempt int, hostIP string,
	svcEnv []*gantryv1.EnvVar) (runtime.ContainerConfig, error) {
	argv := append(append([]string{}, c.GetCommand()...), c.GetArgs()...)
	if len(c.GetCommand()) == 0 {
		if c.GetImage() == "" {
			return runtime.ContainerConfig{}, errors.New("container has neither command nor image")
		}
		argv = append([]string{c.GetImage()}, c.GetArgs()...)
	}
	env, err := containerEnv(pod, c, podIP(sb, hostIP), hostIP, svcEnv)
	if err != nil {
		return runtime.ContainerConfig{}, err
	}
	md := pod.GetMetadata()
	return runtime.ContainerConfig{PodUID: md.GetUid(), PodNamespace: md.GetNamespace(), PodName: md.GetName(),
		Name: c.GetName(), Attempt: attempt, Image: c.GetImage(), Command: argv, Env: env,
		WorkingDir: c.GetWorkingDir(), NetNS: sb.NetNS}, nil
}

// containerEnv is PATH and HOSTNAME, the Service variables, then the
// container's own variables (which win over both); values may come from
// the pod's fields as Kubernetes' downward API allows.
func containerEnv(pod *gantryv1.Pod, c *gantryv1.Container, podIP, hostIP string, svcEnv []*gantryv1.EnvVar) ([]string, error) {
	names := []string{"PATH", "HOSTNAME"}
	vals := map[string]string{"PATH": defaultPath, "HOSTNAME": pod.GetMetadata().GetName()}
	for _, e := range svcEnv {
		if _, seen := vals[e.GetName()]; !seen {
			names = append(names, e.GetName())
		}
		vals[e.GetName()] = e.GetValue()
	}
	for _, e := range c.GetEnv() {
		v := e.GetValue()
		if src := e.GetValueFrom(); src != nil {
			var err error
			if v, err = envFrom(pod, src, podIP, hostIP); err != nil {
				return nil, fmt.Errorf("env %s: %w", e.GetName(), err)
			}
		}
		if _, seen := vals[e.GetName()]; !seen {
			names = append(names, e.GetName())
		}
		vals[e.GetName()] = v
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "=" + vals[n]
	}
	return out, nil
}

func envFrom(pod *gantryv1.Pod, src *gantryv1.EnvVarSource, podIP, hostIP string) (string, error) {
	ref := src.GetFieldRef()
	if ref == nil {
		return "", errors.New("only fieldRef sources are supported by this node agent yet")
	}
	md := pod.GetMetadata()
	switch ref.GetFieldPath() {
	case "metadata.name":
		return md.GetName(), nil
	case "metadata.namespace":
		return md.GetNamespace(), nil
	case "metadata.uid":
		return md.GetUid(), nil
	case "spec.nodeName":
		return pod.GetSpec().GetNodeName(), nil
	case "spec.serviceAccountName":
		return "default", nil
	case "status.podIP":
		return podIP, nil
	case "status.hostIP":
		return hostIP, nil
	}
	return "", fmt.Errorf("unsupported fieldRef %q", ref.GetFieldPath())
}
