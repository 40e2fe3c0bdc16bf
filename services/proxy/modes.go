package proxy

import (
	"fmt"
	"os"
	"strings"

	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/dataplane/nftables"
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
	// available, if set, says why the mode cannot run here (auto skips
	// it then).
	available func() error
	new       func(cfg Config, reg prometheus.Registerer, log *zap.Logger) (dataplane.Dataplane, error)
}

// modes are the dataplanes of this build, in auto's order of preference:
// nftables when root and the kernel answers, else userspace.
var modes = []mode{
	{name: ModeNFTables, root: true, available: nftables.Available,
		new: func(cfg Config, reg prometheus.Registerer, log *zap.Logger) (dataplane.Dataplane, error) {
			nc := cfg.NFTables
			nc.Table = nc.TableName(cfg.NodeName)
			return nftables.New(nc, reg, log)
		}},
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

// geteuid is replaced by tests.
var geteuid = os.Geteuid

// resolveMode finds the mode cfg names (auto: the first that can run).
func resolveMode(name string) (mode, error) {
	root := geteuid() == 0
	for _, m := range modes {
		switch {
		case name == ModeAuto:
			if m.root && !root {
				continue
			}
			if m.available != nil && m.available() != nil {
				continue
			}
			return m, nil
		case m.name == name:
			if m.root && !root {
				return mode{}, fmt.Errorf("%w: mode %s needs root (CAP_NET_ADMIN) to program the kernel; run as root, or use --mode %s", ErrConfig, m.name, ModeUserspace)
			}
			return m, nil
		}
	}
	return mode{}, fmt.Errorf("%w: mode %q: this build carries %s (or auto)", ErrConfig, name, strings.Join(Modes(), ", "))
}
