package simulated

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// Runtime is the simulated runtime. It is safe for concurrent use.
type Runtime struct {
	now    func() time.Time
	seq    atomic.Uint64
	mu     sync.Mutex
	pods   map[string]map[string]*runtime.ContainerStatus // uid -> id -> run
	onExit func(uid string)
}

var _ runtime.Runtime = (*Runtime)(nil)

// New returns an empty simulated runtime; now may be nil (time.Now).
func New(now func() time.Time) *Runtime {
	if now == nil {
		now = time.Now
	}
	return &Runtime{now: now, pods: map[string]map[string]*runtime.ContainerStatus{}}
}

// Name returns "simulated".
func (r *Runtime) Name() string { return "simulated" }

// SetExitHandler registers the exit callback.
func (r *Runtime) SetExitHandler(fn func(uid string)) {
	r.mu.Lock()
	r.onExit = fn
	r.mu.Unlock()
}

// RunSandbox records the pod; simulated pods have no address of their own.
func (r *Runtime) RunSandbox(_ context.Context, cfg runtime.SandboxConfig) (*runtime.Sandbox, error) {
	r.mu.Lock()
	if r.pods[cfg.UID] == nil {
		r.pods[cfg.UID] = map[string]*runtime.ContainerStatus{}
	}
	r.mu.Unlock()
	return &runtime.Sandbox{UID: cfg.UID}, nil
}

// StopSandbox does nothing.
func (r *Runtime) StopSandbox(context.Context, string) error { return nil }

// StartContainer marks the container running.
func (r *Runtime) StartContainer(_ context.Context, cc runtime.ContainerConfig) (*runtime.ContainerStatus, error) {
	st := &runtime.ContainerStatus{ID: "sim-" + strconv.FormatUint(r.seq.Add(1), 36), PodUID: cc.PodUID, Name: cc.Name,
		Attempt: cc.Attempt, Image: cc.Image, State: runtime.StateRunning, StartedAt: r.now()}
	r.mu.Lock()
	defer r.mu.Unlock()
	runs := r.pods[cc.PodUID]
	if runs == nil {
		runs = map[string]*runtime.ContainerStatus{}
		r.pods[cc.PodUID] = runs
	}
	for id, old := range runs {
		if old.Name == cc.Name && old.Attempt < cc.Attempt-1 {
			delete(runs, id)
		}
	}
	runs[st.ID] = st
	out := *st
	return &out, nil
}

// StopContainer marks the container exited as if SIGTERM ended it cleanly.
func (r *Runtime) StopContainer(_ context.Context, id string, _ time.Duration) error {
	r.mu.Lock()
	var uid string
	for u, runs := range r.pods {
		if st, ok := runs[id]; ok {
			if st.State == runtime.StateRunning {
				st.State, st.FinishedAt, st.Reason = runtime.StateExited, r.now(), "Completed"
				uid = u
			}
			break
		}
	}
	fn := r.onExit
	r.mu.Unlock()
	if uid != "" && fn != nil {
		fn(uid)
	}
	return nil
}

// Exit ends a running container with code, as if its process exited; for
// tests and fault injection.
func (r *Runtime) Exit(uid, name string, code int) error {
	r.mu.Lock()
	var hit *runtime.ContainerStatus
	for _, st := range r.pods[uid] {
		if st.Name == name && st.State == runtime.StateRunning {
			hit = st
		}
	}
	if hit == nil {
		r.mu.Unlock()
		return fmt.Errorf("%w: running container %q of pod %s", runtime.ErrNotFound, name, uid)
	}
	hit.State, hit.FinishedAt, hit.ExitCode, hit.Reason = runtime.StateExited, r.now(), code, "Completed"
	if code != 0 {
		hit.Reason = "Error"
	}
	fn := r.onExit
	r.mu.Unlock()
	if fn != nil {
		fn(uid)
	}
	return nil
}

// PodContainers returns the runs of a pod.
func (r *Runtime) PodContainers(uid string) []runtime.ContainerStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]runtime.ContainerStatus, 0, len(r.pods[uid]))
	for _, st := range r.pods[uid] {
		out = append(out, *st)
	}
	return out
}

// Pods lists the pods the runtime knows.
func (r *Runtime) Pods() []string {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]string, 0, len(r.pods))
	for uid := range r.pods {
		out = append(out, uid)
	}
	return out
}

// RemovePod forgets a pod.
func (r *Runtime) RemovePod(_ context.Context, uid string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.pods[uid] {
		if st.State == runtime.StateRunning {
			return fmt.Errorf("pod %s: container %s still runs", uid, st.Name)
		}
	}
	delete(r.pods, uid)
	return nil
}

// Logs writes nothing: simulated containers print nothing.
func (r *Runtime) Logs(_ context.Context, opts runtime.LogOptions, _ io.Writer) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, st := range r.pods[opts.PodUID] {
		if st.Name == opts.Container {
			return nil
		}
	}
	return fmt.Errorf("%w: container %q of pod %s", runtime.ErrNotFound, opts.Container, opts.PodUID)
}

// Exec fails: a simulated container is no process to run anything in.
func (r *Runtime) Exec(context.Context, runtime.ExecOptions) (int, error) {
	return 0, fmt.Errorf("%w: simulated node runs nothing", runtime.ErrUnsupported)
}
