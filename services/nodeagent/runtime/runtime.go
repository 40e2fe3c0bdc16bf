package runtime

import (
	"context"
	"errors"
	"io"
	"time"
)

// Errors of runtimes.
var (
	// ErrNotFound is returned for a pod or container the runtime does not know.
	ErrNotFound = errors.New("runtime: not found")
	// ErrStart is wrapped by StartContainer when the process could not be started.
	ErrStart = errors.New("runtime: start failed")
)

// State is a container's lifecycle state.
type State string

// Container states.
const (
	StateRunning State = "running"
	StateExited  State = "exited"
)

// SandboxConfig describes a pod's sandbox.
type SandboxConfig struct {
	UID, Namespace, Name string
	// HostNetwork keeps the pod in the host's network namespace.
	HostNetwork bool
	// DNS, when set, is the pod's resolver configuration: its containers
	// see it as /etc/resolv.conf. Nil: they see the host's.
	DNS *DNSConfig
}

// DNSConfig is a pod's resolv.conf (CRI's DNSConfig).
type DNSConfig struct {
	// Servers are nameserver addresses; Searches the search domains;
	// Options resolver options such as "ndots:5".
	Servers, Searches, Options []string
}

// Sandbox is a pod's network identity.
type Sandbox struct {
	UID string
	// IP is the pod's own address; empty for host-network pods.
	IP string
	// NetNS is the path of the pod's network namespace; empty for the host's.
	NetNS string
	// ResolvConf is the path of the pod's resolv.conf; empty for the host's.
	ResolvConf string
}

// ContainerConfig describes one run (attempt) of a container.
type ContainerConfig struct {
	PodUID, PodNamespace, PodName string
	Name                          string
	// Attempt is 0 for the first run and grows by one per restart.
	Attempt int
	Image   string
	// Command is the resolved argv: the container's command and args, or
	// the image as a binary path.
	Command    []string
	Env        []string
	WorkingDir string
	// NetNS, when set, is the network namespace the process joins.
	NetNS string
	// ResolvConf, when set, is the file the process sees as
	// /etc/resolv.conf. The process runtime sets it from the pod's sandbox.
	ResolvConf string
}

// ContainerStatus is one run of a container as the runtime knows it.
type ContainerStatus struct {
	ID      string
	PodUID  string
	Name    string
	Attempt int
	Image   string
	State   State
	// Pid is the container's main process (0 when not a process).
	Pid        int
	StartedAt  time.Time
	FinishedAt time.Time
	ExitCode   int
	Signal     int
	// Reason says why a container exited when it was not a plain exit:
	// StartError, Error, Completed, ContainerStatusUnknown.
	Reason  string
	Message string
}

// LogOptions select a part of a container's log.
type LogOptions struct {
	PodUID    string
	Container string
	Follow    bool
	// TailLines < 0 means the whole log.
	TailLines int64
	// LimitBytes <= 0 means no limit.
	LimitBytes int64
	Previous   bool
}

// Runtime runs the containers of pods. Implementations are safe for
// concurrent use; calls for one pod are serialised by its pod worker.
type Runtime interface {
	// Name is the runtime's name ("process", "simulated").
	Name() string
	// RunSandbox creates the pod's sandbox, or returns the existing one.
	RunSandbox(ctx context.Context, cfg SandboxConfig) (*Sandbox, error)
	// StopSandbox tears the pod's sandbox down; missing sandboxes are fine.
	StopSandbox(ctx context.Context, uid string) error
	// StartContainer starts one run of a container.
	StartContainer(ctx context.Context, cfg ContainerConfig) (*ContainerStatus, error)
	// StopContainer stops a running container: SIGTERM, then after grace
	// SIGKILL. It returns once the container has exited.
	StopContainer(ctx context.Context, id string, grace time.Duration) error
	// PodContainers returns the latest run of every container of a pod
	// and, for containers that ran more than once, the run before it.
	PodContainers(uid string) []ContainerStatus
	// Pods lists the uids of every pod the runtime holds anything for.
	Pods() []string
	// RemovePod forgets a pod whose containers have stopped: state, logs.
	RemovePod(ctx context.Context, uid string) error
	// Logs copies a container's log to w.
	Logs(ctx context.Context, opts LogOptions, w io.Writer) error
	// SetExitHandler registers fn, called (from any goroutine) when a
	// container of pod uid exits.
	SetExitHandler(fn func(uid string))
	// Exec runs a command in a running container and returns its exit
	// code once it has exited and its output has been written. See
	// ExecOptions for the streams, ExecStartError for a command that could
	// not be started.
	Exec(ctx context.Context, opts ExecOptions) (exitCode int, err error)
}

// Latest returns the newest run of the named container among cs.
func Latest(cs []ContainerStatus, name string) (ContainerStatus, bool) {
	var best ContainerStatus
	found := false
	for _, c := range cs {
		if c.Name == name && (!found || c.Attempt > best.Attempt) {
			best, found = c, true
		}
	}
	return best, found
}

// Previous returns the run before the newest of the named container.
func Previous(cs []ContainerStatus, name string) (ContainerStatus, bool) {
	latest, ok := Latest(cs, name)
	if !ok {
		return ContainerStatus{}, false
	}
	var best ContainerStatus
	found := false
	for _, c := range cs {
		if c.Name == name && c.Attempt < latest.Attempt && (!found || c.Attempt > best.Attempt) {
			best, found = c, true
		}
	}
	return best, found
}
