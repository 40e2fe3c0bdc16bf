package describe

import (
	"strconv"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/ctl/printer"
)

// configMap shows each value under its key, as kubectl does; values are
// written as they are (tabs and all), past the column layout.
func (d *describer) configMap(cm *gantryv1.ConfigMap) {
	m := cm.GetMetadata()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	var b strings.Builder
	b.WriteString("\nData\n====\n")
	for _, k := range sortedKeys(cm.GetData()) {
		b.WriteString(k + ":\n----\n" + cm.GetData()[k] + "\n\n")
	}
	b.WriteString("\nBinaryData\n====\n")
	for _, k := range sortedKeys(cm.GetBinaryData()) {
		b.WriteString(k + ": " + strconv.Itoa(len(cm.GetBinaryData()[k])) + " bytes\n")
	}
	b.WriteString("\n")
	d.w.raw(b.String())
}

// secret shows the sizes of the values, never the values.
func (d *describer) secret(s *gantryv1.Secret) {
	m := s.GetMetadata()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.w.write(level0, "Namespace:\t%s\n", m.GetNamespace())
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "\nType:\t%s\n", s.GetType())
	d.w.write(level0, "\nData\n====\n")
	for _, k := range sortedKeys(s.GetData()) {
		d.w.write(level0, "%s:\t%d bytes\n", k, len(s.GetData()[k]))
	}
}

func (d *describer) namespace(ns *gantryv1.Namespace) {
	m := ns.GetMetadata()
	d.w.write(level0, "Name:\t%s\n", m.GetName())
	d.labels(level0, "Labels", m.GetLabels())
	d.annotations(level0, "Annotations", m.GetAnnotations())
	d.w.write(level0, "Status:\t%s\n", printer.NamespacePhase(ns))
}
