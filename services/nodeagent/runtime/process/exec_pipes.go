package process

import (
	"context"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// execPipes runs cmd with pipes for its standard streams, in a process
// group of its own.
func execPipes(ctx context.Context, cmd *exec.Cmd, cc runtime.ContainerConfig, opts runtime.ExecOptions) (int, error) {
	var files []*os.File // closed on return; closing one twice is harmless
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	pipe := func() (r, w *os.File, err error) {
		if r, w, err = os.Pipe(); err == nil {
			files = append(files, r, w)
		}
		return r, w, err
	}
	outR, outW, err := pipe()
	if err != nil {
		return 0, err
	}
	errR, errW, err := pipe()
	if err != nil {
		return 0, err
	}
	cmd.Stdout, cmd.Stderr = outW, errW
	var inW *os.File
	if opts.Stdin != nil {
		var inR *os.File
		if inR, inW, err = pipe(); err != nil {
			return 0, err
		}
		cmd.Stdin = inR
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := startIn(cc, cmd.Start); err != nil {
		return 0, startError(err)
	}
	// The child holds its ends now; without closing ours its output would
	// never end and its input never see EOF.
	_ = outW.Close()
	_ = errW.Close()
	if inW != nil {
		_ = cmd.Stdin.(*os.File).Close()
		go func() {
			_, _ = io.Copy(inW, opts.Stdin)
			_ = inW.Close()
		}()
	}
	var wg sync.WaitGroup
	copyOut(&wg, opts.Stdout, outR)
	copyOut(&wg, opts.Stderr, errR)
	code := waitCommand(ctx, cmd)
	waitOutput(&wg, outR, errR)
	return code, ctx.Err()
}
