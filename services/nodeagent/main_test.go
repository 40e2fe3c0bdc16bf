package nodeagent

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"
)

// helperEnv makes the test binary act as a tiny container program: the
// tests run it inside pods.
const helperEnv = "GANTRY_NODEAGENT_TEST_HELPER"

func TestMain(m *testing.M) {
	switch os.Getenv(helperEnv) {
	case "echo":
		os.Exit(echoServer())
	case "dial":
		os.Exit(dial(os.Getenv("TARGET")))
	case "health":
		os.Exit(healthServer(os.Getenv("ADDR"), os.Getenv("HEALTH_FILE")))
	}
	os.Exit(m.Run())
}

// echoServer answers each line with "pong <line> from <its address>".
func echoServer() int {
	l, err := net.Listen("tcp", ":7777")
	if err != nil {
		fmt.Println("listen:", err)
		return 1
	}
	fmt.Println("listening")
	for {
		c, err := l.Accept()
		if err != nil {
			return 1
		}
		go func() {
			defer c.Close()
			_ = c.SetDeadline(time.Now().Add(10 * time.Second))
			line, _ := bufio.NewReader(c).ReadString('\n')
			fmt.Fprintf(c, "pong %s from %s\n", strings.TrimSpace(line), c.LocalAddr().(*net.TCPAddr).IP)
		}()
	}
}

// dial connects to target until it answers, and prints the answer.
func dial(target string) int {
	deadline := time.Now().Add(20 * time.Second)
	for time.Now().Before(deadline) {
		c, err := net.DialTimeout("tcp", target, time.Second)
		if err != nil {
			time.Sleep(100 * time.Millisecond)
			continue
		}
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		fmt.Fprintln(c, "ping")
		line, err := bufio.NewReader(c).ReadString('\n')
		c.Close()
		if err == nil {
			fmt.Print(line)
			return 0
		}
	}
	fmt.Println("no answer from", target)
	return 1
}

// healthServer serves GET /healthz on addr: 200 while file exists, 503
// otherwise (the probe tests' container).
func healthServer(addr, file string) int {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, _ *http.Request) {
		if _, err := os.Stat(file); err != nil {
			http.Error(w, "not healthy", http.StatusServiceUnavailable)
			return
		}
		fmt.Fprintln(w, "ok")
	})
	fmt.Println("serving", addr)
	fmt.Println(http.ListenAndServe(addr, mux))
	return 1
}
