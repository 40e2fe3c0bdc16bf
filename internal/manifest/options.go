package manifest

import (
	"math"
	"strconv"
)

// Default limits. They bound the memory and time one call may spend on
// hostile input; each can be raised through Options.
const (
	// DefaultMaxBytes bounds one Decode call's input, or everything one
	// ReadPaths call reads.
	DefaultMaxBytes = 16 << 20
	// DefaultMaxDocumentBytes bounds one YAML document or JSON value before
	// it is parsed. A YAML parser needs some hundred bytes of memory per
	// byte of dense input, so this is what keeps parsing cheap.
	DefaultMaxDocumentBytes = 1 << 20
	// DefaultMaxObjectBytes bounds each decoded object, in its protobuf
	// encoding, as the apiserver bounds the objects it stores. It also
	// bounds how far YAML aliases may expand a document.
	DefaultMaxObjectBytes = 1 << 20
	// DefaultMaxDocuments bounds the documents of one call; each item of a
	// List counts as one more.
	DefaultMaxDocuments = 10000
	// DefaultMaxDepth bounds how deeply values nest. Kubernetes objects
	// nest about 15 levels deep.
	DefaultMaxDepth = 64
)

// Options control decoding. The zero value is lenient (Strict false) with
// default limits; DefaultOptions is what `gantryctl apply` uses.
type Options struct {
	// Strict makes unknown and duplicate fields errors. Otherwise they are
	// warnings, the unknown field dropped and the last duplicate kept.
	Strict bool
	// KeepStatus decodes `status` like any other field instead of dropping
	// it. Useful to read back what `gantryctl get -o yaml` wrote.
	KeepStatus bool

	// Limits; zero or negative means the default.
	MaxBytes         int64
	MaxDocumentBytes int64
	MaxObjectBytes   int64
	MaxDocuments     int
	MaxDepth         int
}

// DefaultOptions returns strict options with the default limits.
func DefaultOptions() Options {
	return Options{Strict: true}.withDefaults()
}

func (o Options) withDefaults() Options {
	if o.MaxBytes <= 0 {
		o.MaxBytes = DefaultMaxBytes
	}
	if o.MaxDocumentBytes <= 0 {
		o.MaxDocumentBytes = DefaultMaxDocumentBytes
	}
	if o.MaxObjectBytes <= 0 {
		o.MaxObjectBytes = DefaultMaxObjectBytes
	}
	if o.MaxDocuments <= 0 {
		o.MaxDocuments = DefaultMaxDocuments
	}
	if o.MaxDepth <= 0 {
		o.MaxDepth = DefaultMaxDepth
	}
	return o
}

// byteSize formats a size for messages: "16 MiB", "1.5 MiB", "300 bytes".
func byteSize(n int64) string {
	switch {
	case n >= 1<<20:
		return trimZero(float64(n)/(1<<20)) + " MiB"
	case n >= 1<<10:
		return trimZero(float64(n)/(1<<10)) + " KiB"
	default:
		return strconv.FormatInt(n, 10) + " bytes"
	}
}

func trimZero(f float64) string {
	return strconv.FormatFloat(math.Round(f*10)/10, 'f', -1, 64)
}
