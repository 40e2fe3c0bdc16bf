package ctl

import (
	"errors"
	"fmt"
	"io"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func init() { register(newLogsCommand) }

type logsOptions struct {
	container  string
	follow     bool
	previous   bool
	tail       int64
	limitBytes int64
}

func newLogsCommand(e *env) *cobra.Command {
	var o logsOptions
	cmd := &cobra.Command{
		Use:   "logs POD|TYPE/NAME [-c CONTAINER]",
		Short: "Print the logs of a container in a pod",
		Long: `Print the logs of a container in a pod. The apiserver finds the pod's node
and streams the log from its node agent. TYPE/NAME (deploy/web, rs/web-abc)
picks one pod of that workload.`,
		Example: `  gantryctl logs web-7f9c-abcde
  gantryctl logs -f deploy/web --tail 20
  gantryctl logs web-7f9c-abcde -c sidecar --previous`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			ctx := cmd.Context()
			pod, err := e.podFor(ctx, args[0])
			if err != nil {
				return err
			}
			req := &gantryv1.LogsRequest{
				Namespace: pod.GetMetadata().GetNamespace(), Name: pod.GetMetadata().GetName(),
				Container: o.container, Follow: o.follow, Previous: o.previous,
			}
			if o.tail >= 0 {
				req.TailLines = &o.tail
			}
			if o.limitBytes > 0 {
				req.LimitBytes = &o.limitBytes
			}
			return e.streamLogs(cmd, req)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.container, "container", "c", "", "container name (default: the pod's only container)")
	f.BoolVarP(&o.follow, "follow", "f", false, "keep streaming as the container writes")
	f.BoolVarP(&o.previous, "previous", "p", false, "the log of the container's previous run")
	f.Int64Var(&o.tail, "tail", -1, "lines from the end to start with (-1: all)")
	f.Int64Var(&o.limitBytes, "limit-bytes", 0, "stop after this many bytes (0: no limit)")
	return cmd
}

func (e *env) streamLogs(cmd *cobra.Command, req *gantryv1.LogsRequest) error {
	cl, err := e.client()
	if err != nil {
		return err
	}
	ctx := cmd.Context()
	// A followed log runs until Ctrl-C; only its start is bounded.
	stream, err := gantryv1.NewPodServiceClient(cl.Conn()).Logs(ctx, req)
	if err != nil {
		return fmt.Errorf("pod/%s: logs: %w", req.GetName(), err)
	}
	for {
		resp, err := stream.Recv()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("pod/%s: logs: %w", req.GetName(), err)
		}
		if _, err := e.out().Write(resp.GetData()); err != nil {
			return err
		}
	}
}
