package ingress

import (
	"context"
	"errors"
	"io"
	stdlog "log"
	"net"
	"net/http"
	"net/http/httputil"
	"path"
	"strings"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// handler routes one listener's requests by the latest snapshot.
type handler struct {
	routes func() *Routes
	view   View
	tries  int
	proxy  *httputil.ReverseProxy
	log    *zap.Logger
}

// attemptKey carries a request's candidate endpoints to the transport.
type attemptKey struct{}

// NewHandler returns the ingress's HTTP handler: routes returns the
// current snapshot (nil: not synced yet, every request gets 503) and view
// the routing table backends are resolved in.
func NewHandler(cfg Config, routes func() *Routes, view View, log *zap.Logger) http.Handler {
	if log == nil {
		log = zap.NewNop()
	}
	h := &handler{routes: routes, view: view, tries: max(cfg.MaxTries, 1), log: log}
	tr := &http.Transport{
		Proxy:                  nil, // never the environment's HTTP proxy: endpoints are pod addresses
		DialContext:            (&net.Dialer{Timeout: cfg.DialTimeout, KeepAlive: 30 * time.Second}).DialContext,
		MaxIdleConns:           1000,
		MaxIdleConnsPerHost:    cfg.MaxIdleConnsPerEndpoint,
		IdleConnTimeout:        90 * time.Second,
		ResponseHeaderTimeout:  cfg.ResponseHeaderTimeout,
		MaxResponseHeaderBytes: int64(cfg.MaxHeaderBytes),
	}
	h.proxy = &httputil.ReverseProxy{
		Rewrite:      h.rewrite,
		Transport:    &retryTransport{base: tr, log: log},
		ErrorHandler: h.proxyError,
		ErrorLog:     stdLog(log),
	}
	return h
}

func (h *handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rs := h.routes()
	if rs == nil {
		http.Error(w, "ingress: routes not loaded yet", http.StatusServiceUnavailable)
		return
	}
	p := cleanPath(r.URL.Path)
	rule, ok := rs.Match(requestHost(r), p)
	if !ok {
		http.Error(w, "ingress: no rule matches this host and path", http.StatusNotFound)
		return
	}
	route, err := rule.Backend.resolve(h.view.Table())
	if err != nil {
		http.Error(w, "ingress: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	if p != r.URL.Path {
		// The backend sees the path the rules matched, never one that a
		// later normalisation (/a/../b) would turn into a path of
		// another rule.
		u := *r.URL
		u.Path, u.RawPath = p, ""
		r = r.Clone(r.Context())
		r.URL = &u
	}
	ctx := context.WithValue(r.Context(), attemptKey{}, rule.Backend.candidates(route, h.tries))
	h.proxy.ServeHTTP(w, r.WithContext(ctx))
}

// rewrite points the outbound request at the first candidate; Host stays
// the client's, and X-Forwarded-For/Host/Proto are set afresh (the
// client's own are dropped by ReverseProxy before Rewrite).
func (h *handler) rewrite(pr *httputil.ProxyRequest) {
	cands, _ := pr.In.Context().Value(attemptKey{}).([]string)
	pr.Out.URL.Scheme = "http"
	if len(cands) > 0 {
		pr.Out.URL.Host = cands[0]
	}
	pr.SetXForwarded()
	if a, ok := pr.In.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, port, err := net.SplitHostPort(a.String()); err == nil {
			pr.Out.Header.Set("X-Forwarded-Port", port)
		}
	}
}

func (h *handler) proxyError(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, context.Canceled) {
		return // the client went away
	}
	h.log.Debug("backend request failed", zap.String("host", r.Host), zap.String("path", r.URL.Path), zap.Error(err))
	http.Error(w, "ingress: the backend did not answer", http.StatusBadGateway)
}

// requestHost is the request's host without port, lower case.
func requestHost(r *http.Request) string {
	h := r.Host
	if host, _, err := net.SplitHostPort(h); err == nil {
		h = host
	}
	return normHost(h)
}

// cleanPath is path.Clean that keeps a trailing slash: "" is "/",
// "/a//b/../c/" is "/a/c/".
func cleanPath(p string) string {
	if p == "" || p[0] != '/' {
		p = "/" + p
	}
	c := path.Clean(p)
	if strings.HasSuffix(p, "/") && c != "/" {
		c += "/"
	}
	return c
}

// retryTransport sends a request to its candidates in turn while dialing
// fails: nothing was sent then, so even a request with a body can go to
// the next endpoint.
type retryTransport struct {
	base http.RoundTripper
	log  *zap.Logger
}

func (t *retryTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	cands, _ := req.Context().Value(attemptKey{}).([]string)
	if len(cands) < 2 {
		return t.base.RoundTrip(req)
	}
	body := req.Body
	if body == http.NoBody {
		body = nil
	}
	for i, addr := range cands {
		out := *req
		u := *req.URL
		u.Host = addr
		out.URL = &u
		if body != nil {
			// The base transport closes the body even on a failed dial;
			// it is closed here once no endpoint is left to try.
			out.Body = keepOpen{body}
		}
		resp, err := t.base.RoundTrip(&out)
		if err == nil {
			return resp, nil
		}
		if !isDialError(err) || i == len(cands)-1 {
			if body != nil {
				_ = body.Close()
			}
			return nil, err
		}
		t.log.Debug("endpoint unreachable, trying the next", zap.String("endpoint", addr), zap.Error(err))
	}
	return nil, errors.New("ingress: no candidate endpoint") // not reached
}

type keepOpen struct{ io.ReadCloser }

func (keepOpen) Close() error { return nil }

func isDialError(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}

// stdLog is the net/http error log: at debug level, since what it reports
// (failed TLS handshakes, clients that went away) is the clients' doing
// and anyone on the network can cause it.
func stdLog(log *zap.Logger) *stdlog.Logger {
	l, err := zap.NewStdLogAt(log, zapcore.DebugLevel)
	if err != nil {
		return zap.NewStdLog(zap.NewNop())
	}
	return l
}
