package ctl

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/spf13/cobra"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

func init() { register(newExecCommand) }

// defaultContainerAnnotation names the container exec and logs pick in a
// pod of several, as kubectl honours it.
const defaultContainerAnnotation = "kubectl.kubernetes.io/default-container"

type execOptions struct {
	container  string
	stdin, tty bool
}

func newExecCommand(e *env) *cobra.Command {
	var o execOptions
	cmd := &cobra.Command{
		Use:   "exec (POD | TYPE/NAME) [-c CONTAINER] [-i] [-t] -- COMMAND [args...]",
		Short: "Execute a command in a container",
		Long: `Execute a command in a running container. The apiserver finds the pod's node
and relays the session to its node agent, which runs the command with the
container's environment and working directory, in the pod's network.

gantryctl exits with the command's exit code (127: command not found, 126:
not executable, 128+N: killed by signal N). TYPE/NAME (deploy/web, rs/web-abc,
svc/web) picks one running pod of that workload.`,
		Example: `  gantryctl exec web-7f9c-abcde -- sh -c 'echo $HOSTNAME'
  echo hello | gantryctl exec -i web-7f9c-abcde -- cat
  gantryctl exec -it deploy/web -c sidecar -- sh`,
		RunE: func(cmd *cobra.Command, args []string) error {
			target, command, err := splitExecArgs(args, cmd.ArgsLenAtDash())
			if err != nil {
				return err
			}
			return e.exec(cmd, o, target, command)
		},
	}
	f := cmd.Flags()
	f.StringVarP(&o.container, "container", "c", "", "container name (default: the pod's only container)")
	f.BoolVarP(&o.stdin, "stdin", "i", false, "pass stdin to the command")
	f.BoolVarP(&o.tty, "tty", "t", false, "run the command on a terminal (with -i, when stdin is one)")
	return cmd
}

// splitExecArgs splits "POD -- COMMAND..." (dash: the index of the first
// argument after --, -1 without one).
func splitExecArgs(args []string, dash int) (target string, command []string, err error) {
	switch {
	case len(args) == 0 || dash == 0:
		return "", nil, errors.New("a pod is required: gantryctl exec POD -- COMMAND [args...]")
	case dash < 0 && len(args) > 1:
		return "", nil, fmt.Errorf("exec POD COMMAND is not supported: use gantryctl exec %s -- %s", args[0], strings.Join(args[1:], " "))
	case dash > 1:
		return "", nil, fmt.Errorf("one pod before --, not %d (%s)", dash, strings.Join(args[:dash], " "))
	case len(args) == 1:
		return "", nil, errors.New("a command is required: gantryctl exec POD -- COMMAND [args...]")
	}
	return args[0], args[1:], nil
}

// execContainer is the container to run in: the one asked for, else the
// pod's default-container annotation, else its only container.
func execContainer(pod *gantryv1.Pod, want string) (string, error) {
	var names []string
	for _, c := range pod.GetSpec().GetContainers() {
		names = append(names, c.GetName())
	}
	name := pod.GetMetadata().GetName()
	switch {
	case want != "" && slices.Contains(names, want):
		return want, nil
	case want != "":
		return "", fmt.Errorf("pod/%s has no container %q (containers: %s)", name, want, strings.Join(names, ", "))
	case len(names) == 1:
		return names[0], nil
	}
	if d := pod.GetMetadata().GetAnnotations()[defaultContainerAnnotation]; slices.Contains(names, d) {
		return d, nil
	}
	return "", fmt.Errorf("pod/%s has %d containers, choose one with -c: %s", name, len(names), strings.Join(names, ", "))
}

// exec resolves the pod and container and runs the session.
func (e *env) exec(cmd *cobra.Command, o execOptions, target string, command []string) error {
	pod, err := e.podFor(cmd.Context(), target)
	if err != nil {
		return err
	}
	md := pod.GetMetadata()
	if ph := pod.GetStatus().GetPhase(); ph == "Succeeded" || ph == "Failed" {
		return fmt.Errorf("pod/%s: cannot exec into a container in a completed pod; current phase is %s", md.GetName(), ph)
	}
	container, err := execContainer(pod, o.container)
	if err != nil {
		return err
	}
	start := &gantryv1.ExecStart{Namespace: md.GetNamespace(), Name: md.GetName(), Uid: md.GetUid(),
		Container: container, Command: command, Stdin: o.stdin}
	s := &execSession{e: e, start: start}
	if o.stdin {
		s.in = e.streams.In
		if s.in == nil {
			s.in = strings.NewReader("")
		}
	}
	if o.tty && o.stdin {
		if s.term = terminalOf(e.streams.In); s.term == nil {
			fmt.Fprintln(e.errOut(), "Unable to use a TTY - input is not a terminal or the right kind of file")
		}
	}
	exit, err := s.run(cmd.Context())
	if errors.Is(err, context.Canceled) && cmd.Context().Err() != nil {
		return &ExitError{Code: 130} // interrupted, as a shell reports ^C
	}
	if err != nil {
		return fmt.Errorf("pod/%s: exec: %w", md.GetName(), err)
	}
	if exit.GetError() != "" {
		fmt.Fprintf(e.errOut(), "error: %s\n", exit.GetError())
	}
	if code := exit.GetExitCode(); code != 0 {
		return &ExitError{Code: int(code)}
	}
	return nil
}
