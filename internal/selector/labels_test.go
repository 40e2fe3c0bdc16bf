package selector

import (
	"errors"
	"strings"
	"testing"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"k8s.io/apimachinery/pkg/labels"
)

func TestParseLabels(t *testing.T) {
	web := labels.Set{"app": "web", "tier": "a"}
	old := labels.Set{"app": "web", "tier": "b", "old": "yes"}
	db := labels.Set{"app": "db"}
	tests := []struct {
		in      string
		matches []labels.Set
		misses  []labels.Set
		wantErr string
	}{
		{in: "", matches: []labels.Set{web, db, {}}},
		{in: "app=web", matches: []labels.Set{web, old}, misses: []labels.Set{db, {}}},
		{in: "app==web", matches: []labels.Set{web}, misses: []labels.Set{db}},
		{in: "app!=web", matches: []labels.Set{db, {}}, misses: []labels.Set{web}},
		{in: "app=web,tier in (a,b),!old", matches: []labels.Set{web}, misses: []labels.Set{old, db}},
		{in: "tier notin (a)", matches: []labels.Set{old, db}, misses: []labels.Set{web}},
		{in: "old", matches: []labels.Set{old}, misses: []labels.Set{web}},
		{in: "example.com/role=x", matches: []labels.Set{{"example.com/role": "x"}}, misses: []labels.Set{web}},
		// As in Kubernetes, "app=" needs the label to be present and empty.
		{in: "app=", matches: []labels.Set{{"app": ""}}, misses: []labels.Set{web, {}}},
		{in: "tier in ()", misses: []labels.Set{web, old, {}}},
		{in: "app in (", wantErr: "app in ("},
		{in: "app=web,", wantErr: "app=web,"},
		{in: "Bad Key=x", wantErr: "Bad Key=x"},
		{in: "app=-bad", wantErr: "-bad"},
		{in: "a=b=c", wantErr: "a=b=c"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			sel, err := ParseLabels(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidSelector) {
					t.Fatalf("ParseLabels(%q) err = %v, want ErrInvalidSelector", tt.in, err)
				}
				if !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %q does not name %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseLabels(%q): %v", tt.in, err)
			}
			for _, s := range tt.matches {
				if !sel.Matches(s) {
					t.Errorf("%q does not match %v", tt.in, s)
				}
			}
			for _, s := range tt.misses {
				if sel.Matches(s) {
					t.Errorf("%q matches %v", tt.in, s)
				}
			}
		})
	}
}

func TestFromLabelSelector(t *testing.T) {
	web := labels.Set{"app": "web", "tier": "a"}
	db := labels.Set{"app": "db", "old": "1"}
	req := func(k, op string, v ...string) *gantryv1.LabelSelectorRequirement {
		return &gantryv1.LabelSelectorRequirement{Key: k, Operator: op, Values: v}
	}
	tests := []struct {
		name    string
		in      *gantryv1.LabelSelector
		matches []labels.Set
		misses  []labels.Set
		wantErr string
	}{
		{name: "nil matches nothing", in: nil, misses: []labels.Set{web, {}}},
		{name: "empty matches everything", in: &gantryv1.LabelSelector{}, matches: []labels.Set{web, db, {}}},
		{name: "matchLabels", in: &gantryv1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			matches: []labels.Set{web}, misses: []labels.Set{db}},
		{name: "In", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("app", "In", "web", "x")}},
			matches: []labels.Set{web}, misses: []labels.Set{db}},
		{name: "NotIn", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("app", "NotIn", "web")}},
			matches: []labels.Set{db, {}}, misses: []labels.Set{web}},
		{name: "Exists", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("old", "Exists")}},
			matches: []labels.Set{db}, misses: []labels.Set{web}},
		{name: "DoesNotExist", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("old", "DoesNotExist")}},
			matches: []labels.Set{web}, misses: []labels.Set{db}},
		{name: "labels and expressions are ANDed", in: &gantryv1.LabelSelector{
			MatchLabels:      map[string]string{"app": "db"},
			MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("old", "DoesNotExist")}},
			misses: []labels.Set{web, db}},
		{name: "nil expression is an error not a panic", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{nil}},
			wantErr: "operator"},
		{name: "bad operator", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("a", "Equals", "b")}},
			wantErr: `"Equals" is not a valid label selector operator`},
		{name: "In without values", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("a", "In")}},
			wantErr: "values"},
		{name: "Exists with values", in: &gantryv1.LabelSelector{MatchExpressions: []*gantryv1.LabelSelectorRequirement{req("a", "Exists", "x")}},
			wantErr: "values"},
		{name: "bad key", in: &gantryv1.LabelSelector{MatchLabels: map[string]string{"-a": "b"}}, wantErr: "-a"},
		{name: "bad value", in: &gantryv1.LabelSelector{MatchLabels: map[string]string{"a": "b c"}}, wantErr: "b c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sel, err := FromLabelSelector(tt.in)
			if tt.wantErr != "" {
				if !errors.Is(err, ErrInvalidSelector) || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want ErrInvalidSelector naming %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for _, s := range tt.matches {
				if !sel.Matches(s) {
					t.Errorf("selector %v does not match %v", sel, s)
				}
			}
			for _, s := range tt.misses {
				if sel.Matches(s) {
					t.Errorf("selector %v matches %v", sel, s)
				}
			}
		})
	}
}
