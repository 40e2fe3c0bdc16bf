package nodeagent

import (
	"context"
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/testutil"
	"google.golang.org/protobuf/proto"
)

// TestPodGetsServiceEnvironment: a pod created after Services gets their
// variables, kubelet-style, for the Services of its namespace that have a
// cluster IP; its own env wins; enableServiceLinks: false turns them off.
func TestPodGetsServiceEnvironment(t *testing.T) {
	e := newEnv(t)
	e.start(e.testConfig("n1", t.TempDir()))
	create := func(o *gantryv1.Object) *gantryv1.Object {
		t.Helper()
		resp, err := e.res.Create(context.Background(), &gantryv1.CreateRequest{Object: o})
		if err != nil {
			t.Fatal(err)
		}
		return resp.GetObject()
	}
	svc := func(ns, name, ip string, ports ...*gantryv1.ServicePort) *gantryv1.Object {
		return apimeta.Wrap(&gantryv1.Service{Metadata: &gantryv1.ObjectMeta{Namespace: ns, Name: name},
			Spec: &gantryv1.ServiceSpec{ClusterIp: ip, Ports: ports, Selector: map[string]string{"app": name}}})
	}
	create(apimeta.Wrap(&gantryv1.Namespace{Metadata: &gantryv1.ObjectMeta{Name: "other"}}))
	web := create(svc("default", "my-web", "", &gantryv1.ServicePort{Name: "http", Port: 80},
		&gantryv1.ServicePort{Name: "dns", Port: 53, Protocol: "UDP"}))
	ip := web.GetService().GetSpec().GetClusterIp()
	create(svc("default", "db", "None", &gantryv1.ServicePort{Port: 5432}))
	create(svc("default", "override", "", &gantryv1.ServicePort{Port: 81}))
	create(svc("other", "far", "", &gantryv1.ServicePort{Port: 82}))

	script := `echo "host=$MY_WEB_SERVICE_HOST port=$MY_WEB_SERVICE_PORT http=$MY_WEB_SERVICE_PORT_HTTP dns=$MY_WEB_SERVICE_PORT_DNS"
echo "link=$MY_WEB_PORT udp=$MY_WEB_PORT_53_UDP_ADDR:$MY_WEB_PORT_53_UDP_PORT/$MY_WEB_PORT_53_UDP_PROTO"
echo "db=${DB_SERVICE_HOST:-none} far=${FAR_SERVICE_HOST:-none} override=$OVERRIDE_SERVICE_HOST late=${LATE_SERVICE_HOST:-none}"
exec sleep 1000`
	reader := shPod("reader", "n1", script)
	reader.Spec.Containers[0].Env = []*gantryv1.EnvVar{{Name: "OVERRIDE_SERVICE_HOST", Value: "mine"}}
	e.createPod(reader)
	noLinks := shPod("nolinks", "n1", `echo "host=${MY_WEB_SERVICE_HOST:-none}"; exec sleep 1000`)
	noLinks.Spec.EnableServiceLinks = proto.Bool(false)
	e.createPod(noLinks)

	want := fmt.Sprintf("host=%s port=80 http=80 dns=53\nlink=tcp://%s:80 udp=%s:53/udp\ndb=none far=none override=mine late=none\n", ip, ip, ip)
	e.waitPod("reader", 20*time.Second, running)
	testutil.Eventually(t, 10*time.Second, func() error {
		if got, err := e.logs(&gantryv1.LogsRequest{Name: "reader"}); err != nil || got != want {
			return fmt.Errorf("reader's env:\n%s(err %v)\nwant:\n%s", got, err, want)
		}
		return nil
	})
	e.waitPod("nolinks", 20*time.Second, running)
	testutil.Eventually(t, 10*time.Second, func() error {
		if got, err := e.logs(&gantryv1.LogsRequest{Name: "nolinks"}); err != nil || got != "host=none\n" {
			return fmt.Errorf("nolinks pod's env: %q, %v", got, err)
		}
		return nil
	})
}
