package process

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// File names inside a container run's directory.
const (
	configFile = "config.json"
	stateFile  = "state.json"
	exitFile   = "exit.json"
	logFile    = "log"
	shimLog    = "shim.log"
	podFile    = "pod.json"
	resolvFile = "resolv.conf"
)

// podRecord is a pod's sandbox as persisted.
type podRecord struct {
	UID         string `json:"uid"`
	Namespace   string `json:"namespace"`
	Name        string `json:"name"`
	HostNetwork bool   `json:"hostNetwork"`
	IP          string `json:"ip,omitempty"`
	NetNS       string `json:"netns,omitempty"`
	ResolvConf  string `json:"resolvConf,omitempty"`
}

// runConfig is what the agent asks a shim to run.
type runConfig struct {
	ID          string                  `json:"id"`
	Container   runtime.ContainerConfig `json:"container"`
	Path        string                  `json:"path"`
	LogMaxBytes int64                   `json:"logMaxBytes"`
	CreatedAt   time.Time               `json:"createdAt"`
}

// runState is written by the shim once the container process started.
type runState struct {
	ShimPid   int       `json:"shimPid"`
	ShimStart uint64    `json:"shimStart"`
	Pid       int       `json:"pid"`
	PidStart  uint64    `json:"pidStart"`
	StartedAt time.Time `json:"startedAt"`
}

// runExit is written by the shim when the container process has exited
// (or could not be started).
type runExit struct {
	ExitCode   int       `json:"exitCode"`
	Signal     int       `json:"signal,omitempty"`
	Reason     string    `json:"reason,omitempty"`
	Message    string    `json:"message,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
}

// writeJSON writes v to path atomically.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, b, 0o600); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}

// readJSON reads path into v.
func readJSON(path string, v any) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	return nil
}

func (r *Runtime) podDir(uid string) string { return filepath.Join(r.cfg.DataDir, "pods", uid) }

func (r *Runtime) runDir(uid, name string, attempt int) string {
	return filepath.Join(r.podDir(uid), "containers", name, fmt.Sprint(attempt))
}
