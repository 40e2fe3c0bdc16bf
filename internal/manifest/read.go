package manifest

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
)

// StdinSource is the source name of standard input.
const StdinSource = "<stdin>"

// manifestExtensions are the files a directory contributes, as with kubectl.
var manifestExtensions = map[string]bool{".yaml": true, ".yml": true, ".json": true}

// ReadPaths decodes what `gantryctl apply -f` names: files (whatever their
// extension), directories (their *.yaml, *.yml and *.json files in name
// order; with recursive, those of their subdirectories too) and "-" for
// stdin. Within directories, names starting with "." are skipped (so that
// .git and .github stay out of a recursive apply) and symbolic links to
// directories are not followed. MaxBytes bounds everything read, together.
// Either every object of every path is returned or none.
func ReadPaths(paths []string, stdin io.Reader, recursive bool, opts Options) ([]Decoded, []Warning, error) {
	r := &reader{d: newDecoder(opts), stdin: stdin, recursive: recursive}
	r.budget = r.d.opts.MaxBytes
	for _, p := range paths {
		if err := r.path(p); err != nil {
			return nil, nil, err
		}
	}
	return r.d.out, r.d.warnings, nil
}

type reader struct {
	d         *decoder
	stdin     io.Reader
	stdinRead bool
	recursive bool
	budget    int64 // bytes that may still be read
}

func (r *reader) path(p string) error {
	if p == "-" {
		if r.stdinRead {
			return errors.New(`"-" (stdin) is given more than once`)
		}
		r.stdinRead = true
		if r.stdin == nil {
			return errors.New(`"-" (stdin) is given but there is no standard input`)
		}
		return r.decode(StdinSource, r.stdin)
	}
	fi, err := os.Stat(p)
	if err != nil {
		return err
	}
	if fi.IsDir() {
		return r.dir(p)
	}
	return r.file(p)
}

func (r *reader) dir(dir string) error {
	entries, err := os.ReadDir(dir) // sorted by name
	if err != nil {
		return err
	}
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		switch {
		case e.IsDir():
			if r.recursive {
				if err := r.dir(p); err != nil {
					return err
				}
			}
		case !manifestExtensions[filepath.Ext(e.Name())]:
		case e.Type()&os.ModeSymlink != 0:
			fi, err := os.Stat(p)
			if err != nil {
				return err
			}
			if fi.Mode().IsRegular() {
				if err := r.file(p); err != nil {
					return err
				}
			}
		case e.Type().IsRegular():
			if err := r.file(p); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *reader) file(p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	return r.decode(p, f)
}

// decode reads one input within the budget and decodes it.
func (r *reader) decode(source string, in io.Reader) error {
	data, err := io.ReadAll(io.LimitReader(in, r.budget+1))
	if err != nil {
		return &Error{Source: source, Err: newProblem(ErrSyntax, "reading: %w", err)}
	}
	if int64(len(data)) > r.budget {
		return &Error{Source: source, Err: newProblem(ErrLimit, "the input is over the limit of %s for everything read at once",
			byteSize(r.d.opts.MaxBytes))}
	}
	r.budget -= int64(len(data))
	return r.d.input(source, data)
}
