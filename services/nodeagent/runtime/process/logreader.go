package process

import (
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/gantryio/gantry/services/nodeagent/runtime"
)

// errLimit ends a copy that reached LimitBytes.
var errLimit = errors.New("limit reached")

// limitWriter passes on at most n bytes, then fails with errLimit.
type limitWriter struct {
	w io.Writer
	n int64
}

func (l *limitWriter) Write(p []byte) (int, error) {
	if l.n <= 0 {
		return 0, errLimit
	}
	short := int64(len(p)) > l.n
	if short {
		p = p[:l.n]
	}
	n, err := l.w.Write(p)
	l.n -= int64(n)
	if err == nil && short {
		err = errLimit
	}
	return n, err
}

// copyLog copies the log of the run in dir to w: the rotated part and the
// current file, from TailLines before the end when asked, at most
// LimitBytes, and with Follow until the container stops (running turns
// false) or ctx ends.
func copyLog(ctx context.Context, dir string, opts runtime.LogOptions, running func() bool, poll time.Duration, w io.Writer) error {
	if opts.LimitBytes > 0 {
		w = &limitWriter{w: w, n: opts.LimitBytes}
	}
	err := copyLogFiles(ctx, dir, opts, running, poll, w)
	if errors.Is(err, errLimit) {
		return nil
	}
	return err
}

func copyLogFiles(ctx context.Context, dir string, opts runtime.LogOptions, running func() bool, poll time.Duration, w io.Writer) error {
	paths := []string{filepath.Join(dir, logFile+".1"), filepath.Join(dir, logFile)}
	var files []*os.File
	defer func() {
		for _, f := range files {
			_ = f.Close()
		}
	}()
	for _, p := range paths {
		f, err := os.Open(p)
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return err
		}
		files = append(files, f)
	}
	if len(files) == 0 {
		if !opts.Follow {
			return nil
		}
		f, err := waitForFile(ctx, paths[1], running, poll)
		if f == nil || err != nil {
			return err
		}
		files = append(files, f)
	}
	if err := seekTail(files, opts.TailLines); err != nil {
		return err
	}
	for _, f := range files {
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
	}
	if !opts.Follow {
		return nil
	}
	return follow(ctx, paths[1], files[len(files)-1], running, poll, w)
}

// waitForFile waits for path to appear while the container runs.
func waitForFile(ctx context.Context, path string, running func() bool, poll time.Duration) (*os.File, error) {
	for {
		f, err := os.Open(path)
		if err == nil {
			return f, nil
		}
		if !errors.Is(err, os.ErrNotExist) {
			return nil, err
		}
		if !running() {
			return nil, nil
		}
		if err := pause(ctx, poll); err != nil {
			return nil, err
		}
	}
}

func pause(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// follow keeps copying what is appended to f, switching to the new file
// at path when the log rotates, until the container stops.
func follow(ctx context.Context, path string, f *os.File, running func() bool, poll time.Duration, w io.Writer) error {
	for {
		stopped := !running()
		if _, err := io.Copy(w, f); err != nil {
			return err
		}
		if next, ok := rotated(path, f); ok {
			defer next.Close()
			f = next
			continue
		}
		if stopped {
			return nil
		}
		if err := pause(ctx, poll); err != nil {
			return nil
		}
	}
}

// rotated opens the file now at path when it is no longer f.
func rotated(path string, f *os.File) (*os.File, bool) {
	cur, err := os.Stat(path)
	if err != nil {
		return nil, false
	}
	old, err := f.Stat()
	if err != nil || os.SameFile(cur, old) {
		return nil, false
	}
	next, err := os.Open(path)
	if err != nil {
		return nil, false
	}
	return next, true
}

// seekTail positions files so that reading them in order yields the last n
// lines (all of them when n < 0).
func seekTail(files []*os.File, n int64) error {
	if n < 0 {
		return nil
	}
	found := int64(0)
	trailing := true // the very last byte's newline ends the last line
	for i := len(files) - 1; i >= 0; i-- {
		off, done, err := scanBack(files[i], n, &found, &trailing)
		if err != nil {
			return err
		}
		if done {
			if _, err := files[i].Seek(off, io.SeekStart); err != nil {
				return err
			}
			for _, f := range files[:i] {
				if _, err := f.Seek(0, io.SeekEnd); err != nil {
					return err
				}
			}
			return nil
		}
	}
	return nil // fewer than n lines: everything
}

// scanBack reads f backwards counting newlines; it reports the offset just
// after the n-th newline from the end once found.
func scanBack(f *os.File, n int64, found *int64, trailing *bool) (int64, bool, error) {
	fi, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	end := fi.Size()
	if n == 0 {
		return end, true, nil
	}
	buf := make([]byte, 32<<10)
	for end > 0 {
		start := max(end-int64(len(buf)), 0)
		chunk := buf[:end-start]
		if _, err := f.ReadAt(chunk, start); err != nil && !errors.Is(err, io.EOF) {
			return 0, false, err
		}
		for j := len(chunk) - 1; j >= 0; j-- {
			if chunk[j] != '\n' {
				*trailing = false
				continue
			}
			if *trailing {
				*trailing = false
				continue
			}
			if *found++; *found == n {
				return start + int64(j) + 1, true, nil
			}
		}
		end = start
	}
	return 0, false, nil
}
