package process

import (
	"os"
)

// cappedWriter appends to a log file and, when it would grow past max
// bytes, moves it to <path>.1 (replacing the older one) and starts anew, so
// a container's log never takes more than about twice max on disk.
type cappedWriter struct {
	path string
	max  int64
	f    *os.File
	size int64
}

func newCappedWriter(path string, max int64) *cappedWriter {
	if max <= 0 {
		max = 10 << 20
	}
	return &cappedWriter{path: path, max: max}
}

func (w *cappedWriter) open() error {
	f, err := os.OpenFile(w.path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return err
	}
	fi, err := f.Stat()
	if err != nil {
		_ = f.Close()
		return err
	}
	w.f, w.size = f, fi.Size()
	return nil
}

func (w *cappedWriter) rotate() error {
	if err := w.f.Close(); err != nil {
		return err
	}
	w.f = nil
	if err := os.Rename(w.path, w.path+".1"); err != nil {
		return err
	}
	return w.open()
}

// Write writes p, rotating first when p would push the file past max.
// Writes larger than max are cut into pieces.
func (w *cappedWriter) Write(p []byte) (int, error) {
	n := 0
	for len(p) > 0 {
		if w.f == nil {
			if err := w.open(); err != nil {
				return n, err
			}
		}
		if w.size >= w.max {
			if err := w.rotate(); err != nil {
				return n, err
			}
		}
		chunk := p
		if room := w.max - w.size; int64(len(chunk)) > room {
			chunk = chunk[:room]
		}
		m, err := w.f.Write(chunk)
		n += m
		w.size += int64(m)
		if err != nil {
			return n, err
		}
		p = p[m:]
	}
	return n, nil
}

// Close closes the current file.
func (w *cappedWriter) Close() error {
	if w.f == nil {
		return nil
	}
	return w.f.Close()
}
