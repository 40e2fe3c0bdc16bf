package dns

import (
	"context"
	"errors"
	"fmt"
	"time"

	mdns "github.com/miekg/dns"
)

// Forwarding errors.
var (
	errNoUpstream   = errors.New("no upstream resolver")
	errUpstreamBusy = errors.New("too many forwarded queries in flight")
)

// forwarder sends the queries the zone cannot answer to the upstream
// resolvers, at most a fixed number at a time.
type forwarder struct {
	up      *upstreams
	timeout time.Duration
	tries   int
	slots   chan struct{}
}

func newForwarder(cfg Config, up *upstreams) *forwarder {
	return &forwarder{up: up, timeout: cfg.UpstreamTimeout, tries: cfg.MaxUpstreamTries,
		slots: make(chan struct{}, cfg.MaxUpstreamQueries)}
}

// forward exchanges r with the upstreams in order, over the client's
// transport (so that a truncated UDP answer sends the client to TCP, and
// its TCP retry reaches upstream over TCP), and returns the first answer.
// The query goes out under a fresh ID and the answer comes back under the
// client's.
func (f *forwarder) forward(ctx context.Context, r *mdns.Msg, proto string) (*mdns.Msg, error) {
	select {
	case f.slots <- struct{}{}:
	default:
		return nil, errUpstreamBusy
	}
	defer func() { <-f.slots }()
	servers := f.up.get()
	if len(servers) == 0 {
		return nil, errNoUpstream
	}
	q := r.Copy()
	q.Id = mdns.Id()
	c := &mdns.Client{Net: proto, Timeout: f.timeout, UDPSize: mdns.MaxMsgSize}
	var errs []error
	for i, s := range servers {
		if i == f.tries {
			break
		}
		resp, _, err := c.ExchangeContext(ctx, q, s.String())
		if err == nil && resp.Rcode == mdns.RcodeServerFailure && i+1 < min(f.tries, len(servers)) {
			err = errors.New("SERVFAIL")
		}
		if err == nil {
			resp.Id = r.Id
			return resp, nil
		}
		errs = append(errs, fmt.Errorf("%s: %w", s, err))
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}
