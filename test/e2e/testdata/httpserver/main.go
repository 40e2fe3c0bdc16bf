// Command httpserver is the workload of the e2e workload tests: a tiny
// HTTP server that says which pod it is.
//
// It listens on $LISTEN_ADDR (default 127.0.0.1:0: a free port on
// loopback), prints "listening on HOST:PORT" with the address it got, and
// answers GET / with $POD_NAME, GET /version with $VERSION and GET /pid
// with its process id. SIGTERM ends it at once (Go's default).
//
// For the probe tests, GET /healthz and GET /readyz answer 200 "ok" until
// POST /healthz/fail (or /readyz/fail) makes them answer 500 (503), and
// POST /healthz/ok (/readyz/ok) heals them again. The state is the
// process's own: a restarted server is healthy and ready.
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
	"sync/atomic"
)

func main() {
	addr := os.Getenv("LISTEN_ADDR")
	if addr == "" {
		addr = "127.0.0.1:0"
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		fmt.Fprintln(os.Stderr, "httpserver:", err)
		os.Exit(1)
	}
	fmt.Printf("listening on %s\n", ln.Addr())
	mux := http.NewServeMux()
	reply := func(s string) http.HandlerFunc {
		return func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, s) }
	}
	mux.HandleFunc("GET /{$}", reply(os.Getenv("POD_NAME")))
	mux.HandleFunc("GET /version", reply(os.Getenv("VERSION")))
	mux.HandleFunc("GET /pid", reply(strconv.Itoa(os.Getpid())))
	var unhealthy, unready atomic.Bool
	check(mux, "/healthz", &unhealthy, http.StatusInternalServerError)
	check(mux, "/readyz", &unready, http.StatusServiceUnavailable)
	err = http.Serve(ln, mux)
	fmt.Fprintln(os.Stderr, "httpserver:", err)
	os.Exit(1)
}

// check serves a health endpoint at path that fails with code while
// failing is set, and path/fail and path/ok to set and clear it.
func check(mux *http.ServeMux, path string, failing *atomic.Bool, code int) {
	mux.HandleFunc("GET "+path, func(w http.ResponseWriter, _ *http.Request) {
		if failing.Load() {
			http.Error(w, "failing on request", code)
			return
		}
		fmt.Fprint(w, "ok")
	})
	mux.HandleFunc("POST "+path+"/fail", func(w http.ResponseWriter, _ *http.Request) {
		failing.Store(true)
		fmt.Printf("%s fails from now on\n", path)
		fmt.Fprint(w, "failing")
	})
	mux.HandleFunc("POST "+path+"/ok", func(w http.ResponseWriter, _ *http.Request) {
		failing.Store(false)
		fmt.Printf("%s heals\n", path)
		fmt.Fprint(w, "ok")
	})
}
