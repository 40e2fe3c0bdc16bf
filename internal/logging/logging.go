package logging

import (
	"fmt"
	"io"

	"github.com/hashicorp/go-hclog"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// Config chooses the level and encoding of a process's logs.
type Config struct {
	// Level is debug, info, warn or error.
	Level string
	// Format is console (for people) or json (for machines).
	Format string
}

// DefaultConfig logs info and above for people.
func DefaultConfig() Config { return Config{Level: "info", Format: "console"} }

// New builds a logger writing to stderr.
func New(cfg Config) (*zap.Logger, error) {
	lvl, err := zapcore.ParseLevel(cfg.Level)
	if err != nil {
		return nil, fmt.Errorf("log level %q: %w", cfg.Level, err)
	}
	zc := zap.NewProductionConfig()
	zc.Level = zap.NewAtomicLevelAt(lvl)
	zc.Sampling = nil
	zc.EncoderConfig.EncodeTime = zapcore.ISO8601TimeEncoder
	switch cfg.Format {
	case "json":
	case "console":
		zc.Encoding = "console"
		zc.EncoderConfig.EncodeLevel = zapcore.CapitalLevelEncoder
	default:
		return nil, fmt.Errorf("log format %q: want console or json", cfg.Format)
	}
	return zc.Build()
}

// HCLog returns an hclog.Logger that sends everything to l, keeping levels
// and key/value pairs, for libraries such as hashicorp/raft.
func HCLog(l *zap.Logger, name string) hclog.Logger {
	il := hclog.NewInterceptLogger(&hclog.LoggerOptions{Name: name, Output: io.Discard, Level: hclog.Debug})
	il.RegisterSink(&sink{l: l.Named(name).WithOptions(zap.WithCaller(false))})
	return il
}

type sink struct{ l *zap.Logger }

func (s *sink) Accept(_ string, level hclog.Level, msg string, args ...interface{}) {
	var zl zapcore.Level
	switch level {
	case hclog.Trace, hclog.Debug:
		zl = zapcore.DebugLevel
	case hclog.Info, hclog.NoLevel, hclog.DefaultLevel:
		zl = zapcore.InfoLevel
	case hclog.Warn:
		zl = zapcore.WarnLevel
	default:
		zl = zapcore.ErrorLevel
	}
	ce := s.l.Check(zl, msg)
	if ce == nil {
		return
	}
	fields := make([]zap.Field, 0, len(args)/2)
	for i := 0; i+1 < len(args); i += 2 {
		v := args[i+1]
		if f, ok := v.(hclog.Format); ok && len(f) > 0 {
			v = fmt.Sprintf(fmt.Sprint(f[0]), f[1:]...)
		}
		fields = append(fields, zap.Any(fmt.Sprint(args[i]), v))
	}
	ce.Write(fields...)
}
