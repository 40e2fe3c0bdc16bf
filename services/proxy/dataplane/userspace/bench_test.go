package userspace

import (
	"io"
	"net"
	"testing"

	"github.com/gantryio/gantry/services/proxy/table"
)

// echoServer echoes every connection until it closes.
func echoServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(c, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// sinkServer reads every connection to its end, then closes it.
func sinkServer(b *testing.B) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				_, _ = io.Copy(io.Discard, c)
			}()
		}
	}()
	return ln.Addr().String()
}

// proxied puts backend behind a userspace route and returns its address.
func proxied(b *testing.B, backend string) string {
	d, err := New(DefaultConfig(), nil, nil)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = d.Close() })
	fx := &fixture{d: d}
	if err := fx.tryApply(objs(service("bench", freePort(b), table.TCP, 0), slices("bench", table.TCP, []string{backend}))...); err != nil {
		b.Fatal(err)
	}
	return fx.listen("bench", table.TCP)[0]
}

// BenchmarkTCP compares a client talking to a backend directly and
// through the userspace relay on loopback:
//   - rtt: one 64-byte request and its echo on an open connection;
//   - connect: a new connection per request (dial, one echo, close);
//   - bulk: streaming 1 MiB writes into a sink (throughput).
func BenchmarkTCP(b *testing.B) {
	for _, via := range []string{"direct", "userspace"} {
		target := func(backend string) string {
			if via == "direct" {
				return backend
			}
			return proxied(b, backend)
		}
		b.Run(via+"/rtt", func(b *testing.B) {
			c, err := net.Dial("tcp", target(echoServer(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			msg, buf := make([]byte, 64), make([]byte, 64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run(via+"/connect", func(b *testing.B) {
			addr := target(echoServer(b))
			msg, buf := make([]byte, 64), make([]byte, 64)
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				c, err := net.Dial("tcp", addr)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := c.Write(msg); err != nil {
					b.Fatal(err)
				}
				if _, err := io.ReadFull(c, buf); err != nil {
					b.Fatal(err)
				}
				c.Close()
			}
		})
		b.Run(via+"/bulk", func(b *testing.B) {
			c, err := net.Dial("tcp", target(sinkServer(b)))
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			chunk := make([]byte, 1<<20)
			b.SetBytes(int64(len(chunk)))
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := c.Write(chunk); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
