package proxy

import (
	"fmt"
	"os"
	"strings"

	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/dataplane/userspace"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// Modes of the proxy.
const (
	ModeAuto      = "auto"
	ModeUserspace = "userspace"
	ModeNFTables  = "nftables"
)

// mode is a dataplane this build carries.
type mode struct {
	name string
	// root: the mode needs root (auto skips it otherwise).
	root bool
	new  func(cfg Config, reg prometheus.Registerer, log *zap.Logger) (dataplane.Dataplane, error)
}

// modes are the dataplanes of this build, in auto's order of preference.
var modes = []mode{
	{name: ModeUserspace, new: func(cfg Config, reg prometheus.Registerer, log *zap.Logger) (dataplane.Dataplane, error) {
		return userspace.New(cfg.Userspace, reg, log)
	}},
}

// Modes lists the modes this build carries, in auto's order of preference.
func Modes() []string {
	out := make([]string, 0, len(modes))
	for _, m := range modes {
		out = append(out, m.name)
	}
	return out
}

// resolveMode finds the mode cfg names (auto: the first that can run).
func resolveMode(name string) (mode, error) {
	root := os.Geteuid() == 0
	for _, m := range modes {
		if m.name == name || (name == ModeAuto && (root || !m.root)) {
			if m.root && !root {
				return mode{}, fmt.Errorf("%w: mode %s needs root", ErrConfig, m.name)
			}
			return m, nil
		}
	}
	return mode{}, fmt.Errorf("%w: mode %q: this build carries %s (or auto)", ErrConfig, name, strings.Join(Modes(), ", "))
}
