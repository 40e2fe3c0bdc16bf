package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/proto"
)

// TestEvents rolls a Deployment out on a whole local cluster and reads
// the story back from its Events: ScalingReplicaSet on the Deployment,
// SuccessfulCreate on its ReplicaSet, Scheduled, Created and Started on
// each pod, Starting and NodeReady on the node, Unhealthy and Killing for
// a container that fails its liveness probe — through the API, through
// gantryctl get events (oldest first) and through gantryctl describe.
func TestEvents(t *testing.T) {
	w := startWorkloadCluster(t, 1)
	labels := map[string]string{"app": "evented"}
	sleeper := func() *gantryv1.PodSpec {
		return &gantryv1.PodSpec{Containers: []*gantryv1.Container{{Name: "main", Image: "busybox", Command: []string{"sleep", "1000"},
			Env: []*gantryv1.EnvVar{{Name: markerEnv, Value: w.marker}}}}}
	}
	began := time.Now()
	w.create(apimeta.Wrap(&gantryv1.Deployment{
		Metadata: &gantryv1.ObjectMeta{Name: "evented", Namespace: "default"},
		Spec: &gantryv1.DeploymentSpec{Replicas: proto.Int32(2), Selector: &gantryv1.LabelSelector{MatchLabels: labels},
			Template: &gantryv1.PodTemplateSpec{Metadata: &gantryv1.ObjectMeta{Labels: labels}, Spec: sleeper()}},
	}))
	pods := w.waitRunningReady(60*time.Second, "app=evented", 2)
	rs := pods[0].GetMetadata().GetOwnerReferences()[0].GetName()
	want := []string{
		"Deployment/evented Normal ScalingReplicaSet deployment-controller: Scaled up replica set " + rs + " from 0 to 2",
		"Node/n1 Normal Starting nodeagent/n1: Starting node agent.",
		"Node/n1 Normal NodeReady nodeagent/n1: Node n1 status is now: NodeReady",
	}
	for _, p := range pods {
		n := podName(p)
		want = append(want,
			"ReplicaSet/"+rs+" Normal SuccessfulCreate replicaset-controller: Created pod: "+n,
			"Pod/"+n+" Normal Scheduled default-scheduler: Successfully assigned default/"+n+" to n1",
			"Pod/"+n+" Normal Created nodeagent/n1: Created container main",
			"Pod/"+n+" Normal Started nodeagent/n1: Started container main")
	}
	w.waitEvents(want...)
	t.Logf("the rollout's %d events recorded within %s", len(want), since(began))

	// get events: oldest first (by last seen), the rollout in its order.
	got := w.gantryctl("", "get", "events")
	if got.code != 0 || !regexp.MustCompile(`(?s)^LAST SEEN\s+TYPE\s+REASON\s+OBJECT\s+MESSAGE\n.*ScalingReplicaSet\s+deployment/evented\s+Scaled up replica set`).MatchString(got.stdout) {
		t.Fatalf("gantryctl get events: %+v", got)
	}
	got = w.gantryctl("", "get", "events", "-o", "json")
	var list struct {
		Items []struct {
			LastTimestamp time.Time `json:"lastTimestamp"`
			Reason        string    `json:"reason"`
		} `json:"items"`
	}
	if err := json.Unmarshal([]byte(got.stdout), &list); err != nil || len(list.Items) < len(want) {
		t.Fatalf("get events -o json: %v, %d items: %+v", err, len(list.Items), got)
	}
	for i := 1; i < len(list.Items); i++ {
		if list.Items[i].LastTimestamp.Before(list.Items[i-1].LastTimestamp) {
			t.Errorf("get events: %s (%s) listed after %s (%s)", list.Items[i].Reason, list.Items[i].LastTimestamp,
				list.Items[i-1].Reason, list.Items[i-1].LastTimestamp)
		}
	}

	// describe shows each object's own events.
	p0 := podName(pods[0])
	w.mustDescribe([]string{"pod", p0},
		`(?m)^Events:\n\s+Type\s+Reason\s+Age\s+From\s+Message\n`,
		`(?m)^\s+Normal\s+Scheduled\s+\S+\s+default-scheduler\s+Successfully assigned default/`+p0+` to n1$`,
		`(?m)^\s+Normal\s+Started\s+\S+\s+nodeagent\s+Started container main$`)
	w.mustDescribe([]string{"deployment", "evented"},
		`(?m)^\s+Normal\s+ScalingReplicaSet\s+\S+\s+deployment-controller\s+Scaled up replica set `+rs+` from 0 to 2$`)
	w.mustDescribe([]string{"node", "n1"}, `(?m)^\s+Normal\s+NodeReady\s+.*\s+nodeagent\s+Node n1 status is now: NodeReady$`)

	// A container failing its liveness probe: one Unhealthy event per
	// failed probe (counted up on one Event), Killing when it is killed.
	spec := sleeper()
	spec.Containers[0].LivenessProbe = &gantryv1.Probe{Exec: &gantryv1.ExecAction{Command: []string{"false"}}, PeriodSeconds: 1, FailureThreshold: 1}
	w.create(apimeta.Wrap(&gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "unhealthy", Namespace: "default"},
		Spec: &gantryv1.PodSpec{Containers: spec.Containers}}))
	w.waitEvents(
		"Pod/unhealthy Warning Unhealthy nodeagent/n1: Liveness probe failed: ",
		"Pod/unhealthy Normal Killing nodeagent/n1: Container main failed liveness probe, will be restarted")
	w.mustDescribe([]string{"pod", "unhealthy"},
		`(?m)^\s+Warning\s+Unhealthy\s+.*nodeagent\s+Liveness probe failed: `,
		`(?m)^\s+Normal\s+Killing\s+.*nodeagent\s+Container main failed liveness probe, will be restarted$`)
}

// events lists the events of namespace default as "Kind/name Type Reason
// component[/host]: message".
func (w *workloadCluster) events() ([]string, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := w.cl.ListAll(ctx, &gantryv1.ListRequest{Kind: apimeta.KindEvent, Namespace: "default"})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range resp.GetItems() {
		e := o.GetEvent()
		src := e.GetSource().GetComponent()
		if h := e.GetSource().GetHost(); h != "" {
			src += "/" + h
		}
		out = append(out, fmt.Sprintf("%s/%s %s %s %s: %s", e.GetInvolvedObject().GetKind(), e.GetInvolvedObject().GetName(),
			e.GetType(), e.GetReason(), src, e.GetMessage()))
	}
	return out, nil
}

// waitEvents waits until each of want starts one of the events.
func (w *workloadCluster) waitEvents(want ...string) {
	w.t.Helper()
	waitFor(w.t, 60*time.Second, "the events", func() error {
		got, err := w.events()
		if err != nil {
			return err
		}
		for _, wnt := range want {
			found := false
			for _, g := range got {
				found = found || strings.HasPrefix(g, wnt)
			}
			if !found {
				return fmt.Errorf("no event %q among:\n%s", wnt, strings.Join(got, "\n"))
			}
		}
		return nil
	})
}

// mustDescribe runs gantryctl describe and checks its output.
func (w *workloadCluster) mustDescribe(args []string, res ...string) {
	w.t.Helper()
	got := w.gantryctl("", append([]string{"describe"}, args...)...)
	if got.code != 0 {
		w.t.Fatalf("gantryctl describe %v: %+v", args, got)
	}
	for _, re := range res {
		if !regexp.MustCompile(re).MatchString(got.stdout) {
			w.t.Errorf("gantryctl describe %v: no match for %s in:\n%s", args, re, got.stdout)
		}
	}
}
