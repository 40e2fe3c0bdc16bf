package process

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap"
)

// container is one run of a container.
type container struct {
	cfg   runConfig
	dir   string
	state runState
	exit  *runExit // nil while running
	done  chan struct{}
}

// Runtime runs containers as supervised host process groups.
type Runtime struct {
	cfg Config
	log *zap.Logger

	mu         sync.Mutex
	pods       map[string]*podRecord
	containers map[string]*container
	onExit     func(uid string)
}

var _ runtime.Runtime = (*Runtime)(nil)

// New opens the runtime's data directory and adopts the containers an
// earlier agent left running.
func New(cfg Config, logger *zap.Logger) (*Runtime, error) {
	if cfg.DataDir == "" {
		return nil, fmt.Errorf("%w: DataDir is required", ErrConfig)
	}
	def := DefaultConfig()
	if cfg.ShimPath == "" {
		cfg.ShimPath = def.ShimPath
	}
	if cfg.Poll <= 0 {
		cfg.Poll = def.Poll
	}
	if cfg.StartTimeout <= 0 {
		cfg.StartTimeout = def.StartTimeout
	}
	if err := os.MkdirAll(filepath.Join(cfg.DataDir, "pods"), 0o700); err != nil {
		return nil, fmt.Errorf("process runtime: %w", err)
	}
	r := &Runtime{cfg: cfg, log: logger.Named("process"), pods: map[string]*podRecord{}, containers: map[string]*container{}}
	if err := r.load(); err != nil {
		return nil, err
	}
	return r, nil
}

// Name returns "process".
func (r *Runtime) Name() string { return "process" }

// SetExitHandler registers the function told about container exits.
func (r *Runtime) SetExitHandler(fn func(uid string)) {
	r.mu.Lock()
	r.onExit = fn
	r.mu.Unlock()
}

func newID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// RunSandbox creates the pod's directory and, unless the pod uses the host
// network or the runtime has no network, its network namespace.
func (r *Runtime) RunSandbox(ctx context.Context, cfg runtime.SandboxConfig) (*runtime.Sandbox, error) {
	r.mu.Lock()
	rec, ok := r.pods[cfg.UID]
	r.mu.Unlock()
	if ok {
		return &runtime.Sandbox{UID: rec.UID, IP: rec.IP, NetNS: rec.NetNS, ResolvConf: rec.ResolvConf}, nil
	}
	rec = &podRecord{UID: cfg.UID, Namespace: cfg.Namespace, Name: cfg.Name, HostNetwork: cfg.HostNetwork || r.cfg.Network == nil}
	if err := os.MkdirAll(r.podDir(cfg.UID), 0o700); err != nil {
		return nil, err
	}
	if cfg.DNS != nil {
		path, err := writeResolvConf(r.podDir(cfg.UID), cfg.DNS)
		if err != nil {
			return nil, fmt.Errorf("pod resolv.conf: %w", err)
		}
		rec.ResolvConf = path
	}
	if !rec.HostNetwork {
		netns, ip, err := r.cfg.Network.Setup(ctx, cfg.UID, cfg.Namespace, cfg.Name)
		if err != nil {
			_ = r.cfg.Network.Teardown(context.WithoutCancel(ctx), cfg.UID, netns)
			return nil, fmt.Errorf("pod network: %w", err)
		}
		rec.NetNS, rec.IP = netns, ip
	}
	if err := writeJSON(filepath.Join(r.podDir(cfg.UID), podFile), rec); err != nil {
		return nil, err
	}
	r.mu.Lock()
	r.pods[cfg.UID] = rec
	r.mu.Unlock()
	return &runtime.Sandbox{UID: rec.UID, IP: rec.IP, NetNS: rec.NetNS, ResolvConf: rec.ResolvConf}, nil
}

// StopSandbox removes the pod's network namespace.
func (r *Runtime) StopSandbox(ctx context.Context, uid string) error {
	r.mu.Lock()
	rec, ok := r.pods[uid]
	r.mu.Unlock()
	if !ok {
		return nil
	}
	if rec.NetNS != "" && r.cfg.Network != nil {
		if err := r.cfg.Network.Teardown(ctx, uid, rec.NetNS); err != nil {
			return fmt.Errorf("pod network: %w", err)
		}
	}
	r.mu.Lock()
	delete(r.pods, uid)
	r.mu.Unlock()
	err := os.Remove(filepath.Join(r.podDir(uid), podFile))
	if os.IsNotExist(err) {
		return nil
	}
	return err
}

// Pods lists every pod with state on disk.
func (r *Runtime) Pods() []string {
	ents, err := os.ReadDir(filepath.Join(r.cfg.DataDir, "pods"))
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range ents {
		if e.IsDir() {
			out = append(out, e.Name())
		}
	}
	return out
}

// PodContainers returns the runs the runtime keeps for a pod.
func (r *Runtime) PodContainers(uid string) []runtime.ContainerStatus {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []runtime.ContainerStatus
	for _, c := range r.containers {
		if c.cfg.Container.PodUID == uid {
			out = append(out, c.status())
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Attempt < out[j].Attempt
	})
	return out
}

// status converts a run to the runtime's status; r.mu must be held.
func (c *container) status() runtime.ContainerStatus {
	cc := c.cfg.Container
	s := runtime.ContainerStatus{ID: c.cfg.ID, PodUID: cc.PodUID, Name: cc.Name, Attempt: cc.Attempt, Image: cc.Image,
		State: runtime.StateRunning, Pid: c.state.Pid, StartedAt: c.state.StartedAt}
	if e := c.exit; e != nil {
		s.State, s.FinishedAt, s.ExitCode, s.Signal, s.Reason, s.Message = runtime.StateExited, e.FinishedAt, e.ExitCode, e.Signal, e.Reason, e.Message
		if s.StartedAt.IsZero() {
			s.StartedAt = e.FinishedAt
		}
	}
	return s
}

// RemovePod deletes everything of a pod whose containers all stopped.
func (r *Runtime) RemovePod(ctx context.Context, uid string) error {
	r.mu.Lock()
	for id, c := range r.containers {
		if c.cfg.Container.PodUID != uid {
			continue
		}
		if c.exit == nil {
			r.mu.Unlock()
			return fmt.Errorf("pod %s: container %s still runs", uid, c.cfg.Container.Name)
		}
		delete(r.containers, id)
	}
	_, hasSandbox := r.pods[uid]
	r.mu.Unlock()
	if hasSandbox {
		if err := r.StopSandbox(ctx, uid); err != nil {
			return err
		}
	}
	return os.RemoveAll(r.podDir(uid))
}

// Logs copies a container's log.
func (r *Runtime) Logs(ctx context.Context, opts runtime.LogOptions, w io.Writer) error {
	c, err := r.logRun(opts)
	if err != nil {
		return err
	}
	running := func() bool {
		select {
		case <-c.done:
			return false
		default:
			return true
		}
	}
	return copyLog(ctx, c.dir, opts, running, r.cfg.Poll, w)
}

func (r *Runtime) logRun(opts runtime.LogOptions) (*container, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var runs []*container
	for _, c := range r.containers {
		if c.cfg.Container.PodUID == opts.PodUID && c.cfg.Container.Name == opts.Container {
			runs = append(runs, c)
		}
	}
	sort.Slice(runs, func(i, j int) bool { return runs[i].cfg.Container.Attempt > runs[j].cfg.Container.Attempt })
	switch {
	case len(runs) == 0:
		return nil, fmt.Errorf("%w: container %q of pod %s", runtime.ErrNotFound, opts.Container, opts.PodUID)
	case opts.Previous && len(runs) < 2:
		return nil, fmt.Errorf("%w: previous terminated container %q of pod %s", runtime.ErrNotFound, opts.Container, opts.PodUID)
	case opts.Previous:
		return runs[1], nil
	}
	return runs[0], nil
}

// prune forgets runs older than the one before attempt.
func (r *Runtime) prune(uid, name string, attempt int) {
	r.mu.Lock()
	for id, c := range r.containers {
		cc := c.cfg.Container
		if cc.PodUID == uid && cc.Name == name && cc.Attempt < attempt-1 && c.exit != nil {
			delete(r.containers, id)
			_ = os.RemoveAll(c.dir)
		}
	}
	r.mu.Unlock()
}

func (r *Runtime) exited(c *container, ex runExit) {
	r.mu.Lock()
	c.exit = &ex
	fn := r.onExit
	r.mu.Unlock()
	close(c.done)
	if fn != nil {
		fn(c.cfg.Container.PodUID)
	}
}

func attemptOf(name string) (int, bool) {
	n, err := strconv.Atoi(name)
	return n, err == nil && n >= 0
}

// sleepPoll waits one poll interval.
func (r *Runtime) sleepPoll() { time.Sleep(r.cfg.Poll) }
