package printer

import (
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// columns is one kind's table: its headers (wide ones come after the
// others) and a function that makes a row's cells, NAME first.
type columns struct {
	headers []string
	wide    []string
	row     func(o *gantryv1.Object, now time.Time, wide bool) []string
}

// tables holds the kinds with their own columns; the rest get NAME AGE.
var tables = map[string]columns{
	apimeta.KindPod: {
		headers: []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"},
		wide:    []string{"IP", "NODE", "NOMINATED NODE", "READINESS GATES"},
		row:     podRow,
	},
	apimeta.KindDeployment: {
		headers: []string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE"},
		wide:    []string{"CONTAINERS", "IMAGES", "SELECTOR"},
		row:     deploymentRow,
	},
	apimeta.KindReplicaSet: {
		headers: []string{"NAME", "DESIRED", "CURRENT", "READY", "AGE"},
		wide:    []string{"CONTAINERS", "IMAGES", "SELECTOR"},
		row:     replicaSetRow,
	},
	apimeta.KindNode: {
		headers: []string{"NAME", "STATUS", "ROLES", "AGE", "VERSION"},
		wide:    []string{"INTERNAL-IP", "EXTERNAL-IP", "OS-IMAGE", "KERNEL-VERSION", "CONTAINER-RUNTIME"},
		row:     nodeRow,
	},
	apimeta.KindService: {
		headers: []string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"},
		wide:    []string{"SELECTOR"},
		row:     serviceRow,
	},
	apimeta.KindEndpointSlice: {
		headers: []string{"NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE"},
		row:     endpointSliceRow,
	},
	apimeta.KindIngress: {
		headers: []string{"NAME", "CLASS", "HOSTS", "ADDRESS", "PORTS", "AGE"},
		row:     ingressRow,
	},
	apimeta.KindPodDisruptionBudget: {
		headers: []string{"NAME", "MIN AVAILABLE", "MAX UNAVAILABLE", "ALLOWED DISRUPTIONS", "AGE"},
		row:     pdbRow,
	},
	apimeta.KindConfigMap: {
		headers: []string{"NAME", "DATA", "AGE"},
		row:     configMapRow,
	},
	apimeta.KindSecret: {
		headers: []string{"NAME", "TYPE", "DATA", "AGE"},
		row:     secretRow,
	},
	apimeta.KindNamespace: {
		headers: []string{"NAME", "STATUS", "AGE"},
		row:     namespaceRow,
	},
	apimeta.KindLease: {
		headers: []string{"NAME", "HOLDER", "AGE"},
		row:     leaseRow,
	},
	apimeta.KindEvent: {
		headers: []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE"},
		wide: []string{"LAST SEEN", "TYPE", "REASON", "OBJECT", "SUBOBJECT", "SOURCE", "MESSAGE",
			"FIRST SEEN", "COUNT", "NAME"},
		row: eventRow,
	},
}

// genericColumns is the table of kinds without their own.
var genericColumns = columns{headers: []string{"NAME", "AGE"}, row: genericRow}

func tableOf(kind string) columns {
	if c, ok := tables[kind]; ok {
		return c
	}
	return genericColumns
}

// header returns the header cells for wide or not. Events are the one
// kind whose wide table reorders columns, so it spells its whole list.
func (c columns) header(kind string, wide bool) []string {
	if !wide {
		return c.headers
	}
	if kind == apimeta.KindEvent {
		return c.wide
	}
	return append(append([]string(nil), c.headers...), c.wide...)
}

func genericRow(o *gantryv1.Object, now time.Time, _ bool) []string {
	m := apimeta.Meta(o)
	return []string{m.GetName(), Since(m.GetCreationTimestamp(), now)}
}
