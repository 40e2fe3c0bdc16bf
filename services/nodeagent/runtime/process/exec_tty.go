package process

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"syscall"

	"github.com/creack/pty"
	"github.com/gantryio/gantry/services/nodeagent/runtime"
	"golang.org/x/sys/unix"
)

// eot is what a terminal's user types to end input (^D): a terminal's
// input cannot be closed, only ended as the user would.
const eot = 0x04

// execTTY runs cmd on a new pseudo-terminal as its controlling terminal,
// in a session of its own.
func execTTY(ctx context.Context, cmd *exec.Cmd, cc runtime.ContainerConfig, opts runtime.ExecOptions) (int, error) {
	ptmx, tty, err := openPTY()
	if err != nil {
		return 0, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	defer ptmx.Close()
	if opts.Size.Width > 0 && opts.Size.Height > 0 {
		_ = setSize(ptmx, opts.Size)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	err = startIn(cc, cmd.Start)
	_ = tty.Close()
	if err != nil {
		return 0, startError(err)
	}
	done := make(chan struct{})
	defer close(done)
	go applyResizes(ptmx, opts.Resize, done)
	if opts.Stdin != nil {
		go func() {
			if _, err := io.Copy(ptmx, opts.Stdin); err == nil {
				_, _ = ptmx.Write([]byte{eot})
			}
		}()
	}
	var wg sync.WaitGroup
	// Reads end with EIO once no process holds the terminal any more.
	copyOut(&wg, opts.Stdout, ptmx)
	code := waitCommand(ctx, cmd)
	waitOutput(&wg, ptmx)
	return code, ctx.Err()
}

// openPTY opens a pseudo-terminal whose master end is non-blocking, so
// that closing it ends a blocked read (pty.Open's master is blocking).
func openPTY() (ptmx, tty *os.File, err error) {
	m, tty, err := pty.Open()
	if err != nil {
		return nil, nil, err
	}
	defer m.Close()
	fd, err := unix.FcntlInt(m.Fd(), unix.F_DUPFD_CLOEXEC, 0)
	if err != nil {
		_ = tty.Close()
		return nil, nil, err
	}
	if err := unix.SetNonblock(fd, true); err != nil {
		_ = unix.Close(fd)
		_ = tty.Close()
		return nil, nil, err
	}
	return os.NewFile(uintptr(fd), "/dev/ptmx"), tty, nil
}

func setSize(ptmx *os.File, s runtime.TerminalSize) error {
	sc, err := ptmx.SyscallConn()
	if err != nil {
		return err
	}
	var ioErr error
	err = sc.Control(func(fd uintptr) {
		ioErr = unix.IoctlSetWinsize(int(fd), unix.TIOCSWINSZ, &unix.Winsize{Row: s.Height, Col: s.Width})
	})
	if err != nil {
		return err
	}
	return ioErr
}

// applyResizes sets the terminal's size to each one received until done.
func applyResizes(ptmx *os.File, sizes <-chan runtime.TerminalSize, done <-chan struct{}) {
	for {
		select {
		case s, ok := <-sizes:
			if !ok {
				return
			}
			if s.Width > 0 && s.Height > 0 {
				_ = setSize(ptmx, s)
			}
		case <-done:
			return
		}
	}
}
