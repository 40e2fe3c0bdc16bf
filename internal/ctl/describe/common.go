package describe

import (
	"sort"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/selector"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// maxAnnotationLen is where kubectl folds a long annotation value.
const maxAnnotationLen = 140

// stamp formats a timestamp as kubectl does (RFC 1123 with a numeric
// zone), in the zone of now so output is the same wherever it runs when
// the caller fixes now; "<unset>" when missing.
func (d *describer) stamp(ts *timestamppb.Timestamp) string {
	if ts == nil {
		return "<unset>"
	}
	return ts.AsTime().In(d.now.Location()).Format(time.RFC1123Z)
}

// labels prints "Title:\tk=v" and one more "\tk=v" line per label, sorted.
func (d *describer) labels(level int, title string, m map[string]string) {
	d.w.write(level, "%s:\t", title)
	if len(m) == 0 {
		d.w.write(level0, "<none>\n")
		return
	}
	for i, k := range sortedKeys(m) {
		if i > 0 {
			d.w.write(level, "\t")
		}
		d.w.write(level0, "%s=%s\n", k, m[k])
	}
}

// annotations prints annotations as kubectl does: "k: v", and a long or
// multi-line value folded under its key.
func (d *describer) annotations(level int, title string, m map[string]string) {
	d.w.write(level, "%s:\t", title)
	if len(m) == 0 {
		d.w.write(level0, "<none>\n")
		return
	}
	for i, k := range sortedKeys(m) {
		if i > 0 {
			d.w.write(level, "\t")
		}
		v := strings.TrimSuffix(m[k], "\n")
		if len(k)+len(v)+2 <= maxAnnotationLen && !strings.Contains(v, "\n") {
			d.w.write(level0, "%s: %s\n", k, v)
			continue
		}
		d.w.write(level0, "%s:\n", k)
		for _, s := range strings.Split(v, "\n") {
			d.w.write(level, "\t  %s\n", shorten(s, maxAnnotationLen-2))
		}
	}
}

func shorten(s string, n int) string {
	if len(s) > n {
		return s[:n] + "..."
	}
	return s
}

// controlledBy is "Kind/name" of the controller owner reference, or "".
func controlledBy(m *gantryv1.ObjectMeta) string {
	for _, r := range m.GetOwnerReferences() {
		if r.GetController() {
			return r.GetKind() + "/" + r.GetName()
		}
	}
	return ""
}

// header prints Name, Namespace (for namespaced objects), Labels,
// Annotations, CreationTimestamp and Controlled By: the lines every kind
// starts with unless kubectl orders them otherwise.
func (d *describer) header(m *gantryv1.ObjectMeta, namespaced bool) {
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	if namespaced {
		d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	}
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "CreationTimestamp:\t%s\n", d.stamp(m.GetCreationTimestamp()))
	d.controller(m)
}

func (d *describer) controller(m *gantryv1.ObjectMeta) {
	if c := controlledBy(m); c != "" {
		d.w.write(level0, "Controlled By:\t%s\n", c)
	}
}

// labelSelector is metav1.FormatLabelSelector: "<none>" for empty or unset.
func labelSelector(ls *gantryv1.LabelSelector) string {
	sel, err := selector.FromLabelSelector(ls)
	if err != nil {
		return "<error>"
	}
	if s := sel.String(); s != "" {
		return s
	}
	return "<none>"
}

// mapSelector is labels.FormatLabels: "k=v,k2=v2" sorted, "<none>" when empty.
func mapSelector(m map[string]string) string {
	if len(m) == 0 {
		return "<none>"
	}
	parts := make([]string, 0, len(m))
	for _, k := range sortedKeys(m) {
		parts = append(parts, k+"="+m[k])
	}
	return strings.Join(parts, ",")
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func orNone(s string) string {
	if s == "" {
		return "<none>"
	}
	return s
}

func orUnset(s string) string {
	if s == "" {
		return "<unset>"
	}
	return s
}

// boolWord is kubectl's printBool.
func boolWord(b bool) string {
	if b {
		return "True"
	}
	return "False"
}

// conditionsTable prints kubectl's "Type Status Reason" condition table
// of Deployments and ReplicaSets.
func (d *describer) conditionsTable(conds []*gantryv1.Condition) {
	if len(conds) == 0 {
		return
	}
	d.w.write(level0, "Conditions:\n  Type\tStatus\tReason\n")
	d.w.write(level1, "----\t------\t------\n")
	for _, c := range conds {
		d.w.write(level1, "%s \t%s\t%s\n", c.GetType(), c.GetStatus(), c.GetReason())
	}
}
