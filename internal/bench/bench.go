package bench

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"runtime"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
	"github.com/gantryio/gantry/internal/client"
	"go.uber.org/zap"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"
)

// Bench is one benchmark run.
type Bench struct {
	cfg    Config
	log    *zap.Logger
	report Report

	// Set by Run.
	target Target
	ctl    *client.Client
	pl     payload
	run    string
}

// New checks cfg and prepares a run. A nil logger logs nothing.
func New(cfg Config, logger *zap.Logger) (*Bench, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if logger == nil {
		logger = zap.NewNop()
	}
	return &Bench{cfg: cfg, log: logger.Named("bench")}, nil
}

// Report returns what the run measured so far.
func (b *Bench) Report() *Report { return &b.report }

// Run starts (or connects to) the cluster, runs the configured sections in
// order, prints each section's table as it finishes (or the whole report
// as JSON at the end) and stops a cluster it started. A failing section is
// reported and the others still run; the error joins every failure.
func (b *Bench) Run(ctx context.Context) error {
	cleanup, err := b.open(ctx)
	if err != nil {
		return err
	}
	defer cleanup()
	var errs []error
	for _, s := range AllSections {
		if !b.cfg.has(s) || ctx.Err() != nil {
			continue
		}
		progress(&b.cfg, "section %s", s)
		if err := b.section(ctx, s); err != nil {
			progress(&b.cfg, "section %s failed: %v", s, err)
			errs = append(errs, fmt.Errorf("%s: %w", s, err))
		}
		if !b.cfg.JSON {
			b.printSection(s)
		}
	}
	if err := b.writeJSON(); err != nil {
		errs = append(errs, err)
	}
	if ctx.Err() != nil {
		errs = append(errs, ctx.Err())
	}
	return errors.Join(errs...)
}

// writeJSON prints the report as JSON (with Config.JSON) and writes it to
// Config.JSONFile (when set).
func (b *Bench) writeJSON() error {
	out, err := json.MarshalIndent(&b.report, "", "  ")
	if err != nil {
		return err
	}
	out = append(out, '\n')
	if b.cfg.JSON {
		if _, err := b.cfg.Out.Write(out); err != nil {
			return err
		}
	}
	if b.cfg.JSONFile != "" {
		return os.WriteFile(b.cfg.JSONFile, out, 0o644)
	}
	return nil
}

func (b *Bench) section(ctx context.Context, s Section) error {
	switch s {
	case SectionWrite:
		return b.runWrite(ctx)
	case SectionRead:
		return b.runRead(ctx)
	case SectionWatch:
		return b.runWatch(ctx)
	case SectionFailover:
		return b.runFailover(ctx)
	}
	return fmt.Errorf("%w: unknown section %q", ErrConfig, s)
}

// open picks the target, starting a cluster when none was given, and
// connects the control client.
func (b *Bench) open(ctx context.Context) (func(), error) {
	cleanup := func() {}
	switch {
	case b.cfg.Target != nil:
		b.target = b.cfg.Target
	case len(b.cfg.Servers) > 0:
		b.target = remote(b.cfg.Servers)
	default:
		t, stop, err := startLocal(ctx, &b.cfg)
		if err != nil {
			return nil, err
		}
		b.target, cleanup = t, stop
		b.report.OwnCluster = true
	}
	cc := client.DefaultConfig()
	cc.Servers = b.target.Servers()
	ctl, err := client.New(cc, b.log)
	if err != nil {
		cleanup()
		return nil, err
	}
	b.ctl = ctl
	b.pl = newPayload(b.cfg.ValueSize)
	b.run = runID()
	b.report.Started = time.Now().UTC().Truncate(time.Second)
	b.report.Servers = b.target.Servers()
	b.report.CPUs = runtime.NumCPU()
	b.report.ValueSize = b.cfg.ValueSize
	b.report.FanOut = b.cfg.FanOut
	if _, err := b.status(ctx); err != nil {
		_ = ctl.Close()
		cleanup()
		return nil, fmt.Errorf("cluster not reachable: %w", err)
	}
	b.checkIdle()
	return func() { _ = ctl.Close(); cleanup() }, nil
}

// checkIdle measures, for a second, how busy the machine is before any
// load, and warns when something else would disturb the figures.
func (b *Bench) checkIdle() {
	m := startCPU(b.target.Pids())
	time.Sleep(time.Second)
	for _, c := range m.stop(nil) {
		if c.Name == "machine" {
			b.report.BusyBefore = c.Percent
		}
	}
	if pids := b.target.Pids(); len(pids) > 0 {
		progress(&b.cfg, "master pids: %v", pids)
	}
	if b.report.BusyBefore > 20 {
		progress(&b.cfg, "warning: the idle cluster's machine is %.0f%% busy (of one core) before the benchmark; other work will disturb the figures", b.report.BusyBefore)
	}
}

// namespace creates this run's namespace for one purpose.
func (b *Bench) namespace(ctx context.Context, purpose string) (string, error) {
	name := "bench-" + b.run + "-" + purpose
	if _, err := b.ctl.Create(ctx, namespaceObject(name)); err != nil && status.Code(err) != codes.AlreadyExists {
		return "", fmt.Errorf("create namespace %s: %w", name, err)
	}
	return name, nil
}

// status asks the cluster who leads, waiting (up to 30 s) until a leader
// with a known API address is reported.
func (b *Bench) status(ctx context.Context) (*gantryv1.StatusResponse, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		cctx, ccancel := context.WithTimeout(ctx, 3*time.Second)
		st, err := b.ctl.Cluster().Status(cctx, &gantryv1.StatusRequest{})
		ccancel()
		if err == nil && st.GetLeaderId() != "" && st.GetLeaderAddress() != "" {
			return st, nil
		}
		if err == nil {
			err = errors.New("no leader yet")
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster status: %w", err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// roles maps master ids to their roles now, for CPU labels.
func (b *Bench) roles(ctx context.Context) map[string]string {
	out := map[string]string{}
	st, err := b.status(ctx)
	if err != nil {
		return out
	}
	for _, m := range st.GetMembers() {
		out[m.GetId()] = m.GetRole()
	}
	return out
}

func (b *Bench) cpu() *cpuMeter { return startCPU(b.target.Pids()) }
