package prober

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"go.uber.org/zap/zaptest"
	"google.golang.org/grpc"
	"google.golang.org/grpc/health"
	"google.golang.org/protobuf/proto"

	healthpb "google.golang.org/grpc/health/grpc_health_v1"
)

func hostPort(t *testing.T, addr string) (string, string) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	return h, p
}

func TestHTTPProbe(t *testing.T) {
	var elsewhere atomic.Int32
	other := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) }))
	defer other.Close()
	var seen atomic.Pointer[http.Request]
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Store(r.Clone(context.Background()))
		switch r.URL.Path {
		case "/ok":
			fmt.Fprint(w, "fine")
		case "/big":
			// More than maxBody: only that much is read.
			_, _ = w.Write(make([]byte, 1<<20))
		case "/redirect":
			http.Redirect(w, r, other.URL+"/", http.StatusFound)
		case "/hang":
			<-r.Context().Done()
		default:
			http.Error(w, "broken", http.StatusInternalServerError)
		}
	}))
	defer srv.Close()
	ip, port := hostPort(t, srv.Listener.Addr().String())
	m := New(DefaultConfig(), nil, nil, zaptest.NewLogger(t))
	pod := Pod{UID: "u1", IP: ip}
	c := &gantryv1.Container{Name: "app", Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 1}}}
	c.Ports[0].ContainerPort = int32(mustAtoi(t, port))
	// Answers get a generous timeout (a loaded machine, -race); only the
	// hanging path is meant to time out.
	timeout := 10 * time.Second
	probe := func(path string, hdrs ...*gantryv1.HTTPHeader) (result, string) {
		spec := &gantryv1.Probe{HttpGet: &gantryv1.HTTPGetAction{Path: path, Port: "http", Scheme: "HTTP", HttpHeaders: hdrs}}
		return m.check(context.Background(), spec, c, pod, timeout)
	}
	if res, msg := probe("/ok?x=1", &gantryv1.HTTPHeader{Name: "X-Probe", Value: "yes"}, &gantryv1.HTTPHeader{Name: "Host", Value: "app.local"}); res != success {
		t.Fatalf("/ok: %v %q", res, msg)
	}
	r := seen.Load()
	if r.URL.RawQuery != "x=1" || r.Header.Get("X-Probe") != "yes" || r.Host != "app.local" || !strings.HasPrefix(r.UserAgent(), "gantry-probe/") {
		t.Fatalf("request: query %q, headers %v, host %q", r.URL.RawQuery, r.Header, r.Host)
	}
	if res, msg := probe("missing"); res != failure || msg != "HTTP probe failed with statuscode: 500" {
		t.Fatalf("500: %v %q", res, msg)
	}
	if res, _ := probe("/big"); res != success {
		t.Fatalf("/big: %v", res)
	}
	if res, msg := probe("/redirect"); res != success || elsewhere.Load() != 0 {
		t.Fatalf("redirect: %v %q, redirect target got %d requests (a probe never follows one)", res, msg, elsewhere.Load())
	}
	began := time.Now()
	timeout = 200 * time.Millisecond
	if res, msg := probe("/hang"); res != failure || !strings.Contains(msg, "timed out after 200ms") {
		t.Fatalf("hang: %v %q", res, msg)
	}
	if d := time.Since(began); d > 5*time.Second {
		t.Fatalf("timed-out probe took %s", d)
	}
	// A server that is gone fails the probe.
	timeout = 10 * time.Second
	srv.Close()
	if res, msg := probe("/ok"); res != failure || !strings.Contains(msg, "connection refused") {
		t.Fatalf("closed server: %v %q", res, msg)
	}
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	var n int
	if _, err := fmt.Sscan(s, &n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestTCPProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	ip, port := hostPort(t, l.Addr().String())
	m := New(DefaultConfig(), nil, nil, zaptest.NewLogger(t))
	spec := &gantryv1.Probe{TcpSocket: &gantryv1.TCPSocketAction{Port: port}}
	c := &gantryv1.Container{Name: "app"}
	if res, msg := m.check(context.Background(), spec, c, Pod{IP: ip}, time.Second); res != success {
		t.Fatalf("open port: %v %q", res, msg)
	}
	l.Close()
	if res, msg := m.check(context.Background(), spec, c, Pod{IP: ip}, time.Second); res != failure || !strings.Contains(msg, "refused") {
		t.Fatalf("closed port: %v %q", res, msg)
	}
}

// stubExec is an Execer whose answer a test sets.
type stubExec struct {
	calls atomic.Int32
	last  atomic.Pointer[runtime.ExecOptions]
	fn    atomic.Pointer[func(ctx context.Context, o runtime.ExecOptions) (int, error)]
}

func (s *stubExec) set(fn func(ctx context.Context, o runtime.ExecOptions) (int, error)) {
	s.fn.Store(&fn)
}

func (s *stubExec) exit(code int, out string) {
	s.set(func(_ context.Context, o runtime.ExecOptions) (int, error) {
		fmt.Fprint(o.Stdout, out)
		return code, nil
	})
}

func (s *stubExec) Exec(ctx context.Context, o runtime.ExecOptions) (int, error) {
	s.calls.Add(1)
	s.last.Store(&o)
	return (*s.fn.Load())(ctx, o)
}

func TestExecProbe(t *testing.T) {
	ex := &stubExec{}
	m := New(DefaultConfig(), ex, nil, zaptest.NewLogger(t))
	spec := &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"test", "-f", "/ready"}}}
	c := &gantryv1.Container{Name: "app"}
	check := func(timeout time.Duration) (result, string) {
		return m.check(context.Background(), spec, c, Pod{UID: "u1"}, timeout)
	}
	ex.exit(0, "")
	if res, _ := check(time.Second); res != success {
		t.Fatalf("exit 0: %v", res)
	}
	if o := ex.last.Load(); o.PodUID != "u1" || o.Container != "app" || strings.Join(o.Command, " ") != "test -f /ready" || o.TTY || o.Stdin != nil {
		t.Fatalf("exec options %+v", o)
	}
	ex.exit(1, "  not ready yet\n")
	if res, msg := check(time.Second); res != failure || msg != "not ready yet" {
		t.Fatalf("exit 1: %v %q", res, msg)
	}
	ex.exit(2, "")
	if res, msg := check(time.Second); res != failure || msg != `command "test -f /ready" exited with 2` {
		t.Fatalf("exit 2 quietly: %v %q", res, msg)
	}
	ex.exit(1, strings.Repeat("x", 1<<20))
	if res, msg := check(time.Second); res != failure || len(msg) > maxMessage+3 {
		t.Fatalf("huge output: %v, message of %d bytes", res, len(msg))
	}
	// The runtime kills a command whose context ends: the timeout.
	ex.set(func(ctx context.Context, _ runtime.ExecOptions) (int, error) {
		<-ctx.Done()
		return 137, ctx.Err()
	})
	if res, msg := check(30 * time.Millisecond); res != failure || !strings.Contains(msg, "timed out after 30ms") {
		t.Fatalf("timeout: %v %q", res, msg)
	}
	ex.set(func(context.Context, runtime.ExecOptions) (int, error) {
		return runtime.ExitNotFound, &runtime.ExecStartError{Code: runtime.ExitNotFound, Err: errors.New(`"test": not found`)}
	})
	if res, msg := check(time.Second); res != failure || !strings.Contains(msg, "not found") {
		t.Fatalf("cannot start: %v %q", res, msg)
	}
	// A container that exited under the probe says nothing of its health.
	ex.set(func(context.Context, runtime.ExecOptions) (int, error) { return 0, runtime.ErrNotRunning })
	if res, _ := check(time.Second); res != unknown {
		t.Fatalf("not running: %v", res)
	}
}

func TestGRPCProbe(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := grpc.NewServer()
	hs := health.NewServer()
	healthpb.RegisterHealthServer(srv, hs)
	go func() { _ = srv.Serve(l) }()
	defer srv.Stop()
	hs.SetServingStatus("app", healthpb.HealthCheckResponse_SERVING)
	ip, port := hostPort(t, l.Addr().String())
	m := New(DefaultConfig(), nil, nil, zaptest.NewLogger(t))
	probe := func(service *string) (result, string) {
		spec := &gantryv1.Probe{Grpc: &gantryv1.GRPCAction{Port: int32(mustAtoi(t, port)), Service: service}}
		return m.check(context.Background(), spec, &gantryv1.Container{Name: "app"}, Pod{IP: ip}, 5*time.Second)
	}
	if res, msg := probe(nil); res != success {
		t.Fatalf("server: %v %q", res, msg)
	}
	if res, msg := probe(proto.String("app")); res != success {
		t.Fatalf("app: %v %q", res, msg)
	}
	hs.SetServingStatus("app", healthpb.HealthCheckResponse_NOT_SERVING)
	if res, msg := probe(proto.String("app")); res != failure || !strings.Contains(msg, "NOT_SERVING") {
		t.Fatalf("not serving: %v %q", res, msg)
	}
	if res, msg := probe(proto.String("other")); res != failure {
		t.Fatalf("unknown service: %v %q", res, msg)
	}
}

func TestProbeTargets(t *testing.T) {
	c := &gantryv1.Container{Name: "app", Ports: []*gantryv1.ContainerPort{{Name: "http", ContainerPort: 8080}}}
	pod := Pod{IP: "10.244.0.5"}
	cases := []struct {
		pod        Pod
		host, port string
		want       string
	}{
		{pod, "", "http", "10.244.0.5:8080"},
		{pod, "10.244.0.5", "81", "10.244.0.5:81"},
		{pod, "127.0.0.1", "81", ""},       // the node's loopback is not the pod's
		{pod, "169.254.169.254", "80", ""}, // nor anywhere else
		{pod, "", "metrics", ""},           // no such port
		{pod, "", "0", ""},
		{Pod{IP: "127.0.0.1", HostNetwork: true}, "127.0.0.2", "http", "127.0.0.2:8080"},
		{Pod{IP: "127.0.0.1", HostNetwork: true}, "10.0.0.1", "http", ""},
		{Pod{}, "", "http", ""}, // no IP yet
	}
	for _, tc := range cases {
		got, err := address(tc.pod, c, tc.host, tc.port)
		if tc.want == "" {
			if !errors.Is(err, errConfig) {
				t.Errorf("address(%+v, %q, %q) = %q, %v; want a config error", tc.pod, tc.host, tc.port, got, err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("address(%+v, %q, %q) = %q, %v; want %s", tc.pod, tc.host, tc.port, got, err, tc.want)
		}
	}
}
