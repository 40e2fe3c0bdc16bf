package localcluster

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

// Workers says which components run beside the masters.
type Workers struct {
	Scheduler, Controller bool
	// Nodes is the number of node agents (process runtime).
	Nodes int
	// SchedulerArgs, ControllerArgs and NodeArgs are extra flags.
	SchedulerArgs, ControllerArgs, NodeArgs []string
	// Proxies runs a service proxy beside every node agent, in ProxyMode
	// ("": auto) with ProxyArgs as extra flags.
	Proxies   bool
	ProxyMode string
	ProxyArgs []string
}

// component is one non-master process with its gRPC and HTTP ports.
type component struct {
	proc       *Proc
	grpc, http int
}

// componentPorts returns n gRPC/HTTP port pairs from BasePort+offset
// (+2 per component), or free ones when BasePort is 0.
func (c *Cluster) componentPorts(offset, n int) ([][2]int, error) {
	out := make([][2]int, n)
	if c.cfg.BasePort == 0 {
		free, err := c.freePorts(n)
		if err != nil {
			return nil, err
		}
		for i, p := range free {
			out[i] = [2]int{p.GRPC, p.HTTP}
		}
		return out, nil
	}
	for i := range out {
		base := c.cfg.BasePort + offset + 2*i
		out[i] = [2]int{base, base + 1}
	}
	return out, nil
}

// newComponent prepares one worker process with its own ports (from
// BasePort+offset, or free ones) and the flags every worker takes.
func (c *Cluster) newComponent(name string, offset int, args ...string) (*component, error) {
	ports, err := c.componentPorts(offset, 1)
	if err != nil {
		return nil, err
	}
	return c.newComponentOn(ports[0], name, args...)
}

// newComponentOn is newComponent on given gRPC and HTTP ports.
func (c *Cluster) newComponentOn(ports [2]int, name string, args ...string) (*component, error) {
	args = append(args, "--servers", strings.Join(c.Servers(), ","), "--log-level", c.cfg.LogLevel)
	args = append(args, "--listen", c.addr(ports[0]), "--http-listen", c.addr(ports[1]))
	p := &Proc{Name: name, Binary: c.cfg.Binary, Args: args, LogPath: filepath.Join(c.LogDir(), name+".log")}
	return &component{proc: p, grpc: ports[0], http: ports[1]}, nil
}

// newNode prepares node agent i (from 0): n<i+1>, process runtime, its
// pods stopped when it stops, with NodeArgs and then extra as flags.
func (c *Cluster) newNode(i int, extra ...string) (*component, error) {
	name := fmt.Sprintf("n%d", i+1)
	args := []string{"nodeagent", "--name", name, "--runtime", "process", "--stop-pods-on-exit",
		"--data-dir", filepath.Join(c.cfg.DataDir, "nodes", name)}
	if c.dnsBridge() {
		// The node's proxy serves DNS on the pods' bridge (proxyDNS).
		args = append(args, "--cluster-dns", "bridge")
	}
	args = append(args, c.cfg.NodeFailure.nodeArgs()...)
	args = append(append(args, c.cfg.Workers.NodeArgs...), extra...)
	return c.newComponent(name, 500+2*i, args...)
}

// newWorkers prepares the scheduler, controller and node agents.
func (c *Cluster) newWorkers() error {
	w := c.cfg.Workers
	var err error
	if w.Scheduler {
		if c.scheduler, err = c.newComponent("scheduler", 300, append([]string{"scheduler"}, w.SchedulerArgs...)...); err != nil {
			return err
		}
	}
	if w.Controller {
		args := append([]string{"controller"}, c.cfg.NodeFailure.controllerArgs()...)
		if c.controller, err = c.newComponent("controller", 400, append(args, w.ControllerArgs...)...); err != nil {
			return err
		}
	}
	for i := 0; i < w.Nodes; i++ {
		n, err := c.newNode(i)
		if err != nil {
			return err
		}
		c.nodes = append(c.nodes, n)
		if w.Proxies {
			px, err := c.newProxy(i)
			if err != nil {
				return err
			}
			c.proxies = append(c.proxies, px)
		}
	}
	return nil
}

// AddNode starts one more node agent, named after the last one (n3 after
// n1 and n2), with the workers' NodeArgs followed by args (a later flag
// wins, so args may override NodeArgs such as --cpu). Stop stops it with
// the others and WaitReady waits for its Node too. It must not be called
// concurrently with the Cluster's other methods.
func (c *Cluster) AddNode(args ...string) (*Proc, error) {
	n, err := c.newNode(len(c.nodes), args...)
	if err != nil {
		return nil, err
	}
	if err := n.proc.Start(); err != nil {
		return nil, err
	}
	c.nodes = append(c.nodes, n)
	if c.cfg.Workers.Proxies {
		px, err := c.newProxy(len(c.nodes) - 1)
		if err == nil {
			err = px.proc.Start()
		}
		if err != nil {
			return n.proc, fmt.Errorf("proxy of %s: %w", n.proc.Name, err)
		}
		c.proxies = append(c.proxies, px)
	}
	return n.proc, nil
}

// workerProcs returns the worker processes in start order.
func (c *Cluster) workerProcs() []*Proc {
	var out []*Proc
	for _, w := range []*component{c.scheduler, c.controller} {
		if w != nil {
			out = append(out, w.proc)
		}
	}
	for _, n := range c.nodes {
		out = append(out, n.proc)
	}
	for _, p := range c.proxies {
		out = append(out, p.proc)
	}
	return out
}

// Nodes returns the node agent processes.
func (c *Cluster) Nodes() []*Proc {
	var out []*Proc
	for _, n := range c.nodes {
		out = append(out, n.proc)
	}
	return out
}

// Scheduler and Controller return those processes (nil when not run).
func (c *Cluster) Scheduler() *Proc  { return procOf(c.scheduler) }
func (c *Cluster) Controller() *Proc { return procOf(c.controller) }

func procOf(w *component) *Proc {
	if w == nil {
		return nil
	}
	return w.proc
}

// WorkerAddrs lists each worker's name and gRPC address.
func (c *Cluster) WorkerAddrs() map[string]string {
	out := map[string]string{}
	for _, w := range c.components() {
		if w != nil {
			out[w.proc.Name] = c.addr(w.grpc)
		}
	}
	return out
}

// workersReady checks every worker serves and every node is Ready.
func (c *Cluster) workersReady(ctx context.Context) error {
	for _, w := range c.components() {
		if w == nil {
			continue
		}
		if err := healthy(ctx, c.addr(w.grpc)); err != nil {
			return fmt.Errorf("%s: %w", w.proc.Name, err)
		}
	}
	if len(c.nodes) == 0 {
		return nil
	}
	return c.nodesReady(ctx)
}

// components lists every worker (nil for the ones not run).
func (c *Cluster) components() []*component {
	out := append([]*component{c.scheduler, c.controller}, c.nodes...)
	return append(out, c.proxies...)
}

func healthy(ctx context.Context, addr string) error {
	conn, err := grpc.NewClient(addr, grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	r, err := healthpb.NewHealthClient(conn).Check(cctx, &healthpb.HealthCheckRequest{})
	if err != nil {
		return err
	}
	if r.GetStatus() != healthpb.HealthCheckResponse_SERVING {
		return errors.New("not serving yet")
	}
	return nil
}

func (c *Cluster) nodesReady(ctx context.Context) error {
	conn, err := grpc.NewClient(c.Servers()[0], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return err
	}
	defer conn.Close()
	cctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	resp, err := gantryv1.NewResourceServiceClient(conn).List(cctx, &gantryv1.ListRequest{Kind: "Node"})
	if err != nil {
		return err
	}
	ready := map[string]bool{}
	for _, o := range resp.GetItems() {
		for _, cond := range o.GetNode().GetStatus().GetConditions() {
			if cond.GetType() == "Ready" && cond.GetStatus() == "True" {
				ready[o.GetNode().GetMetadata().GetName()] = true
			}
		}
	}
	for _, n := range c.nodes {
		if !ready[n.proc.Name] {
			return fmt.Errorf("node %s not Ready yet", n.proc.Name)
		}
	}
	return nil
}
