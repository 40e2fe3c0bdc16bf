package describe

import (
	"encoding/json"
	"fmt"
	"strings"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"google.golang.org/protobuf/encoding/protojson"
	"sigs.k8s.io/yaml"
)

// generic describes a kind without a describer of its own: the common
// header, then every other field of the object as YAML under its
// capitalised name ("Spec:", "InvolvedObject:"), keys in their JSON
// (Kubernetes) spelling.
func (d *describer) generic(o *gantryv1.Object, info *apimeta.Info) error {
	d.header(apimeta.Meta(o), info.Namespaced)
	b, err := protojson.Marshal(apimeta.Inner(o))
	if err != nil {
		return fmt.Errorf("encoding: %w", err)
	}
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(b, &fields); err != nil {
		return fmt.Errorf("decoding: %w", err)
	}
	delete(fields, "metadata")
	// Scalars first, as "Key:\tvalue" lines that line up with the header;
	// then objects and lists as YAML blocks.
	var blocks strings.Builder
	for _, k := range sortedKeys(fields) {
		title := strings.ToUpper(k[:1]) + k[1:]
		var scalar any
		if err := json.Unmarshal(fields[k], &scalar); err != nil {
			return fmt.Errorf("field %s: %w", k, err)
		}
		switch v := scalar.(type) {
		case map[string]any, []any:
			y, err := yaml.JSONToYAML(fields[k])
			if err != nil {
				return fmt.Errorf("field %s: %w", k, err)
			}
			blocks.WriteString(title + ":\n")
			for _, line := range strings.Split(strings.TrimSuffix(string(y), "\n"), "\n") {
				blocks.WriteString("  " + line + "\n")
			}
		default:
			d.w.write(level0, "%s:\t%s\n", title, oneLine(fmt.Sprint(v)))
		}
	}
	d.w.raw(blocks.String())
	return nil
}
