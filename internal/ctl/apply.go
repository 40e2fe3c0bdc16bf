package ctl

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"
	"google.golang.org/grpc/codes"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/applymerge"
	"github.com/gantryio/gantry/internal/manifest"
)

func init() { register(newApplyCommand) }

// applyAttempts bounds the re-read-and-retry loop on write conflicts.
const applyAttempts = 8

func newApplyCommand(e *env) *cobra.Command {
	var o fileOptions
	cmd := &cobra.Command{
		Use:   "apply -f FILE|DIR|-",
		Short: "Create or update objects from manifests",
		Long: `Create the objects in the manifests, or update them to match. Manifests are
Kubernetes YAML or JSON (several documents per file). Like kubectl apply, the
manifest is recorded in the kubectl.kubernetes.io/last-applied-configuration
annotation, and an update changes only what the manifest changed since the
last apply: fields set by others (a scale, an allocated clusterIP) stay.

Nothing is applied from files that fail to parse. Each object reports
created, configured or unchanged.`,
		Example: `  gantryctl apply -f examples/web.yaml
  gantryctl apply -f examples/ -R
  cat web.yaml | gantryctl apply -f -`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if !o.given() {
				return errors.New("-f is required: a file, directory or - for stdin")
			}
			objs, err := e.readManifests(o, false)
			if err != nil {
				return err
			}
			failed := false
			for _, d := range objs {
				res, err := e.applyOne(cmd.Context(), d)
				if err != nil {
					failed = true
					fmt.Fprintln(e.errOut(), "error:", oneLine(describeErr(err)))
					continue
				}
				fmt.Fprintln(e.out(), res)
			}
			if failed {
				return &ExitError{Code: 1}
			}
			return nil
		},
	}
	o.addFlags(cmd, "the objects to apply")
	return cmd
}

// applyOne creates or updates one object, retrying on conflicts with a
// fresh read, and says what it did ("deployment/web configured").
func (e *env) applyOne(ctx context.Context, d manifest.Decoded) (string, error) {
	info := apimeta.InfoOf(d.Object)
	meta := apimeta.Meta(d.Object)
	ns, err := e.applyNamespace(info, meta.GetNamespace())
	if err != nil {
		return "", fmt.Errorf("%s: %w", where(d), err)
	}
	name := meta.GetName()
	what := resourceName(info.Name) + "/" + name
	if name == "" {
		return "", fmt.Errorf("%s: metadata.name: required (apply needs a name to find the object again)", where(d))
	}
	desired, err := applymerge.WithLastApplied(d.Object)
	if err != nil {
		return "", fmt.Errorf("%s: %w", what, err)
	}
	apimeta.Meta(desired).Namespace = ns
	for attempt := 0; ; attempt++ {
		rctx, cancel := e.requestCtx(ctx)
		verb, retry, err := e.applyAttempt(rctx, desired, info, ns, name)
		cancel()
		if err == nil {
			return what + " " + verb, nil
		}
		if !retry || attempt+1 >= applyAttempts || !sleepCtx(ctx, time.Duration(attempt+1)*10*time.Millisecond) {
			return "", fmt.Errorf("%s: %w", what, err)
		}
	}
}

// applyAttempt reads the object and creates or updates it. retry says
// whether a fresh attempt may succeed where this one failed: the object
// was created, changed or deleted by someone else between the read and the
// write. Other failures (a missing namespace, an invalid object) would
// only fail again.
func (e *env) applyAttempt(ctx context.Context, desired *gantryv1.Object, info *apimeta.Info, ns, name string) (verb string, retry bool, err error) {
	cl, err := e.client()
	if err != nil {
		return "", false, err
	}
	live, err := cl.Get(ctx, info.Name, ns, name)
	if statusIs(err, codes.NotFound) {
		e.applyWriteHook()
		if _, err := cl.Create(ctx, desired); err != nil {
			return "", statusIs(err, codes.AlreadyExists), err
		}
		return "created", false, nil
	}
	if err != nil {
		return "", false, err
	}
	merged, changed, err := applymerge.Merge(live, desired)
	if err != nil {
		return "", false, err
	}
	if !changed {
		return "unchanged", false, nil
	}
	e.applyWriteHook()
	if _, err := cl.Update(ctx, merged); err != nil {
		if rv := apimeta.Meta(desired).GetResourceVersion(); rv != "" && statusIs(err, codes.Aborted) {
			// The manifest asks for that version (it came from get -o yaml,
			// say); reading again cannot help.
			return "", false, fmt.Errorf("the manifest's metadata.resourceVersion %s is not the object's (remove it to apply over any version): %w", rv, err)
		}
		return "", statusIs(err, codes.Aborted) || statusIs(err, codes.NotFound), err
	}
	return "configured", false, nil
}

func (e *env) applyWriteHook() {
	if e.beforeApplyWrite != nil {
		e.beforeApplyWrite()
	}
}

// applyNamespace is the namespace the object goes to: its own, which must
// agree with -n when both are given (as kubectl insists), else -n, else
// default.
func (e *env) applyNamespace(info *apimeta.Info, own string) (string, error) {
	if !info.Namespaced {
		return "", nil
	}
	if own != "" && e.namespaceSet() && own != e.ns {
		return "", fmt.Errorf("the object's namespace %q does not match --namespace %q", own, e.ns)
	}
	if own != "" {
		return own, nil
	}
	return e.namespace(), nil
}
