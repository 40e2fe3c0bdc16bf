package nftables

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync"

	"github.com/gantryio/gantry/services/proxy/dataplane"
	"github.com/gantryio/gantry/services/proxy/table"
	"github.com/google/nftables"
	"github.com/mdlayher/netlink"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/sys/unix"
)

// Dataplane is the nftables dataplane (see the package comment).
type Dataplane struct {
	cfg  Config
	log  *zap.Logger
	m    *metrics
	sk   *skeleton
	cc   *nftables.Conn
	ns   *os.File // nil: the proxy's own namespace
	ct   *conntrack
	once sync.Once

	// The fields below are Apply's (one goroutine, per the contract);
	// mu guards them against RouteStatus and Close.
	mu sync.RWMutex
	// broken: a transaction failed in a way that leaves the kernel's
	// state unknown, so the next Apply rewrites the table whole.
	broken   bool
	closed   bool
	plans    map[table.PortKey]*plan
	svcOwner map[svcAddr]table.PortKey
	npOwner  map[npAddr]table.PortKey
	// blocked are routes not carried because another owns their address
	// or node port; they are planned again on every Apply.
	blocked map[table.PortKey]struct{}
}

var (
	_ dataplane.Dataplane = (*Dataplane)(nil)
	_ dataplane.Reporter  = (*Dataplane)(nil)
)

// ErrClosed is returned by Apply after Close.
var ErrClosed = errors.New("nftables: closed")

// Available reports why this process cannot run the nftables dataplane,
// or nil: it needs root (CAP_NET_ADMIN) and a kernel with nf_tables.
func Available() error {
	if os.Geteuid() != 0 {
		return errors.New("nftables mode needs root (CAP_NET_ADMIN) to program the kernel; run as root or use --mode userspace")
	}
	cc, err := nftables.New()
	if err != nil {
		return fmt.Errorf("nftables: %w", err)
	}
	if _, err := cc.ListTablesOfFamily(nftables.TableFamilyIPv4); err != nil {
		return fmt.Errorf("nftables: the kernel does not answer nf_tables requests: %w", err)
	}
	return nil
}

// New creates the dataplane's table (replacing a leftover one of the same
// name) with no routes; its metrics are registered on reg (nil: not
// registered).
func New(cfg Config, reg prometheus.Registerer, log *zap.Logger) (*Dataplane, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if os.Geteuid() != 0 {
		return nil, errors.New("nftables mode needs root (CAP_NET_ADMIN) to program the kernel; run as root or use --mode userspace")
	}
	m, err := newMetrics(reg)
	if err != nil {
		return nil, fmt.Errorf("nftables: metrics: %w", err)
	}
	if log == nil {
		log = zap.NewNop()
	}
	d := &Dataplane{cfg: cfg, log: log, m: m, sk: newSkeleton(cfg.Table)}
	d.reset()
	opts := []nftables.ConnOption{nftables.AsLasting(), nftables.WithSockOptions(socketBuffers(cfg.SocketBuffer))}
	if cfg.NetNS != "" {
		if d.ns, err = os.Open(cfg.NetNS); err != nil {
			return nil, fmt.Errorf("nftables: network namespace: %w", err)
		}
		opts = append(opts, nftables.WithNetNSFd(int(d.ns.Fd())))
	}
	if d.cc, err = nftables.New(opts...); err != nil {
		d.closeFiles()
		return nil, fmt.Errorf("nftables: netlink: %w", err)
	}
	if cfg.FlushConntrack {
		if d.ct, err = newConntrack(d.ns, cfg.ConntrackTimeout); err != nil {
			d.closeFiles()
			return nil, err
		}
	}
	if err := d.sk.add(d.cc, cfg.MasqueradeMark); err != nil {
		d.closeFiles()
		return nil, fmt.Errorf("nftables: table %s: %w", cfg.Table, err)
	}
	if err := d.cc.Flush(); err != nil {
		d.closeFiles()
		return nil, fmt.Errorf("nftables: create table ip %s: %w", cfg.Table, err)
	}
	log.Info("table created", zap.String("table", "ip "+cfg.Table), zap.String("spread", cfg.Spread))
	return d, nil
}

// reset forgets every plan (the table is about to be rewritten whole).
func (d *Dataplane) reset() {
	d.plans = map[table.PortKey]*plan{}
	d.svcOwner = map[svcAddr]table.PortKey{}
	d.npOwner = map[npAddr]table.PortKey{}
	d.blocked = map[table.PortKey]struct{}{}
}

// Table returns the name of the ip-family table the dataplane owns.
func (d *Dataplane) Table() string { return d.cfg.Table }

// Close deletes the table, so the host carries nothing of the proxy's.
func (d *Dataplane) Close() error {
	var err error
	d.once.Do(func() {
		d.mu.Lock()
		d.closed = true
		d.mu.Unlock()
		d.cc.DelTable(d.sk.table)
		if ferr := d.cc.Flush(); ferr != nil && !errors.Is(ferr, unix.ENOENT) {
			err = fmt.Errorf("nftables: delete table ip %s: %w", d.cfg.Table, ferr)
		}
		d.closeFiles()
	})
	return err
}

func (d *Dataplane) closeFiles() {
	if d.cc != nil {
		_ = d.cc.CloseLasting()
	}
	if d.ct != nil {
		d.ct.close()
	}
	if d.ns != nil {
		_ = d.ns.Close()
	}
}

// RouteStatus reports a route of the last applied table: its node port is
// served on every local address but loopback; Error says why the route, or
// some of its endpoints, are not carried.
func (d *Dataplane) RouteStatus(k table.PortKey) dataplane.RouteStatus {
	d.mu.RLock()
	p := d.plans[k]
	d.mu.RUnlock()
	if p == nil {
		return dataplane.RouteStatus{Error: "not carried"}
	}
	st := dataplane.RouteStatus{Error: p.err}
	if p.ok && p.np.port != 0 {
		st.Listen = []string{"0.0.0.0:" + strconv.Itoa(int(p.np.port))}
	}
	return st
}

// socketBuffers sizes the netlink socket for a large transaction and its
// acknowledgements, beyond the sysctl limits where root may.
func socketBuffers(size int) nftables.SockOption {
	return func(c *netlink.Conn) error {
		rc, err := c.SyscallConn()
		if err != nil {
			return err
		}
		var serr error
		if err := rc.Control(func(fd uintptr) {
			for _, o := range [][2]int{{unix.SO_RCVBUFFORCE, unix.SO_RCVBUF}, {unix.SO_SNDBUFFORCE, unix.SO_SNDBUF}} {
				if unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[0], size) != nil {
					if e := unix.SetsockoptInt(int(fd), unix.SOL_SOCKET, o[1], size); e != nil {
						serr = e
					}
				}
			}
		}); err != nil {
			return err
		}
		return serr
	}
}
