package nftables

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/proxy/table"
	"go.uber.org/zap/zaptest"
	"golang.org/x/sys/unix"
)

// The lab is a node in network namespaces of the test's own, so the
// host's ruleset and network are never touched:
//
//	outside (192.0.2.2) --veth-- node (192.0.2.1; bridge br0 10.244.0.1/24) --veth-- pods 10.244.0.11...
//
// The node's default route points outside (as a host's would), the pods'
// default route is the bridge, and br_netfilter is off in the node, so
// nothing here depends on bridged traffic passing iptables hooks.
type lab struct {
	t       testing.TB
	id      string
	node    string // namespace of the node (where the dataplane runs)
	outside string
	pods    []*pod
}

type pod struct {
	name string // also the namespace's name and what the backend answers
	ip   netip.Addr
}

const (
	nodeIP    = "192.0.2.1"
	outsideIP = "192.0.2.2"
	bridgeIP  = "10.244.0.1"
	tcpPort   = 8080
	udpPort   = 5353
)

func needRoot(t testing.TB) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("skipped: the nftables dataplane needs root (CAP_NET_ADMIN) and network namespaces")
	}
	if _, err := exec.LookPath("ip"); err != nil {
		t.Skip("skipped: iproute2's ip is needed to build the test's network namespaces")
	}
}

func run(t testing.TB, args ...string) {
	t.Helper()
	if out, err := exec.Command(args[0], args[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("%s: %v: %s", strings.Join(args, " "), err, out)
	}
}

// newLab builds the node with n pods, each serving TCP and UDP; every
// namespace is deleted when the test ends, pass or fail.
func newLab(t testing.TB, n int) *lab {
	t.Helper()
	needRoot(t)
	b := make([]byte, 3)
	_, _ = rand.Read(b)
	l := &lab{t: t, id: hex.EncodeToString(b)}
	l.node = l.netns("node")
	l.outside = l.netns("out")
	ip := func(args ...string) { run(t, append([]string{"ip"}, args...)...) }
	ip("-n", l.node, "link", "set", "lo", "up")
	ip("-n", l.node, "link", "add", "br0", "type", "bridge")
	ip("-n", l.node, "addr", "add", bridgeIP+"/24", "dev", "br0")
	ip("-n", l.node, "link", "set", "br0", "up")
	ip("-n", l.node, "link", "add", "ext0", "type", "veth", "peer", "name", "eth0", "netns", l.outside)
	ip("-n", l.node, "addr", "add", nodeIP+"/24", "dev", "ext0")
	ip("-n", l.node, "link", "set", "ext0", "up")
	ip("-n", l.node, "route", "add", "default", "via", outsideIP)
	ip("-n", l.outside, "link", "set", "lo", "up")
	ip("-n", l.outside, "addr", "add", outsideIP+"/24", "dev", "eth0")
	ip("-n", l.outside, "link", "set", "eth0", "up")
	ip("-n", l.outside, "route", "add", "10.244.0.0/16", "via", nodeIP)
	l.sysctl(l.node, "net/ipv4/ip_forward", "1")
	l.sysctl(l.node, "net/bridge/bridge-nf-call-iptables", "0")
	for i := 0; i < n; i++ {
		l.addPod(fmt.Sprintf("p%d", i+1), netip.AddrFrom4([4]byte{10, 244, 0, byte(11 + i)}), true)
	}
	return l
}

// netns creates a namespace named for the test and deletes it at cleanup.
func (l *lab) netns(role string) string {
	name := "gtest-" + l.id + "-" + role
	run(l.t, "ip", "netns", "add", name)
	l.t.Cleanup(func() {
		if out, err := exec.Command("ip", "netns", "del", name).CombinedOutput(); err != nil {
			l.t.Errorf("ip netns del %s: %v: %s", name, err, out)
		}
	})
	return name
}

// sysctl writes a sysctl of a namespace (one that does not exist, as
// br_netfilter's without the module, is skipped).
func (l *lab) sysctl(ns, key, val string) {
	err := inNS(ns, func() error {
		f, err := os.OpenFile("/proc/sys/"+key, os.O_WRONLY, 0)
		if errors.Is(err, os.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		defer f.Close()
		_, err = f.WriteString(val)
		return err
	})
	if err != nil {
		l.t.Fatalf("sysctl %s=%s in %s: %v", key, val, ns, err)
	}
}

// addPod attaches a pod namespace to the bridge; serve starts its
// backends (TCP: one line with the pod's name and the client's address;
// UDP: the name back) and lists it in l.pods.
func (l *lab) addPod(role string, ip netip.Addr, serve bool) *pod {
	p := &pod{name: l.netns(role), ip: ip}
	host := "v" + role
	run(l.t, "ip", "-n", l.node, "link", "add", host, "type", "veth", "peer", "name", "eth0", "netns", p.name)
	run(l.t, "ip", "-n", l.node, "link", "set", host, "master", "br0", "up")
	run(l.t, "ip", "-n", p.name, "link", "set", "lo", "up")
	run(l.t, "ip", "-n", p.name, "addr", "add", ip.String()+"/24", "dev", "eth0")
	run(l.t, "ip", "-n", p.name, "link", "set", "eth0", "up")
	run(l.t, "ip", "-n", p.name, "route", "add", "default", "via", bridgeIP)
	if serve {
		l.serve(p)
		l.pods = append(l.pods, p)
	}
	return p
}

func (l *lab) serve(p *pod) {
	var ln net.Listener
	var pc net.PacketConn
	err := inNS(p.name, func() error {
		var err error
		if ln, err = net.Listen("tcp4", fmt.Sprintf(":%d", tcpPort)); err != nil {
			return err
		}
		pc, err = net.ListenPacket("udp4", fmt.Sprintf(":%d", udpPort))
		return err
	})
	if err != nil {
		l.t.Fatalf("backend in %s: %v", p.name, err)
	}
	var wg sync.WaitGroup
	l.t.Cleanup(func() { ln.Close(); pc.Close(); wg.Wait() })
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			fmt.Fprintf(c, "%s %s\n", p.name, c.RemoteAddr())
			c.Close()
		}
	})
	wg.Go(func() {
		buf := make([]byte, 512)
		for {
			_, from, err := pc.ReadFrom(buf)
			if err != nil {
				return
			}
			_, _ = pc.WriteTo([]byte(p.name), from)
		}
	})
}

// inNS runs fn on a thread switched into namespace ns; sockets fn opens
// stay in ns afterwards. A thread that cannot switch back is not reused.
func inNS(ns string, fn func() error) error {
	errc := make(chan error, 1)
	go func() {
		runtime.LockOSThread()
		orig, err := os.Open("/proc/thread-self/ns/net")
		if err != nil {
			errc <- err
			return
		}
		defer orig.Close()
		target, err := os.Open("/var/run/netns/" + ns)
		if err != nil {
			errc <- err
			return
		}
		defer target.Close()
		if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- fmt.Errorf("setns %s: %w", ns, err)
			return
		}
		ferr := fn()
		if err := unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET); err != nil {
			errc <- errors.Join(ferr, fmt.Errorf("setns back: %w", err))
			return // the thread stays locked and ends with the goroutine
		}
		runtime.UnlockOSThread()
		errc <- ferr
	}()
	return <-errc
}

// get connects from namespace ns to addr over TCP and returns the name of
// the pod that answered and the source address it saw.
func get(ns, addr string) (name, from string, err error) {
	var c net.Conn
	if err := inNS(ns, func() error {
		var err error
		c, err = net.DialTimeout("tcp4", addr, 3*time.Second)
		return err
	}); err != nil {
		return "", "", err
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(3 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		return "", "", fmt.Errorf("read from %s: %w", addr, err)
	}
	f := strings.Fields(line)
	if len(f) != 2 {
		return "", "", fmt.Errorf("answer %q", line)
	}
	return f[0], f[1], nil
}

// spread makes n connections from ns to addr and counts the answers by pod.
func spread(t *testing.T, ns, addr string, n int) map[string]int {
	t.Helper()
	seen := map[string]int{}
	for i := 0; i < n; i++ {
		name, _, err := get(ns, addr)
		if err != nil {
			t.Fatalf("connection %d from %s to %s: %v", i, ns, addr, err)
		}
		seen[name]++
	}
	return seen
}

// udpConn is a connected UDP socket opened in a namespace.
func udpConn(t *testing.T, ns, addr string) *net.UDPConn {
	t.Helper()
	var c net.Conn
	if err := inNS(ns, func() error {
		var err error
		c, err = net.Dial("udp4", addr)
		return err
	}); err != nil {
		t.Fatalf("udp socket in %s: %v", ns, err)
	}
	t.Cleanup(func() { c.Close() })
	return c.(*net.UDPConn)
}

// ask sends one datagram and waits for the answer.
func ask(c *net.UDPConn, wait time.Duration) (string, error) {
	if _, err := c.Write([]byte("who")); err != nil {
		return "", err
	}
	_ = c.SetReadDeadline(time.Now().Add(wait))
	buf := make([]byte, 512)
	n, err := c.Read(buf)
	if err != nil {
		return "", err
	}
	return string(buf[:n]), nil
}

// newDP starts the dataplane in the lab's node.
func (l *lab) newDP(mut ...func(*Config)) *Dataplane {
	l.t.Helper()
	cfg := DefaultConfig()
	cfg.Table = "gantry-proxy-test"
	cfg.NetNS = "/var/run/netns/" + l.node
	for _, m := range mut {
		m(&cfg)
	}
	d, err := New(cfg, nil, zaptest.NewLogger(l.t))
	if err != nil {
		l.t.Fatalf("New: %v", err)
	}
	l.t.Cleanup(func() { _ = d.Close() })
	return d
}

// nft lists the dataplane's table in the node ("" when it is not there).
func (l *lab) nft(name string) string {
	out, err := exec.Command("ip", "netns", "exec", l.node, "nft", "list", "table", "ip", name).CombinedOutput()
	if err != nil {
		if strings.Contains(string(out), "No such file") {
			return ""
		}
		l.t.Fatalf("nft list table: %v: %s", err, out)
	}
	return string(out)
}

// routes builds routing tables from a compact description.
type svcDef struct {
	name     string
	ip       string
	proto    string
	port     int32
	nodePort int32
	eps      []*pod
	epPort   int32
}

func tableOf(defs ...svcDef) *table.Table {
	var svcs []*gantryv1.Service
	var sls []*gantryv1.EndpointSlice
	yes := true
	for _, d := range defs {
		proto := d.proto
		if proto == "" {
			proto = "TCP"
		}
		typ := "ClusterIP"
		if d.nodePort != 0 {
			typ = "NodePort"
		}
		svcs = append(svcs, &gantryv1.Service{
			Metadata: &gantryv1.ObjectMeta{Namespace: "default", Name: d.name},
			Spec: &gantryv1.ServiceSpec{ClusterIp: d.ip, Type: typ, Ports: []*gantryv1.ServicePort{
				{Name: "p", Protocol: proto, Port: d.port, NodePort: d.nodePort}}},
		})
		name, epPort := "p", d.epPort
		sl := &gantryv1.EndpointSlice{
			Metadata:    &gantryv1.ObjectMeta{Namespace: "default", Name: d.name + "-x", Labels: map[string]string{table.ServiceNameLabel: d.name}},
			AddressType: "IPv4",
			Ports:       []*gantryv1.EndpointPort{{Name: &name, Protocol: &proto, Port: &epPort}},
		}
		for _, p := range d.eps {
			sl.Endpoints = append(sl.Endpoints, &gantryv1.Endpoint{Addresses: []string{p.ip.String()},
				Conditions: &gantryv1.EndpointConditions{Ready: &yes}})
		}
		sls = append(sls, sl)
	}
	return table.Build(svcs, sls)
}

// step applies the table next and returns it (the new "old").
func apply(t *testing.T, d *Dataplane, old, next *table.Table) *table.Table {
	t.Helper()
	if err := d.Apply(context.Background(), table.Diff(old, next)); err != nil {
		t.Fatalf("Apply: %v", err)
	}
	return next
}

func netipAddr(s string) netip.Addr { return netip.MustParseAddr(s) }
