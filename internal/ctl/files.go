package ctl

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/gantryio/gantry/internal/manifest"
)

// fileOptions are -f, -R and --validate, shared by apply and delete.
type fileOptions struct {
	filenames []string
	recursive bool
	validate  bool
}

func (o *fileOptions) addFlags(cmd *cobra.Command, what string) {
	f := cmd.Flags()
	f.StringSliceVarP(&o.filenames, "filename", "f", nil, "file, directory or - (stdin) with "+what+" (YAML or JSON, Kubernetes-shaped)")
	f.BoolVarP(&o.recursive, "recursive", "R", false, "read the directories given with -f recursively")
	f.BoolVar(&o.validate, "validate", true, "refuse fields Gantry does not know (false: warn and drop them)")
}

func (o *fileOptions) given() bool { return len(o.filenames) > 0 }

// readManifests decodes every file; nothing is returned when any fails, so
// nothing is applied from input that does not parse.
func (e *env) readManifests(o fileOptions, lenient bool) ([]manifest.Decoded, error) {
	opts := manifest.DefaultOptions()
	opts.Strict = o.validate && !lenient
	objs, warnings, err := manifest.ReadPaths(o.filenames, e.streams.In, o.recursive, opts)
	if err != nil {
		return nil, err
	}
	// A lenient reader (delete) only needs the names: fields it drops
	// are no news.
	if !lenient {
		for _, w := range warnings {
			fmt.Fprintf(e.errOut(), "warning: %s\n", w)
		}
	}
	if len(objs) == 0 {
		return nil, fmt.Errorf("no objects passed to the command (files: %v)", o.filenames)
	}
	return objs, nil
}

// where names a manifest document for messages: "web.yaml: document 2".
func where(d manifest.Decoded) string {
	return fmt.Sprintf("%s: document %d", d.Source, d.Doc)
}
