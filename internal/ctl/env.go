package ctl

import (
	"context"
	"fmt"
	"io"
	"time"

	"go.uber.org/zap"

	"github.com/gantryio/gantry/internal/client"
	"github.com/gantryio/gantry/internal/clientconfig"
)

// defaultNamespace is used when neither -n nor the object names one.
const defaultNamespace = "default"

// env is what every verb shares: global flags and the lazily dialled client.
type env struct {
	streams    Streams
	servers    []string
	configPath string
	ns         string
	timeout    time.Duration

	cl *client.Client

	// beforeApplyWrite, when set (by tests), runs between apply's read of
	// an object and its create or update, where a concurrent writer causes
	// a conflict.
	beforeApplyWrite func()
}

func (e *env) out() io.Writer    { return e.streams.Out }
func (e *env) errOut() io.Writer { return e.streams.Err }

// namespace is the -n flag, else "default".
func (e *env) namespace() string {
	if e.ns != "" {
		return e.ns
	}
	return defaultNamespace
}

// namespaceSet says whether -n was given, for commands that distinguish
// "the object's own namespace" from "the one the user asked for".
func (e *env) namespaceSet() bool { return e.ns != "" }

// client dials the cluster on first use. The client fails over between
// masters on its own, so one is enough for the whole command.
func (e *env) client() (*client.Client, error) {
	if e.cl != nil {
		return e.cl, nil
	}
	servers, err := e.resolveServers()
	if err != nil {
		return nil, err
	}
	cfg := client.DefaultConfig()
	cfg.Servers = servers
	cfg.RequestTimeout = e.timeout
	cl, err := client.New(cfg, zap.NewNop())
	if err != nil {
		return nil, fmt.Errorf("connect to %v: %w", servers, err)
	}
	e.cl = cl
	return cl, nil
}

func (e *env) resolveServers() ([]string, error) {
	if len(e.servers) > 0 {
		return e.servers, nil
	}
	path := e.configPath
	if path == "" {
		p, err := clientconfig.Path()
		if err != nil {
			return nil, err
		}
		path = p
	}
	c, err := clientconfig.Load(path)
	if err != nil {
		return nil, fmt.Errorf("%w (start a cluster with \"gantry up\", or pass --server)", err)
	}
	return c.Servers, nil
}

// requestCtx bounds one request by --request-timeout.
func (e *env) requestCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	if e.timeout <= 0 {
		return context.WithCancel(ctx)
	}
	return context.WithTimeout(ctx, e.timeout)
}

func (e *env) close() {
	if e.cl != nil {
		_ = e.cl.Close()
		e.cl = nil
	}
}
