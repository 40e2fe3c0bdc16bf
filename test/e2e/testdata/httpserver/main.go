// Command httpserver is the workload of the e2e workload tests: a tiny
// HTTP server that says which pod it is.
//
// It listens on $LISTEN_ADDR (default 127.0.0.1:0: a free port on
// loopback), prints "listening on HOST:PORT" with the address it got, and
// answers GET / with $POD_NAME, GET /version with $VERSION and GET /pid
// with its process id. SIGTERM ends it at once (Go's default).
package main

import (
	"fmt"
	"net"
	"net/http"
	"os"
	"strconv"
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
	err = http.Serve(ln, mux)
	fmt.Fprintln(os.Stderr, "httpserver:", err)
	os.Exit(1)
}
