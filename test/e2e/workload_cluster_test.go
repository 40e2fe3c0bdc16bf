package e2e

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/localcluster"
	"google.golang.org/grpc"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/credentials/insecure"
	"google.golang.org/grpc/status"
	"google.golang.org/protobuf/proto"
)

// markerEnv is set in every container a workload test starts, to a value
// unique to the test, so the test finds its container processes in /proc
// (and only its own).
const markerEnv = "GANTRY_E2E_MARKER"

// podServerPort is the port the HTTP server listens on in pods with their
// own network namespace (the same port in every pod, as in Kubernetes).
const podServerPort = "8080"

// workloadCluster is a whole local cluster of real processes — three
// masters, scheduler, controller and node agents (process runtime) — on
// free loopback ports, with helpers for the pods the test runs.
type workloadCluster struct {
	t  *testing.T
	lc *localcluster.Cluster
	cl *client.Client
	// marker is this test's value of markerEnv.
	marker string
	// podNetwork: pods get their own network namespace and IP (root with
	// the CNI plugins); otherwise they share the host network.
	podNetwork bool

	mu   sync.Mutex
	uids map[string]bool // every pod uid the test saw (for the leftover check)
}

// startWorkloadCluster starts the cluster with nodes node agents (extra
// flags for each in nodeArgs) and waits until every node is Ready.
func startWorkloadCluster(t *testing.T, nodes int, nodeArgs ...string) *workloadCluster {
	t.Helper()
	return startWorkloadClusterWith(t, nodes, nil, nodeArgs...)
}

// startWorkloadClusterWith is startWorkloadCluster with tune applied to
// the cluster's config first (nil: none).
func startWorkloadClusterWith(t *testing.T, nodes int, tune func(*localcluster.Config), nodeArgs ...string) *workloadCluster {
	t.Helper()
	lockPodNetwork(t)
	cfg := localcluster.DefaultConfig()
	cfg.Binary, cfg.DataDir, cfg.BasePort = gantryBin, t.TempDir(), 0
	// Ready in about 2 s; a node stuck NotReady until its next heartbeat
	// (40 s) must fail, not pass slowly.
	cfg.ReadyTimeout = 30 * time.Second
	cfg.Workers = localcluster.Workers{Scheduler: true, Controller: true, Nodes: nodes, NodeArgs: nodeArgs}
	if tune != nil {
		tune(&cfg)
	}
	lc, err := localcluster.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	w := &workloadCluster{t: t, lc: lc, marker: randomHex(8), uids: map[string]bool{}}
	// Cleanups run last-registered first: stop the cluster, then check
	// that stopping it left nothing behind.
	t.Cleanup(w.checkLeftovers)
	t.Cleanup(w.stop)
	began := time.Now()
	if err := lc.Start(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), cfg.ReadyTimeout)
	defer cancel()
	if err := lc.WaitReady(ctx); err != nil {
		t.Fatal(err)
	}
	ccfg := client.DefaultConfig()
	ccfg.Servers = lc.Servers()
	if w.cl, err = client.New(ccfg, nil); err != nil {
		t.Fatal(err)
	}
	w.podNetwork = w.networkMode("n1") == "pod-network"
	t.Logf("cluster of 3 masters, scheduler, controller and %d node agents ready in %s; pods on the %s",
		nodes, time.Since(began).Round(time.Millisecond), map[bool]string{true: "pod network", false: "host network"}[w.podNetwork])
	if want := podNetworkExpected(); want != w.podNetwork {
		t.Fatalf("pod network = %v, want %v (root with the CNI plugins gives every pod its own IP)", w.podNetwork, want)
	}
	return w
}

// podNetworkExpected says whether node agents should give pods their own
// network: when running as root with iproute2 and the CNI plugins.
func podNetworkExpected() bool {
	if os.Geteuid() != 0 {
		return false
	}
	for _, p := range []string{"bridge", "host-local", "loopback"} {
		if _, err := os.Stat(filepath.Join("/usr/lib/cni", p)); err != nil {
			if _, err := os.Stat(filepath.Join("/opt/cni/bin", p)); err != nil {
				return false
			}
		}
	}
	_, err := os.Stat("/usr/sbin/ip")
	if err != nil {
		_, err = os.Stat("/sbin/ip")
	}
	return err == nil
}

// podNetworkLockWait bounds the wait for another pod-network cluster.
const podNetworkLockWait = 5 * time.Minute

// lockPodNetwork serialises clusters whose node agents use the pod network
// across every test process on this machine, until the test ends. Their
// bridges (gantry-n1, ...), routes and pod CIDRs (10.244.0.0/24 for the
// first node, ...) are machine-wide: two such clusters at once (two e2e
// runs, from one checkout or two) would share a bridge and hand out the
// same pod IPs. Without the pod network nothing is shared and it does
// nothing.
func lockPodNetwork(t *testing.T) {
	t.Helper()
	if !podNetworkExpected() {
		return
	}
	path := filepath.Join(os.TempDir(), "gantry-e2e-pod-network.lock")
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = f.Close() }) // releases the lock
	began := time.Now()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			break
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			t.Fatalf("lock %s: %v", path, err)
		}
		if time.Since(began) > podNetworkLockWait {
			t.Fatalf("another test process has held %s for %s", path, podNetworkLockWait)
		}
		time.Sleep(100 * time.Millisecond)
	}
	if d := time.Since(began); d > time.Second {
		t.Logf("waited %s for another test process's pod-network cluster to stop", d.Round(time.Millisecond))
	}
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func (w *workloadCluster) stop() {
	if w.cl != nil {
		_ = w.cl.Close()
	}
	w.lc.Stop()
	if d := os.Getenv(keepLogsEnv); d != "" {
		dst := filepath.Join(d, fmt.Sprintf("%s-%s", w.t.Name(), time.Now().Format("150405.000")))
		if err := os.CopyFS(dst, os.DirFS(w.lc.LogDir())); err != nil {
			w.t.Logf("keep logs: %v", err)
		}
	}
	if w.t.Failed() {
		procs := append(append([]*localcluster.Proc{}, w.lc.Masters...), w.lc.Scheduler(), w.lc.Controller())
		for _, p := range append(procs, w.lc.Nodes()...) {
			w.t.Logf("---- last lines of %s ----\n%s", p.LogPath, tail(p.LogPath, 40))
		}
	}
}

// checkLeftovers runs after the cluster stopped (node agents with
// --stop-pods-on-exit): no container process of the test may be left, and
// as root no pod network namespace nor node bridge. Whatever is left is
// reported and killed.
func (w *workloadCluster) checkLeftovers() {
	for pod, pids := range w.serverProcs() {
		w.t.Errorf("container process(es) %v of pod %s still run after the cluster stopped", pids, pod)
		for _, pid := range pids {
			_ = syscall.Kill(pid, syscall.SIGKILL)
		}
	}
	if !w.podNetwork {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	for uid := range w.uids {
		// The node agent names them gantry-<uid> (services/nodeagent/network).
		if _, err := os.Stat(filepath.Join("/var/run/netns", "gantry-"+uid)); err == nil {
			w.t.Errorf("network namespace gantry-%s left behind", uid)
		}
	}
	for _, n := range w.lc.Nodes() {
		if _, err := net.InterfaceByName("gantry-" + n.Name); err == nil {
			w.t.Errorf("bridge gantry-%s left behind", n.Name)
		}
	}
}

func (w *workloadCluster) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), 10*time.Second)
}

// agentStatus asks a node agent for its status (over a connection of its
// own: the agent may have restarted since the last call).
func (w *workloadCluster) agentStatus(node string) (*gantryv1.NodeAgentServiceStatusResponse, error) {
	conn, err := grpc.NewClient(w.lc.WorkerAddrs()[node], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		return nil, err
	}
	defer conn.Close()
	ctx, cancel := w.ctx()
	defer cancel()
	return gantryv1.NewNodeAgentServiceClient(conn).Status(ctx, &gantryv1.NodeAgentServiceStatusRequest{})
}

func (w *workloadCluster) networkMode(node string) string {
	w.t.Helper()
	st, err := w.agentStatus(node)
	if err != nil {
		w.t.Fatalf("%s: NodeAgentService.Status: %v", node, err)
	}
	return st.GetNetworkMode()
}

// create creates an object, failing the test on error.
func (w *workloadCluster) create(o *gantryv1.Object) *gantryv1.Object {
	w.t.Helper()
	ctx, cancel := w.ctx()
	defer cancel()
	out, err := w.cl.Create(ctx, o)
	if err != nil {
		w.t.Fatalf("Create %s %s: %v", apimeta.KindOf(o), apimeta.Meta(o).GetName(), err)
	}
	return out
}

// pods lists the pods matching a label selector (sorted by name).
func (w *workloadCluster) pods(selector string) ([]*gantryv1.Pod, error) {
	items, err := w.list(apimeta.KindPod, selector)
	if err != nil {
		return nil, err
	}
	out := make([]*gantryv1.Pod, 0, len(items))
	for _, o := range items {
		out = append(out, o.GetPod())
	}
	w.seen(out...)
	slices.SortFunc(out, func(a, b *gantryv1.Pod) int { return strings.Compare(podName(a), podName(b)) })
	return out, nil
}

func (w *workloadCluster) list(kind, selector string) ([]*gantryv1.Object, error) {
	ctx, cancel := w.ctx()
	defer cancel()
	ns := "default"
	if kind == apimeta.KindNode {
		ns = "" // cluster-scoped
	}
	resp, err := w.cl.List(ctx, &gantryv1.ListRequest{Kind: kind, Namespace: ns, LabelSelector: selector})
	if err != nil {
		return nil, err
	}
	return resp.GetItems(), nil
}

func (w *workloadCluster) getPod(name string) (*gantryv1.Pod, error) {
	ctx, cancel := w.ctx()
	defer cancel()
	o, err := w.cl.Get(ctx, apimeta.KindPod, "default", name)
	if err != nil {
		return nil, err
	}
	w.seen(o.GetPod())
	return o.GetPod(), nil
}

// seen notes pod uids for the leftover check.
func (w *workloadCluster) seen(pods ...*gantryv1.Pod) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, p := range pods {
		w.uids[p.GetMetadata().GetUid()] = true
	}
}

// serverPod returns a pod that runs the test HTTP server with restart
// policy Always; it answers with its name (POD_NAME from metadata.name).
func (w *workloadCluster) serverSpec(version string) *gantryv1.PodSpec {
	listen := "127.0.0.1:0" // host network: a free port, read from the log
	if w.podNetwork {
		listen = ":" + podServerPort
	}
	return &gantryv1.PodSpec{Containers: []*gantryv1.Container{{
		Name: "server", Image: "gantry-e2e/httpserver", Command: []string{httpServerBin},
		Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080}},
		Env: []*gantryv1.EnvVar{
			{Name: markerEnv, Value: w.marker},
			{Name: "LISTEN_ADDR", Value: listen},
			{Name: "VERSION", Value: version},
			{Name: "POD_NAME", ValueFrom: &gantryv1.EnvVarSource{FieldRef: &gantryv1.ObjectFieldSelector{FieldPath: "metadata.name"}}},
		},
	}}}
}

// updateDeployment reads the Deployment, applies mutate and writes it
// with the resource_version it read, reading again after a conflict
// (the controller writes its status meanwhile).
func (w *workloadCluster) updateDeployment(name string, mutate func(*gantryv1.Deployment)) *gantryv1.Deployment {
	w.t.Helper()
	var out *gantryv1.Deployment
	waitFor(w.t, 20*time.Second, "the Deployment update", func() error {
		ctx, cancel := w.ctx()
		defer cancel()
		o, err := w.cl.Get(ctx, apimeta.KindDeployment, "default", name)
		if err != nil {
			return err
		}
		d := o.GetDeployment()
		mutate(d)
		o, err = w.cl.Update(ctx, apimeta.Wrap(d))
		if status.Code(err) == codes.Aborted {
			return err
		}
		if err != nil {
			w.t.Fatalf("Update Deployment %s: %v", name, err)
		}
		out = o.GetDeployment()
		return nil
	})
	return out
}

// logs returns a container's current log through the apiserver's
// PodService (which proxies it from the node agent).
func (w *workloadCluster) logs(pod string) (string, error) {
	return w.logsOf(&gantryv1.LogsRequest{Namespace: "default", Name: pod})
}

func (w *workloadCluster) logsOf(req *gantryv1.LogsRequest) (string, error) {
	ctx, cancel := w.ctx()
	defer cancel()
	stream, err := gantryv1.NewPodServiceClient(w.cl.Conn()).Logs(ctx, req)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	for {
		r, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return buf.String(), nil
		}
		if err != nil {
			return buf.String(), err
		}
		buf.Write(r.GetData())
	}
}

var listeningRE = regexp.MustCompile(`listening on (\S+)`)

// serverAddr returns where a pod's HTTP server listens: the pod's IP with
// the port its current run printed in its log ("listening on
// HOST:PORT"). With the pod network that is podIP:8080 in every pod; with
// the host network, 127.0.0.1 and a port of the server's choosing.
func (w *workloadCluster) serverAddr(p *gantryv1.Pod) (string, error) {
	ip := p.GetStatus().GetPodIp()
	if ip == "" {
		return "", fmt.Errorf("pod %s has no IP yet", podName(p))
	}
	log, err := w.logs(podName(p))
	if err != nil {
		return "", fmt.Errorf("logs of %s: %w", podName(p), err)
	}
	m := listeningRE.FindAllStringSubmatch(log, -1)
	if len(m) == 0 {
		return "", fmt.Errorf("pod %s has not logged its address yet (log %q)", podName(p), log)
	}
	_, port, err := net.SplitHostPort(m[len(m)-1][1])
	if err != nil {
		return "", err
	}
	return net.JoinHostPort(ip, port), nil
}

var httpClient = &http.Client{Timeout: 2 * time.Second, Transport: &http.Transport{DisableKeepAlives: true}}

// get returns the body of GET http://addr/path.
func httpGet(addr, path string) (string, error) {
	resp, err := httpClient.Get("http://" + addr + path)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return "", err
	}
	if resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("GET %s%s: %s", addr, path, resp.Status)
	}
	return string(b), nil
}

// waitAnswers waits until every named pod's server answers GET / with the
// pod's own name, and returns each pod's address.
func (w *workloadCluster) waitAnswers(timeout time.Duration, names ...string) map[string]string {
	w.t.Helper()
	addrs := map[string]string{}
	waitFor(w.t, timeout, fmt.Sprintf("pods %v to answer with their names", names), func() error {
		for _, name := range names {
			if _, ok := addrs[name]; ok {
				continue
			}
			p, err := w.getPod(name)
			if err != nil {
				return err
			}
			addr, err := w.serverAddr(p)
			if err != nil {
				return err
			}
			got, err := httpGet(addr, "/")
			if err != nil {
				return fmt.Errorf("pod %s: %w", name, err)
			}
			if got != name {
				w.t.Fatalf("pod %s at %s answers %q, want its own name", name, addr, got)
			}
			addrs[name] = addr
		}
		return nil
	})
	return addrs
}

// serverProcs returns the test's container processes by pod name, found
// in /proc by their environment (markerEnv and POD_NAME).
func (w *workloadCluster) serverProcs() map[string][]int {
	out := map[string][]int{}
	entries, _ := os.ReadDir("/proc")
	want := markerEnv + "=" + w.marker
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "environ"))
		env := strings.Split(string(b), "\x00")
		if err != nil || !slices.Contains(env, want) {
			continue // gone meanwhile, or not ours
		}
		for _, kv := range env {
			if name, ok := strings.CutPrefix(kv, "POD_NAME="); ok {
				out[name] = append(out[name], pid)
			}
		}
	}
	return out
}

// onePid returns the one container process of a pod, failing the test if
// there is not exactly one.
func (w *workloadCluster) onePid(pod string) int {
	w.t.Helper()
	pids := w.serverProcs()[pod]
	if len(pids) != 1 {
		w.t.Fatalf("pod %s has container processes %v, want exactly one", pod, pids)
	}
	return pids[0]
}

func podName(p *gantryv1.Pod) string { return p.GetMetadata().GetName() }

func podNames(pods []*gantryv1.Pod) []string {
	out := make([]string, len(pods))
	for i, p := range pods {
		out[i] = podName(p)
	}
	return out
}

// condition returns a pod's condition of the given type, or nil.
func condition(p *gantryv1.Pod, typ string) *gantryv1.Condition {
	for _, c := range p.GetStatus().GetConditions() {
		if c.GetType() == typ {
			return c
		}
	}
	return nil
}

// terminating: the pod is being deleted or has finished.
func terminating(p *gantryv1.Pod) bool {
	ph := p.GetStatus().GetPhase()
	return p.GetMetadata().GetDeletionTimestamp() != nil || ph == "Succeeded" || ph == "Failed"
}

// runningReady: Running, Ready, and not terminating.
func runningReady(p *gantryv1.Pod) bool {
	c := condition(p, "Ready")
	return !terminating(p) && p.GetStatus().GetPhase() == "Running" && c != nil && c.GetStatus() == "True"
}

// restarts returns the pod's first container's restart count.
func restarts(p *gantryv1.Pod) int32 {
	cs := p.GetStatus().GetContainerStatuses()
	if len(cs) == 0 {
		return 0
	}
	return cs[0].GetRestartCount()
}

// waitRunningReady waits until exactly n pods match the selector, all
// Running and Ready (none terminating), and returns them.
func (w *workloadCluster) waitRunningReady(timeout time.Duration, selector string, n int) []*gantryv1.Pod {
	w.t.Helper()
	var out []*gantryv1.Pod
	waitFor(w.t, timeout, fmt.Sprintf("exactly %d pods %s Running and Ready", n, selector), func() error {
		pods, err := w.pods(selector)
		if err != nil {
			return err
		}
		var notReady []string
		for _, p := range pods {
			if !runningReady(p) {
				notReady = append(notReady, fmt.Sprintf("%s (%s, node %q)", podName(p), p.GetStatus().GetPhase(), p.GetSpec().GetNodeName()))
			}
		}
		if len(pods) != n || len(notReady) > 0 {
			return fmt.Errorf("%d pods %v; not ready: %v", len(pods), podNames(pods), notReady)
		}
		out = pods
		return nil
	})
	return out
}

// checkPodIPs checks each pod's IP: its own address in its node's pod CIDR
// with the pod network, the node's address (127.0.0.1) otherwise.
func (w *workloadCluster) checkPodIPs(pods []*gantryv1.Pod) {
	w.t.Helper()
	cidrs := map[string]*net.IPNet{}
	if w.podNetwork {
		nodes, err := w.list(apimeta.KindNode, "")
		if err != nil {
			w.t.Fatal(err)
		}
		for _, o := range nodes {
			if _, n, err := net.ParseCIDR(o.GetNode().GetSpec().GetPodCidr()); err == nil {
				cidrs[o.GetNode().GetMetadata().GetName()] = n
			}
		}
	}
	seen := map[string]string{}
	for _, p := range pods {
		ip := p.GetStatus().GetPodIp()
		if !w.podNetwork {
			if ip != "127.0.0.1" {
				w.t.Errorf("pod %s on the host network has IP %q, want the node's 127.0.0.1", podName(p), ip)
			}
			continue
		}
		cidr := cidrs[p.GetSpec().GetNodeName()]
		if parsed := net.ParseIP(ip); cidr == nil || parsed == nil || !cidr.Contains(parsed) {
			w.t.Errorf("pod %s on %s has IP %q, not in its node's pod CIDR %v", podName(p), p.GetSpec().GetNodeName(), ip, cidr)
		}
		if other, dup := seen[ip]; dup {
			w.t.Errorf("pods %s and %s share IP %s", other, podName(p), ip)
		}
		seen[ip] = podName(p)
	}
}

// deploymentObject is a Deployment of the HTTP server with labels
// app=name, rolling update with the given bounds.
func (w *workloadCluster) deploymentObject(name string, replicas int32, maxSurge, maxUnavailable string) *gantryv1.Object {
	labels := map[string]string{"app": name}
	return apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: name, Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{
			Replicas: proto.Int32(replicas),
			Selector: &gantryv1.LabelSelector{MatchLabels: labels},
			Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: labels}, Spec: w.serverSpec("v1")},
			Strategy: &gantryv1.DeploymentStrategy{Type: "RollingUpdate",
				RollingUpdate: &gantryv1.RollingUpdateDeployment{MaxSurge: maxSurge, MaxUnavailable: maxUnavailable}},
		},
	})
}

// since formats the time since t for a test log.
func since(t time.Time) string { return time.Since(t).Round(10 * time.Millisecond).String() }
