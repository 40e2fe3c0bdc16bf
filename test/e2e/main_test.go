package e2e

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

// Binaries built once by TestMain.
var (
	repoRoot  string // the module root (holds go.mod, README.md)
	gantryBin string
	// gantryctlBin is the command-line client (cmd/gantryctl).
	gantryctlBin string
	grpcurlBin   string
	grpcurlErr   error // why grpcurl could not be built, if it could not
	// httpServerBin is the workload tests' container (testdata/httpserver).
	httpServerBin string
)

// TestMain builds the gantry binary (and the pinned grpcurl, and the
// workload tests' HTTP server) once for every test. The binaries are
// normal builds even under "go test -race": the tests exercise the
// processes, not the race detector.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	root, err := findRepoRoot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	repoRoot = root
	dir, err := os.MkdirTemp("", "gantry-e2e-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	defer os.RemoveAll(dir)
	var gantryErr, gantryctlErr, httpServerErr error
	var wg sync.WaitGroup
	wg.Add(4)
	go func() {
		defer wg.Done()
		gantryBin = filepath.Join(dir, "gantry")
		gantryErr = goBuild(root, "-o", gantryBin, "./cmd/gantry")
	}()
	go func() {
		defer wg.Done()
		gantryctlBin = filepath.Join(dir, "gantryctl")
		gantryctlErr = goBuild(root, "-o", gantryctlBin, "./cmd/gantryctl")
	}()
	go func() {
		defer wg.Done()
		grpcurlBin = filepath.Join(dir, "grpcurl")
		grpcurlErr = goBuild(root, "-modfile=tools/go.mod", "-o", grpcurlBin, "github.com/fullstorydev/grpcurl/cmd/grpcurl")
	}()
	go func() {
		defer wg.Done()
		httpServerBin = filepath.Join(dir, "httpserver")
		httpServerErr = goBuild(root, "-o", httpServerBin, "./test/e2e/testdata/httpserver")
	}()
	wg.Wait()
	for what, err := range map[string]error{"gantry": gantryErr, "gantryctl": gantryctlErr, "the test HTTP server": httpServerErr} {
		if err != nil {
			fmt.Fprintf(os.Stderr, "e2e: build %s: %v\n", what, err)
			return 1
		}
	}
	return m.Run()
}

// findRepoRoot walks up from the test's directory (test/e2e) to go.mod.
func findRepoRoot() (string, error) {
	dir, err := filepath.Abs(".")
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the test directory")
		}
		dir = parent
	}
}

func goBuild(root string, args ...string) error {
	gobin := filepath.Join(os.Getenv("GOROOT"), "bin", "go")
	if _, err := os.Stat(gobin); err != nil {
		gobin = "go"
	}
	cmd := exec.Command(gobin, append([]string{"build"}, args...)...)
	cmd.Dir = root
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %v: %w\n%s", args, err, out)
	}
	return nil
}
