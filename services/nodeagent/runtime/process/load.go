package process

import (
	"os"
	"path/filepath"

	"go.uber.org/zap"
)

// load reads the state an earlier agent left and adopts the runs that
// still run: their shims keep supervising them and this runtime polls
// them, so nothing is started twice.
func (r *Runtime) load() error {
	for _, uid := range r.Pods() {
		var rec podRecord
		if err := readJSON(filepath.Join(r.podDir(uid), podFile), &rec); err == nil {
			r.pods[uid] = &rec
		}
		names, _ := os.ReadDir(filepath.Join(r.podDir(uid), "containers"))
		for _, n := range names {
			runs, _ := os.ReadDir(filepath.Join(r.podDir(uid), "containers", n.Name()))
			for _, a := range runs {
				if _, ok := attemptOf(a.Name()); ok {
					r.loadRun(filepath.Join(r.podDir(uid), "containers", n.Name(), a.Name()))
				}
			}
		}
	}
	return nil
}

func (r *Runtime) loadRun(dir string) {
	c := &container{dir: dir, done: make(chan struct{})}
	if err := readJSON(filepath.Join(dir, configFile), &c.cfg); err != nil {
		r.log.Warn("dropping unreadable container run", zap.String("dir", dir), zap.Error(err))
		_ = os.RemoveAll(dir)
		return
	}
	_ = readJSON(filepath.Join(dir, stateFile), &c.state)
	var ex runExit
	if err := readJSON(filepath.Join(dir, exitFile), &ex); err == nil {
		c.exit = &ex
		close(c.done)
	}
	r.mu.Lock()
	r.containers[c.cfg.ID] = c
	r.mu.Unlock()
	if c.exit != nil {
		return
	}
	if alive(c.state.ShimPid, c.state.ShimStart) || alive(c.state.Pid, c.state.PidStart) {
		r.log.Info("adopted running container", zap.String("pod", c.cfg.Container.PodNamespace+"/"+c.cfg.Container.PodName),
			zap.String("container", c.cfg.Container.Name), zap.Int("pid", c.state.Pid))
		go r.wait(c, nil)
		return
	}
	go r.finish(c)
}
