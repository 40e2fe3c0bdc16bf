package userspace

import (
	"errors"
	"fmt"
	"net/netip"
	"time"
)

// Config configures the userspace dataplane.
type Config struct {
	// Address is the local IP that serves every service port.
	Address string
	// NodePortAddress is the IP that serves node ports ("": none).
	NodePortAddress string
	// MaxConns bounds the TCP connections relayed at once.
	MaxConns int
	// BufferSize is each direction's copy buffer when the kernel cannot
	// splice.
	BufferSize int
	// DialTimeout bounds one dial to a target.
	DialTimeout time.Duration
	// MaxUDPSessions bounds the UDP sessions at once; UDPIdleTimeout ends
	// a session without traffic; MaxDatagram is the largest datagram
	// relayed whole (longer ones are truncated by the socket).
	MaxUDPSessions int
	UDPIdleTimeout time.Duration
	MaxDatagram    int
}

// DefaultConfig serves everything on 127.0.0.1.
func DefaultConfig() Config {
	return Config{
		Address:         "127.0.0.1",
		NodePortAddress: "127.0.0.1",
		MaxConns:        10000,
		BufferSize:      32 << 10,
		DialTimeout:     2 * time.Second,
		MaxUDPSessions:  1024,
		UDPIdleTimeout:  30 * time.Second,
		MaxDatagram:     16 << 10,
	}
}

// ErrConfig is wrapped by New's configuration errors.
var ErrConfig = errors.New("userspace: invalid config")

func (c *Config) validate() error {
	if _, err := netip.ParseAddr(c.Address); err != nil {
		return fmt.Errorf("%w: Address %q: %w", ErrConfig, c.Address, err)
	}
	if c.NodePortAddress != "" {
		if _, err := netip.ParseAddr(c.NodePortAddress); err != nil {
			return fmt.Errorf("%w: NodePortAddress %q: %w", ErrConfig, c.NodePortAddress, err)
		}
	}
	switch {
	case c.MaxConns < 1:
		return fmt.Errorf("%w: MaxConns %d < 1", ErrConfig, c.MaxConns)
	case c.BufferSize < 512 || c.BufferSize > 4<<20:
		return fmt.Errorf("%w: BufferSize %d not in [512, 4Mi]", ErrConfig, c.BufferSize)
	case c.DialTimeout <= 0:
		return fmt.Errorf("%w: DialTimeout must be > 0", ErrConfig)
	case c.MaxUDPSessions < 1:
		return fmt.Errorf("%w: MaxUDPSessions %d < 1", ErrConfig, c.MaxUDPSessions)
	case c.UDPIdleTimeout <= 0:
		return fmt.Errorf("%w: UDPIdleTimeout must be > 0", ErrConfig)
	case c.MaxDatagram < 512 || c.MaxDatagram > 65535:
		return fmt.Errorf("%w: MaxDatagram %d not in [512, 65535]", ErrConfig, c.MaxDatagram)
	}
	return nil
}
