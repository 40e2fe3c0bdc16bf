package ctl

import (
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func TestSplitExecArgs(t *testing.T) {
	for _, tc := range []struct {
		args    []string
		dash    int
		target  string
		command string
		err     string
	}{
		{[]string{"web", "sh", "-c", "echo hi"}, 1, "web", "sh|-c|echo hi", ""},
		{[]string{"deploy/web", "ls"}, 1, "deploy/web", "ls", ""},
		{nil, -1, "", "", "a pod is required"},
		{[]string{"ls"}, 0, "", "", "a pod is required"},
		{[]string{"web"}, -1, "", "", "a command is required"},
		{[]string{"web"}, 1, "", "", "a command is required"},
		{[]string{"web", "ls"}, -1, "", "", "use gantryctl exec web -- ls"},
		{[]string{"web", "db", "ls"}, 2, "", "", "one pod before --"},
	} {
		target, command, err := splitExecArgs(tc.args, tc.dash)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v (dash %d): %v, want an error with %q", tc.args, tc.dash, err, tc.err)
			}
			continue
		}
		if err != nil || target != tc.target || strings.Join(command, "|") != tc.command {
			t.Errorf("%v (dash %d) = %q %q %v", tc.args, tc.dash, target, command, err)
		}
	}
}

func TestExecContainer(t *testing.T) {
	pod := func(ann string, names ...string) *gantryv1.Pod {
		p := &gantryv1.Pod{Metadata: &gantryv1.ObjectMeta{Name: "p"}, Spec: &gantryv1.PodSpec{}}
		if ann != "" {
			p.Metadata.Annotations = map[string]string{defaultContainerAnnotation: ann}
		}
		for _, n := range names {
			p.Spec.Containers = append(p.Spec.Containers, &gantryv1.Container{Name: n})
		}
		return p
	}
	for _, tc := range []struct {
		pod       *gantryv1.Pod
		want, got string
		err       string
	}{
		{pod("", "app"), "", "app", ""},
		{pod("", "app", "side"), "side", "side", ""},
		{pod("side", "app", "side"), "", "side", ""},
		{pod("", "app", "side"), "", "", "pod/p has 2 containers, choose one with -c: app, side"},
		{pod("gone", "app", "side"), "", "", "choose one with -c"},
		{pod("", "app"), "db", "", `pod/p has no container "db" (containers: app)`},
	} {
		got, err := execContainer(tc.pod, tc.want)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("%v -c %q: %q, %v; want an error with %q", tc.pod.GetSpec().GetContainers(), tc.want, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.got {
			t.Errorf("%v -c %q = %q, %v; want %q", tc.pod.GetSpec().GetContainers(), tc.want, got, err, tc.got)
		}
	}
}
