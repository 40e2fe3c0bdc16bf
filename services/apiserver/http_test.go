package apiserver

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// Profiles are served only when Profiling is on, and then the named ones
// (heap, goroutine, ...) too, not just the index.
func TestProfilingIsOptIn(t *testing.T) {
	for _, on := range []bool{true, false} {
		s := &Server{cfg: Config{Profiling: on}}
		h := s.httpHandler(&metrics{reg: prometheus.NewRegistry()})
		for _, path := range []string{"/debug/pprof/", "/debug/pprof/goroutine?debug=1", "/debug/pprof/heap"} {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
			want := http.StatusNotFound
			if on {
				want = http.StatusOK
			}
			if rec.Code != want {
				t.Errorf("profiling=%v GET %s = %d, want %d", on, path, rec.Code, want)
			}
			if on && path == "/debug/pprof/goroutine?debug=1" && !strings.Contains(rec.Body.String(), "goroutine profile") {
				t.Errorf("goroutine profile body = %.100q", rec.Body.String())
			}
		}
	}
	if !DefaultConfig().Profiling {
		t.Error("DefaultConfig().Profiling = false; the documented default is on")
	}
}
