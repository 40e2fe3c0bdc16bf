package ctl

import (
	"io"
	"os"
	"os/signal"
	"syscall"

	"golang.org/x/term"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// terminal is the local terminal an exec with -it runs on.
type terminal struct {
	in *os.File
}

// terminalOf returns r's terminal, or nil when r is not one.
func terminalOf(r io.Reader) *terminal {
	f, ok := r.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &terminal{in: f}
}

// makeRaw passes every key to the command (^C included) until restore,
// which callers defer so that every return path gives the terminal back.
func (t *terminal) makeRaw() (restore func(), err error) {
	st, err := term.MakeRaw(int(t.in.Fd()))
	if err != nil {
		return nil, err
	}
	return func() { _ = term.Restore(int(t.in.Fd()), st) }, nil
}

// size is the terminal's size, or nil when it cannot be read.
func (t *terminal) size() *gantryv1.TerminalSize {
	w, h, err := term.GetSize(int(t.in.Fd()))
	if err != nil || w <= 0 || h <= 0 {
		return nil
	}
	return &gantryv1.TerminalSize{Width: uint32(w), Height: uint32(h)}
}

// watchResize calls send with the new size on every SIGWINCH until stop.
func (t *terminal) watchResize(send func(*gantryv1.TerminalSize)) (stop func()) {
	ch := make(chan os.Signal, 1)
	signal.Notify(ch, syscall.SIGWINCH)
	done := make(chan struct{})
	go func() {
		for {
			select {
			case <-ch:
				if s := t.size(); s != nil {
					send(s)
				}
			case <-done:
				return
			}
		}
	}()
	return func() {
		signal.Stop(ch)
		close(done)
	}
}
