package e2e

import (
	"fmt"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/grpc"
	"google.golang.org/grpc/credentials/insecure"
)

// TestUnschedulablePodThenNodeFits: a pod that asks for more cpu than any
// node has stays Pending with the scheduler's reason (in the condition
// and through SchedulerService.Explain); a node that fits, started later,
// gets it scheduled and running without anyone touching the pod.
func TestUnschedulablePodThenNodeFits(t *testing.T) {
	w := startWorkloadCluster(t, 2, "--cpu", "2")
	const want = "0/2 nodes are available: 2 Insufficient cpu."

	spec := w.serverSpec("v1")
	spec.Containers[0].Resources = &gantryv1.ResourceRequirements{Requests: map[string]string{"cpu": "3"}}
	w.create(apimeta.Wrap(&gantryv1.Pod{
		Metadata: &gantryv1.ObjectMeta{Name: "big", Namespace: "default", Labels: map[string]string{"app": "big"}},
		Spec:     spec,
	}))
	waitFor(t, 30*time.Second, "pod big to be Unschedulable", func() error {
		p, err := w.getPod("big")
		if err != nil {
			return err
		}
		c := condition(p, "PodScheduled")
		if c == nil || c.GetStatus() != "False" || c.GetReason() != "Unschedulable" || c.GetMessage() != want {
			return fmt.Errorf("PodScheduled condition %v, want False, Unschedulable, %q", c, want)
		}
		if p.GetStatus().GetPhase() != "Pending" || p.GetSpec().GetNodeName() != "" {
			t.Fatalf("unschedulable pod: phase %q, node %q", p.GetStatus().GetPhase(), p.GetSpec().GetNodeName())
		}
		return nil
	})
	w.checkExplain("big", want, map[string]bool{"n1": false, "n2": false})
	if procs := w.serverProcs(); len(procs) > 0 {
		t.Fatalf("an unschedulable pod runs processes: %v", procs)
	}

	// A node with 64 cpus joins: the pod is retried and lands there.
	began := time.Now()
	if _, err := w.lc.AddNode("--cpu", "64"); err != nil {
		t.Fatal(err)
	}
	// Within 30 s: n3 is Ready, and the pod scheduled and started, in about 1 s.
	p := w.waitRunningReady(30*time.Second, "app=big", 1)[0]
	if p.GetSpec().GetNodeName() != "n3" {
		t.Fatalf("pod big runs on %q, want n3 (the only node with enough cpu)", p.GetSpec().GetNodeName())
	}
	if c := condition(p, "PodScheduled"); c.GetStatus() != "True" {
		t.Errorf("scheduled pod's PodScheduled condition: %v", c)
	}
	w.checkPodIPs([]*gantryv1.Pod{p})
	w.waitAnswers(30*time.Second, "big")
	w.checkOneProcessEach([]string{"big"})
	t.Logf("pod big Running on n3 and answering %s after n3 started", since(began))
}

// checkExplain asks the scheduler why a pod does not fit: the summary and,
// per node, whether it is feasible (infeasible ones for lack of cpu).
func (w *workloadCluster) checkExplain(pod, summary string, feasible map[string]bool) {
	w.t.Helper()
	conn, err := grpc.NewClient(w.lc.WorkerAddrs()["scheduler"], grpc.WithTransportCredentials(insecure.NewCredentials()))
	if err != nil {
		w.t.Fatal(err)
	}
	defer conn.Close()
	ctx, cancel := w.ctx()
	defer cancel()
	resp, err := gantryv1.NewSchedulerServiceClient(conn).Explain(ctx, &gantryv1.ExplainRequest{Namespace: "default", Name: pod})
	if err != nil {
		w.t.Fatalf("SchedulerService.Explain: %v", err)
	}
	if resp.GetSummary() != summary || resp.GetChosen() != "" || len(resp.GetNodes()) != len(feasible) {
		w.t.Errorf("Explain(%s) = %v, want summary %q, no node chosen, %d nodes", pod, resp, summary, len(feasible))
	}
	for _, v := range resp.GetNodes() {
		want, ok := feasible[v.GetNode()]
		if !ok || v.GetFeasible() != want || (!want && v.GetReason() != "Insufficient cpu") {
			w.t.Errorf("Explain(%s): node %s verdict %v", pod, v.GetNode(), v)
		}
	}
}
