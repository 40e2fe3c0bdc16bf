package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// errConfig marks probes that cannot run as written (an unknown port
// name, a host that is not the pod's): like the kubelet, their results are
// unknown and count neither way, so a typo never kills a container.
var errConfig = errors.New("prober: probe cannot run")

// check runs one probe of a container once, bounded by timeout.
func (m *Manager) check(ctx context.Context, spec *gantryv1.Probe, c *gantryv1.Container, pod Pod, timeout time.Duration) (result, string) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	res, msg, err := m.dispatch(ctx, spec, c, pod, timeout)
	if err != nil {
		return unknown, err.Error()
	}
	return res, msg
}

func (m *Manager) dispatch(ctx context.Context, spec *gantryv1.Probe, c *gantryv1.Container, pod Pod, timeout time.Duration) (result, string, error) {
	switch {
	case spec.GetExec() != nil:
		return checkExec(ctx, m.exec, pod.UID, c.GetName(), spec.GetExec().GetCommand(), timeout)
	case spec.GetHttpGet() != nil:
		h := spec.GetHttpGet()
		addr, err := address(pod, c, h.GetHost(), h.GetPort())
		if err != nil {
			return unknown, "", err
		}
		return checkHTTP(ctx, m.httpClient(), m.cfg.UserAgent, h, addr, timeout)
	case spec.GetTcpSocket() != nil:
		t := spec.GetTcpSocket()
		addr, err := address(pod, c, t.GetHost(), t.GetPort())
		if err != nil {
			return unknown, "", err
		}
		return checkTCP(ctx, addr, timeout)
	case spec.GetGrpc() != nil:
		host, err := podHost(pod, "")
		if err != nil {
			return unknown, "", err
		}
		return checkGRPC(ctx, spec.GetGrpc(), host, timeout)
	}
	return unknown, "", fmt.Errorf("%w: no handler", errConfig)
}

// address is host:port of a network probe: see podHost, and a port number
// or the name of one of the container's ports.
func address(pod Pod, c *gantryv1.Container, host, port string) (string, error) {
	h, err := podHost(pod, host)
	if err != nil {
		return "", err
	}
	n, err := resolvePort(port, c)
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(h, strconv.Itoa(n)), nil
}

// podHost is where a network probe goes: the pod's IP (a probe's host may
// only name it again), except that a pod sharing the host network may be probed on any
// loopback address. Nothing else is reached: a probe is no way to make the
// node agent call arbitrary hosts.
func podHost(pod Pod, host string) (string, error) {
	if pod.IP == "" {
		return "", fmt.Errorf("%w: the pod has no IP yet", errConfig)
	}
	switch ip := net.ParseIP(host); {
	case host == "" || host == pod.IP:
		return pod.IP, nil
	case pod.HostNetwork && ip != nil && ip.IsLoopback():
		return host, nil
	}
	return "", fmt.Errorf("%w: host %q: probes reach only the pod's own address %s", errConfig, host, pod.IP)
}

// resolvePort returns a port number, or the number of the container port
// with that name.
func resolvePort(port string, c *gantryv1.Container) (int, error) {
	if n, err := strconv.Atoi(port); err == nil {
		if n < 1 || n > 65535 {
			return 0, fmt.Errorf("%w: port %d out of range", errConfig, n)
		}
		return n, nil
	}
	for _, p := range c.GetPorts() {
		if p.GetName() == port && port != "" {
			return int(p.GetContainerPort()), nil
		}
	}
	return 0, fmt.Errorf("%w: container %s has no port named %q", errConfig, c.GetName(), port)
}
