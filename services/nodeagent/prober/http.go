package prober

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	gantryv1 "github.com/gantryio/gantry/gen/gantry/v1"
)

// maxBody bounds what is read of a probe's response, as the kubelet's
// 10 KiB: the status code decides, the body is only drained.
const maxBody = 10 << 10

// httpClient is shared by a node's HTTP probes: no keep-alives (a probe
// must see a fresh connection, and idle ones would pile up), no proxy (the
// target is the pod), no redirects followed (a 3xx is a success already,
// and following one could lead anywhere), and no certificate checks on
// HTTPS, as the kubelet does.
func (m *Manager) httpClient() *http.Client {
	m.httpOnce.Do(func() {
		m.http = &http.Client{
			Transport: &http.Transport{
				Proxy:                  nil,
				DisableKeepAlives:      true,
				MaxResponseHeaderBytes: 64 << 10,
				TLSClientConfig:        &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // the kubelet does the same: pods' certificates are not the node's to trust
			},
			CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
		}
	})
	return m.http
}

// checkHTTP GETs the probe's path at addr; 200–399 succeeds.
func checkHTTP(ctx context.Context, client *http.Client, userAgent string, h *gantryv1.HTTPGetAction, addr string, timeout time.Duration) (result, string, error) {
	u := probeURL(h, addr)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return unknown, "", fmt.Errorf("%w: %v", errConfig, err)
	}
	req.Header.Set("User-Agent", userAgent)
	req.Header.Set("Accept", "*/*")
	for _, hd := range h.GetHttpHeaders() {
		if strings.EqualFold(hd.GetName(), "Host") {
			req.Host = hd.GetValue()
			continue
		}
		req.Header.Add(hd.GetName(), hd.GetValue())
	}
	resp, err := client.Do(req)
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) {
			return failure, fmt.Sprintf("Get %q: timed out after %s", u.String(), timeout), nil
		}
		return failure, err.Error(), nil
	}
	_, _ = io.CopyN(io.Discard, resp.Body, maxBody)
	_ = resp.Body.Close()
	if resp.StatusCode >= 200 && resp.StatusCode < 400 {
		return success, "", nil
	}
	return failure, fmt.Sprintf("HTTP probe failed with statuscode: %d", resp.StatusCode), nil
}

// probeURL is scheme://addr/path; the path may carry a query.
func probeURL(h *gantryv1.HTTPGetAction, addr string) *url.URL {
	path := h.GetPath()
	if !strings.HasPrefix(path, "/") {
		path = "/" + path
	}
	u, err := url.Parse(path)
	if err != nil {
		u = &url.URL{Path: path}
	}
	u.Scheme = strings.ToLower(h.GetScheme())
	if u.Scheme != "https" {
		u.Scheme = "http"
	}
	u.Host = addr
	return u
}
