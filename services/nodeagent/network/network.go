package network

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/containernetworking/cni/libcni"
	types100 "github.com/containernetworking/cni/pkg/types/100"
	"go.uber.org/zap"
)

// NetNSDir is where named network namespaces live (as with ip netns).
const NetNSDir = "/var/run/netns"

// plugins are the CNI plugins pod networking needs.
var plugins = []string{"bridge", "host-local", "loopback"}

// Errors of this package.
var (
	// ErrUnavailable is wrapped when pod networking cannot work here.
	ErrUnavailable = errors.New("pod networking unavailable")
	// ErrNoPodCIDR is returned by Setup before the node has a pod CIDR.
	ErrNoPodCIDR = errors.New("network not ready: the node has no spec.podCIDR yet")
)

// Config configures one node's pod network.
type Config struct {
	NodeName string
	// DataDir holds the CNI result cache and host-local's allocations.
	DataDir string
	// PluginDirs are searched for the CNI plugins.
	PluginDirs []string
	// ClusterCIDR is the range pods route through their bridge.
	ClusterCIDR string
	// ServiceCIDR is the range of Service cluster IPs: pods route it
	// through their bridge too, so the node's proxy (nftables DNAT on the
	// host) answers them. Empty routes none.
	ServiceCIDR string
}

// DefaultConfig returns Debian's plugin directory and the default cluster CIDR.
func DefaultConfig() Config {
	return Config{PluginDirs: []string{"/usr/lib/cni", "/opt/cni/bin"}, ClusterCIDR: "10.244.0.0/16", ServiceCIDR: "10.96.0.0/16"}
}

// Available reports why pod networking cannot work, or nil: it needs root,
// the CNI plugins and iproute2's ip.
func Available(pluginDirs []string) error {
	if os.Geteuid() != 0 {
		return fmt.Errorf("%w: not running as root", ErrUnavailable)
	}
	for _, p := range plugins {
		if _, err := findPlugin(pluginDirs, p); err != nil {
			return err
		}
	}
	if _, err := exec.LookPath("ip"); err != nil {
		return fmt.Errorf("%w: iproute2's ip not found: %v", ErrUnavailable, err)
	}
	return nil
}

func findPlugin(dirs []string, name string) (string, error) {
	for _, d := range dirs {
		p := filepath.Join(d, name)
		if fi, err := os.Stat(p); err == nil && fi.Mode()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("%w: CNI plugin %q not found in %v (Debian: apt-get install containernetworking-plugins)", ErrUnavailable, name, dirs)
}

// BridgeName is the node's bridge: gantry-<node>, or a hash of the name
// when that does not fit Linux's 15 characters.
func BridgeName(node string) string {
	if n := "gantry-" + node; len(n) <= 15 {
		return n
	}
	sum := sha256.Sum256([]byte(node))
	return "gty" + hex.EncodeToString(sum[:])[:12]
}

// NetNSName is the name of a pod's network namespace.
func NetNSName(uid string) string { return "gantry-" + uid }

// Manager attaches pods of one node to its bridge.
type Manager struct {
	cfg    Config
	log    *zap.Logger
	cni    *libcni.CNIConfig
	bridge string

	mu      sync.Mutex
	podCIDR string
	list    *libcni.NetworkConfigList
	lo      *libcni.NetworkConfigList
}

// New returns a manager for cfg.NodeName; it is ready once SetPodCIDR ran.
func New(cfg Config, logger *zap.Logger) (*Manager, error) {
	if cfg.NodeName == "" || cfg.DataDir == "" {
		return nil, errors.New("network: NodeName and DataDir are required")
	}
	if _, _, err := net.ParseCIDR(cfg.ClusterCIDR); err != nil {
		return nil, fmt.Errorf("network: cluster CIDR: %w", err)
	}
	if cfg.ServiceCIDR != "" {
		if _, _, err := net.ParseCIDR(cfg.ServiceCIDR); err != nil {
			return nil, fmt.Errorf("network: service CIDR: %w", err)
		}
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("network: %w", err)
	}
	lo, err := libcni.NetworkConfFromBytes([]byte(`{"cniVersion":"1.0.0","name":"gantry-loopback","plugins":[{"type":"loopback"}]}`))
	if err != nil {
		return nil, err
	}
	m := &Manager{cfg: cfg, log: logger.Named("network"), bridge: BridgeName(cfg.NodeName), lo: lo,
		cni: libcni.NewCNIConfigWithCacheDir(cfg.PluginDirs, filepath.Join(cfg.DataDir, "cache"), nil)}
	return m, nil
}

// Bridge returns the node's bridge name.
func (m *Manager) Bridge() string { return m.bridge }

// PodCIDR returns the range pods get addresses from ("" before SetPodCIDR).
func (m *Manager) PodCIDR() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.podCIDR
}

// SetPodCIDR configures the node's network for its pod CIDR.
func (m *Manager) SetPodCIDR(cidr string) error {
	if _, _, err := net.ParseCIDR(cidr); err != nil {
		return fmt.Errorf("pod CIDR %q: %w", cidr, err)
	}
	conf := map[string]any{
		"cniVersion": "1.0.0",
		"name":       "gantry-" + m.cfg.NodeName,
		"plugins": []any{map[string]any{
			"type": "bridge", "bridge": m.bridge, "isGateway": true, "ipMasq": false, "hairpinMode": true,
			"ipam": map[string]any{
				"type":    "host-local",
				"ranges":  [][]map[string]string{{{"subnet": cidr}}},
				"routes":  m.routes(),
				"dataDir": filepath.Join(m.cfg.DataDir, "ipam"),
			},
		}},
	}
	b, err := json.Marshal(conf)
	if err != nil {
		return err
	}
	list, err := libcni.NetworkConfFromBytes(b)
	if err != nil {
		return fmt.Errorf("network config: %w", err)
	}
	m.mu.Lock()
	m.podCIDR, m.list = cidr, list
	m.mu.Unlock()
	return nil
}

func (m *Manager) rtConf(uid, namespace, name, netns, ifName string) *libcni.RuntimeConf {
	return &libcni.RuntimeConf{ContainerID: uid, NetNS: netns, IfName: ifName, Args: [][2]string{
		{"IgnoreUnknown", "1"}, {"K8S_POD_NAMESPACE", namespace}, {"K8S_POD_NAME", name}, {"K8S_POD_UID", uid}}}
}

// Setup creates the pod's network namespace, brings its loopback up and
// attaches it to the node's bridge; it returns the namespace path and IP.
func (m *Manager) Setup(ctx context.Context, uid, namespace, name string) (string, string, error) {
	m.mu.Lock()
	list := m.list
	m.mu.Unlock()
	if list == nil {
		return "", "", ErrNoPodCIDR
	}
	path := filepath.Join(NetNSDir, NetNSName(uid))
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		if err := ipCmd(ctx, "netns", "add", NetNSName(uid)); err != nil {
			return "", "", err
		}
	}
	if _, err := m.cni.AddNetworkList(ctx, m.lo, m.rtConf(uid, namespace, name, path, "lo")); err != nil {
		return path, "", fmt.Errorf("loopback: %w", err)
	}
	res, err := m.cni.AddNetworkList(ctx, list, m.rtConf(uid, namespace, name, path, "eth0"))
	if err != nil {
		return path, "", fmt.Errorf("bridge: %w", err)
	}
	r, err := types100.NewResultFromResult(res)
	if err != nil || len(r.IPs) == 0 {
		return path, "", fmt.Errorf("bridge: no address in the CNI result (%v)", err)
	}
	return path, r.IPs[0].Address.IP.String(), nil
}

// Teardown detaches the pod (releasing its address) and removes its
// namespace; parts already gone are fine.
func (m *Manager) Teardown(ctx context.Context, uid, netns string) error {
	m.mu.Lock()
	list := m.list
	m.mu.Unlock()
	if netns == "" {
		netns = filepath.Join(NetNSDir, NetNSName(uid))
	}
	if _, err := os.Stat(netns); err != nil {
		netns = "" // plugins still release what they hold
	}
	var errs []error
	if list != nil {
		if err := m.cni.DelNetworkList(ctx, list, m.rtConf(uid, "", "", netns, "eth0")); err != nil {
			errs = append(errs, fmt.Errorf("bridge: %w", err))
		}
	}
	if netns != "" {
		if err := ipCmd(ctx, "netns", "delete", NetNSName(uid)); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// Cleanup removes the node's bridge and its IPAM and cache state: the node
// goes away. Pods must have been torn down first.
func (m *Manager) Cleanup(ctx context.Context) error {
	var errs []error
	if err := ipCmd(ctx, "link", "delete", m.bridge); err != nil && !strings.Contains(err.Error(), "Cannot find device") {
		errs = append(errs, err)
	}
	if err := os.RemoveAll(m.cfg.DataDir); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

func ipCmd(ctx context.Context, args ...string) error {
	out, err := exec.CommandContext(ctx, "ip", args...).CombinedOutput()
	if err != nil {
		return fmt.Errorf("ip %s: %v: %s", strings.Join(args, " "), err, strings.TrimSpace(string(out)))
	}
	return nil
}

// Gateway returns the bridge's address for a pod CIDR, with the CIDR's
// length: the CIDR's first address, which host-local IPAM gives the bridge
// as the pods' gateway. Node-local services that pods reach by address
// (cluster DNS) listen on it.
func Gateway(podCIDR string) (netip.Prefix, error) {
	p, err := netip.ParsePrefix(podCIDR)
	if err != nil {
		return netip.Prefix{}, fmt.Errorf("pod CIDR %q: %w", podCIDR, err)
	}
	p = p.Masked()
	gw := p.Addr().Next()
	if !gw.IsValid() || !p.Contains(gw) {
		return netip.Prefix{}, fmt.Errorf("pod CIDR %q has no address for a gateway", podCIDR)
	}
	return netip.PrefixFrom(gw, p.Bits()), nil
}

// routes are the pods' routes through the bridge: the cluster's pods and,
// when set, its Service cluster IPs.
func (m *Manager) routes() []map[string]string {
	r := []map[string]string{{"dst": m.cfg.ClusterCIDR}}
	if m.cfg.ServiceCIDR != "" {
		r = append(r, map[string]string{"dst": m.cfg.ServiceCIDR})
	}
	return r
}
