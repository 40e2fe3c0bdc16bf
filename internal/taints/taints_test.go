package taints

import (
	"testing"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func secs(s int64) *int64 { return &s }

func TestTolerates(t *testing.T) {
	unreach := &gantryv1.Taint{Key: Unreachable, Effect: NoExecute}
	for _, c := range []struct {
		name string
		tol  *gantryv1.Toleration
		want bool
	}{
		{"exact Exists", &gantryv1.Toleration{Key: Unreachable, Operator: "Exists", Effect: NoExecute}, true},
		{"Kubernetes alias", &gantryv1.Toleration{Key: KubernetesUnreachable, Operator: "Exists"}, true},
		{"alias of the other taint", &gantryv1.Toleration{Key: KubernetesNotReady, Operator: "Exists"}, false},
		{"everything", &gantryv1.Toleration{Operator: "Exists"}, true},
		{"other effect", &gantryv1.Toleration{Key: Unreachable, Operator: "Exists", Effect: NoSchedule}, false},
		{"other key", &gantryv1.Toleration{Key: NotReady, Operator: "Exists"}, false},
		{"Equal empty value", &gantryv1.Toleration{Key: Unreachable}, true},
		{"Equal other value", &gantryv1.Toleration{Key: Unreachable, Value: "x"}, false},
		{"unknown operator", &gantryv1.Toleration{Key: Unreachable, Operator: "Gt"}, false},
		{"nil", nil, false},
	} {
		if got := Tolerates(c.tol, unreach); got != c.want {
			t.Errorf("%s: Tolerates = %v, want %v", c.name, got, c.want)
		}
	}
}

func TestTolerationTime(t *testing.T) {
	taint := &gantryv1.Taint{Key: NotReady, Effect: NoExecute}
	exists := func(key string, s *int64) *gantryv1.Toleration {
		return &gantryv1.Toleration{Key: key, Operator: "Exists", Effect: NoExecute, TolerationSeconds: s}
	}
	for _, c := range []struct {
		name   string
		tols   []*gantryv1.Toleration
		want   time.Duration
		wantOK bool
	}{
		{"none", nil, Forever, false},
		{"unrelated", []*gantryv1.Toleration{exists("other", secs(5))}, Forever, false},
		{"forever", []*gantryv1.Toleration{exists(NotReady, nil)}, Forever, true},
		{"300s", []*gantryv1.Toleration{exists(NotReady, secs(300))}, 300 * time.Second, true},
		{"shortest wins", []*gantryv1.Toleration{exists(NotReady, secs(300)), exists("", secs(30)), exists(NotReady, nil)}, 30 * time.Second, true},
		{"negative is zero", []*gantryv1.Toleration{exists(NotReady, secs(-4))}, 0, true},
	} {
		got, ok := TolerationTime(c.tols, taint)
		if got != c.want || ok != c.wantOK {
			t.Errorf("%s: TolerationTime = %v, %v; want %v, %v", c.name, got, ok, c.want, c.wantOK)
		}
	}
}

func TestHasDefaultToleration(t *testing.T) {
	for _, c := range []struct {
		name string
		tols []*gantryv1.Toleration
		want bool
	}{
		{"none", nil, false},
		{"own key", []*gantryv1.Toleration{{Key: Unreachable, Operator: "Exists", Effect: NoExecute}}, true},
		{"Kubernetes key, any effect", []*gantryv1.Toleration{{Key: KubernetesUnreachable, Operator: "Exists"}}, true},
		{"everything", []*gantryv1.Toleration{{Operator: "Exists"}}, true},
		{"NoSchedule only", []*gantryv1.Toleration{{Key: Unreachable, Operator: "Exists", Effect: NoSchedule}}, false},
		{"other taint", []*gantryv1.Toleration{{Key: NotReady, Operator: "Exists"}}, false},
		{"nil entry", []*gantryv1.Toleration{nil}, false},
	} {
		if got := HasDefaultToleration(c.tols, Unreachable); got != c.want {
			t.Errorf("%s: HasDefaultToleration = %v, want %v", c.name, got, c.want)
		}
	}
	d := DefaultToleration(NotReady, 300)
	if d.GetKey() != NotReady || d.GetOperator() != "Exists" || d.GetEffect() != NoExecute || d.GetTolerationSeconds() != 300 {
		t.Errorf("DefaultToleration = %v", d)
	}
}
