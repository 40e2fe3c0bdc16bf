package nodeagent

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/testutil"
)

// eventsOf lists the events about the object with uid in namespace, as
// "Type Reason Message xCount (component/host fieldPath)".
func (e *env) eventsOf(ns, uid string) ([]string, error) {
	resp, err := e.res.List(context.Background(), &gantryv1.ListRequest{Kind: "Event", Namespace: ns, FieldSelector: "involvedObject.uid=" + uid})
	if err != nil {
		return nil, err
	}
	var out []string
	for _, o := range resp.GetItems() {
		ev := o.GetEvent()
		out = append(out, fmt.Sprintf("%s %s %s x%d (%s/%s %s)", ev.GetType(), ev.GetReason(), ev.GetMessage(), ev.GetCount(),
			ev.GetSource().GetComponent(), ev.GetSource().GetHost(), ev.GetInvolvedObject().GetFieldPath()))
	}
	return out, nil
}

// waitEvents waits until every want is a substring of one of the events.
func (e *env) waitEvents(ns, uid string, want ...string) {
	e.t.Helper()
	testutil.Eventually(e.t, 30*time.Second, func() error {
		got, err := e.eventsOf(ns, uid)
		if err != nil {
			return err
		}
		for _, w := range want {
			found := false
			for _, g := range got {
				found = found || strings.Contains(g, w)
			}
			if !found {
				return fmt.Errorf("no event %q among %q", w, got)
			}
		}
		return nil
	})
}

// The agent records its node's and its pods' events: a crash-looping
// container's starts count up on one Event, its back-off on another.
func TestAgentRecordsEvents(t *testing.T) {
	e := newEnv(t)
	e.start(e.testConfig("n1", t.TempDir()))
	var node *gantryv1.Object
	testutil.Eventually(t, 10*time.Second, func() (err error) {
		node, err = e.get("Node", "", "n1")
		return err
	})
	e.waitEvents("default", node.GetNode().GetMetadata().GetUid(),
		"Normal Starting Starting node agent. x1 (nodeagent/n1 )",
		"Normal NodeReady Node n1 status is now: NodeReady x1 (nodeagent/n1 )")

	sleeper := e.createPod(shPod("sleeper", "n1", `sleep 1000`))
	crash := e.createPod(shPod("crash", "n1", `exit 3`))
	e.waitEvents("default", sleeper.GetMetadata().GetUid(),
		"Normal Created Created container main x1 (nodeagent/n1 spec.containers{main})",
		"Normal Started Started container main x1 (nodeagent/n1 spec.containers{main})")
	crashUID := crash.GetMetadata().GetUid()
	e.waitEvents("default", crashUID,
		"Warning BackOff Back-off restarting failed container main in pod crash_default("+crashUID+")")
	testutil.Eventually(t, 30*time.Second, func() error {
		got, err := e.eventsOf("default", crashUID)
		if err != nil {
			return err
		}
		for _, g := range got {
			var n int
			if _, err := fmt.Sscanf(g[strings.Index(g, " x")+2:], "%d", &n); err == nil && strings.HasPrefix(g, "Normal Started") && n >= 3 {
				return nil
			}
		}
		return fmt.Errorf("no Started event counted 3 times: %q", got)
	})

	if _, err := e.res.Delete(context.Background(), &gantryv1.DeleteRequest{Kind: "Pod", Namespace: "default", Name: "sleeper"}); err != nil {
		t.Fatal(err)
	}
	e.waitEvents("default", sleeper.GetMetadata().GetUid(), "Normal Killing Stopping container main x1 (nodeagent/n1 spec.containers{main})")
}
