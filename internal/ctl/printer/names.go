package printer

import (
	"fmt"
	"io"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
)

// ResourceName is how kubectl names a kind in "-o name" output: the
// lower-case kind, qualified by its API group outside the core group
// ("pod", "deployment.apps", "endpointslice.discovery.k8s.io").
func ResourceName(kind string) string {
	lower := strings.ToLower(kind)
	info, ok := apimeta.Lookup(kind)
	if !ok {
		return lower
	}
	if group, _, ok := strings.Cut(info.APIVersion, "/"); ok && group != "" {
		return lower + "." + group
	}
	return lower
}

// Name is an object's "-o name" form, such as "deployment.apps/web".
func Name(o *gantryv1.Object) string {
	return ResourceName(apimeta.KindOf(o)) + "/" + apimeta.Meta(o).GetName()
}

// PrintNames writes one "-o name" line per object.
func PrintNames(w io.Writer, objs []*gantryv1.Object) error {
	var b strings.Builder
	for _, o := range objs {
		if apimeta.KindOf(o) == "" {
			return fmt.Errorf("printing names: %w", ErrEmptyObject)
		}
		b.WriteString(Name(o))
		b.WriteByte('\n')
	}
	_, err := io.WriteString(w, b.String())
	return err
}
