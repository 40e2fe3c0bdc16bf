package ctl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/apimeta"
	"github.com/gantryio/gantry/internal/ctl/printer"
	"github.com/gantryio/gantry/internal/manifest"
)

func init() { register(newGetCommand) }

type getOptions struct {
	output        string
	selector      string
	fieldSelector string
	allNamespaces bool
	watch         bool
	watchOnly     bool
	noHeaders     bool
}

func newGetCommand(e *env) *cobra.Command {
	var o getOptions
	cmd := &cobra.Command{
		Use:   "get TYPE[,TYPE...] [NAME...] | TYPE/NAME...",
		Short: "Show objects as a table, YAML, JSON or names",
		Long: `Show objects. Types take kubectl's names: pods (po), deployments (deploy),
replicasets (rs), services (svc), endpointslices, nodes (no), namespaces (ns),
configmaps (cm), secrets, leases, events (ev).`,
		Example: `  gantryctl get pods
  gantryctl get deploy,rs -l app=hello -o wide
  gantryctl get pod hello-7d9f8-x2x4q -o yaml
  gantryctl get pods -A -w`,
		RunE: func(cmd *cobra.Command, args []string) error {
			if err := checkOutput(o.output); err != nil {
				return err
			}
			kinds, names, err := splitTypeName(args)
			if err != nil {
				return err
			}
			if o.watch || o.watchOnly {
				if len(kinds) > 1 && len(names) == 0 || len(names) > 1 {
					return errors.New("-w follows one type (and at most one name) at a time")
				}
				name := ""
				if len(names) == 1 {
					name = names[0]
				}
				return e.watchGet(cmd.Context(), kinds[0], name, &o)
			}
			return e.get(cmd.Context(), kinds, names, &o)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.output, "output", "o", "", "output format: wide, yaml, json or name (default: a table)")
	f.StringVarP(&o.selector, "selector", "l", "", "label selector, such as app=web,tier!=db")
	f.StringVar(&o.fieldSelector, "field-selector", "", "field selector, such as spec.nodeName=n1 or status.phase=Running")
	f.BoolVarP(&o.allNamespaces, "all-namespaces", "A", false, "objects of every namespace")
	f.BoolVarP(&o.watch, "watch", "w", false, "after the list, follow changes")
	f.BoolVar(&o.watchOnly, "watch-only", false, "follow changes without listing first")
	f.BoolVar(&o.noHeaders, "no-headers", false, "print tables without their header line")
	return cmd
}

func checkOutput(o string) error {
	switch o {
	case "", "wide", "yaml", "json", "name":
		return nil
	}
	return fmt.Errorf("--output: %q is not one of wide, yaml, json, name", o)
}

// listNamespace is where a list looks: nowhere for cluster-scoped kinds,
// everywhere with -A.
func (e *env) listNamespace(info *apimeta.Info, all bool) string {
	if !info.Namespaced || all {
		return ""
	}
	return e.namespace()
}

func (e *env) get(ctx context.Context, kinds []*apimeta.Info, names []string, o *getOptions) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	var groups [][]*gantryv1.Object
	var failed error
	if len(names) > 0 {
		var objs []*gantryv1.Object
		for i, n := range names {
			rctx, cancel := e.requestCtx(ctx)
			obj, err := cl.Get(rctx, kinds[i].Name, e.objectNamespace(kinds[i], ""), n)
			cancel()
			if err != nil {
				err = fmt.Errorf("%s/%s: %w", resourceName(kinds[i].Name), n, err)
				fmt.Fprintln(e.errOut(), "error:", oneLine(describeErr(err)))
				failed = err
				continue
			}
			objs = append(objs, obj)
		}
		groups = groupByKind(objs)
	} else {
		for _, k := range kinds {
			rctx, cancel := e.requestCtx(ctx)
			list, err := cl.ListAll(rctx, &gantryv1.ListRequest{
				Kind: k.Name, Namespace: e.listNamespace(k, o.allNamespaces),
				LabelSelector: o.selector, FieldSelector: o.fieldSelector,
			})
			cancel()
			if err != nil {
				return fmt.Errorf("list %s: %w", pluralOf(resourceName(k.Name)), err)
			}
			if k.Name == apimeta.KindEvent {
				sortEvents(list.GetItems())
			}
			groups = append(groups, list.GetItems())
		}
	}
	if err := e.printGroups(groups, kinds, len(names) == 1, o); err != nil {
		return err
	}
	if failed != nil {
		return &ExitError{Code: 1}
	}
	return nil
}

// sortEvents orders events by when they were last seen, oldest first, as
// kubectl prints them.
func sortEvents(evs []*gantryv1.Object) {
	sort.SliceStable(evs, func(i, j int) bool { return eventTime(evs[i].GetEvent()).Before(eventTime(evs[j].GetEvent())) })
}

func groupByKind(objs []*gantryv1.Object) [][]*gantryv1.Object {
	var out [][]*gantryv1.Object
	idx := map[string]int{}
	for _, o := range objs {
		k := apimeta.KindOf(o)
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, nil)
		}
		out[i] = append(out[i], o)
	}
	return out
}

// printGroups prints one table per kind (kubectl's layout for "get a,b"),
// or every object as one YAML/JSON document or list.
func (e *env) printGroups(groups [][]*gantryv1.Object, kinds []*apimeta.Info, single bool, o *getOptions) error {
	var all []*gantryv1.Object
	for _, g := range groups {
		all = append(all, g...)
	}
	switch o.output {
	case "yaml", "json":
		var b []byte
		var err error
		if single && len(all) == 1 {
			b, err = manifest.Encode(all[0], o.output)
		} else {
			b, err = manifest.EncodeList(all, o.output)
		}
		if err != nil {
			return err
		}
		_, err = e.out().Write(b)
		return err
	case "name":
		return printer.PrintNames(e.out(), all)
	}
	if len(all) == 0 {
		if len(groups) > 0 {
			fmt.Fprintln(e.errOut(), e.noneFound(kinds, o.allNamespaces))
		}
		return nil
	}
	first := true
	for _, g := range groups {
		if len(g) == 0 {
			continue
		}
		if !first {
			fmt.Fprintln(e.out())
		}
		first = false
		to := e.tableOptions(o)
		// Several types: names carry their type, as kubectl prints them.
		to.WithKind = len(groups) > 1
		if err := printer.PrintTable(e.out(), apimeta.KindOf(g[0]), g, to); err != nil {
			return err
		}
	}
	return nil
}

// noneFound is kubectl's message for an empty listing; it names the
// namespace only when one was looked in.
func (e *env) noneFound(kinds []*apimeta.Info, allNamespaces bool) string {
	for _, k := range kinds {
		if k.Namespaced && !allNamespaces {
			return fmt.Sprintf("No resources found in %s namespace.", e.namespace())
		}
	}
	return "No resources found"
}

func (e *env) tableOptions(o *getOptions) printer.Options {
	return printer.Options{Wide: o.output == "wide", NoHeaders: o.noHeaders, WithNamespace: o.allNamespaces, Now: time.Now()}
}

// watchGet lists (unless --watch-only) and then prints every change, until
// Ctrl-C. The watch resumes across masters by itself.
func (e *env) watchGet(ctx context.Context, info *apimeta.Info, name string, o *getOptions) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	fsel := o.fieldSelector
	if name != "" {
		fsel = joinSelectors(fsel, "metadata.name="+name)
	}
	req := &gantryv1.WatchRequest{
		Kind: info.Name, Namespace: e.listNamespace(info, o.allNamespaces),
		LabelSelector: o.selector, FieldSelector: fsel, AllowBookmarks: true,
		SendInitialEvents: !o.watchOnly,
	}
	w := cl.Watch(ctx, req)
	defer w.Stop()
	out := newWatchPrinter(e.out(), info.Name, o, e.tableOptions(o))
	for resp := range w.Responses() {
		for _, ev := range resp.GetEvents() {
			if ev.GetType() == gantryv1.WatchEventType_WATCH_EVENT_TYPE_BOOKMARK || ev.GetObject() == nil {
				continue
			}
			if err := out.print(ev); err != nil {
				return err
			}
		}
	}
	if err := w.Err(); err != nil && ctx.Err() == nil {
		return fmt.Errorf("watch %s: %w", pluralOf(resourceName(info.Name)), err)
	}
	return nil
}

func joinSelectors(a, b string) string {
	if a == "" {
		return b
	}
	return a + "," + b
}

// watchPrinter prints watch events as table rows (header once), names, or
// YAML/JSON documents.
type watchPrinter struct {
	w     io.Writer
	o     *getOptions
	table *printer.TablePrinter
}

func newWatchPrinter(w io.Writer, kind string, o *getOptions, to printer.Options) *watchPrinter {
	p := &watchPrinter{w: w, o: o}
	if o.output == "" || o.output == "wide" {
		p.table = printer.NewTablePrinter(w, kind, to)
	}
	return p
}

func (p *watchPrinter) print(ev *gantryv1.WatchEvent) error {
	obj := ev.GetObject()
	switch p.o.output {
	case "yaml":
		b, err := manifest.Encode(obj, "yaml")
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(p.w, "---\n%s", b)
		return err
	case "json":
		b, err := manifest.Encode(obj, "json")
		if err != nil {
			return err
		}
		_, err = p.w.Write(b)
		return err
	case "name":
		return printer.PrintNames(p.w, []*gantryv1.Object{obj})
	}
	return p.table.PrintRow(obj)
}
