package ingress

import (
	"net"
	"testing"
	"time"
)

func TestListenSharesThePort(t *testing.T) {
	a, err := listen("127.0.0.1:0", 10)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close()
	b, err := listen(a.Addr().String(), 10)
	if err != nil {
		t.Fatalf("a second proxy on the same ingress port: %v (SO_REUSEPORT)", err)
	}
	b.Close()
}

func TestListenBoundsConnections(t *testing.T) {
	ln, err := listen("127.0.0.1:0", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 2)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c
		}
	}()
	for range 2 {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
	}
	first := <-accepted
	select {
	case <-accepted:
		t.Fatal("a second connection was accepted while the first was open (MaxConns 1)")
	case <-time.After(200 * time.Millisecond):
	}
	first.Close()
	select {
	case c := <-accepted:
		c.Close()
	case <-time.After(5 * time.Second):
		t.Fatal("the waiting connection was not accepted once the first closed")
	}
}
