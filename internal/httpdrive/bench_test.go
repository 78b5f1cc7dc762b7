package httpdrive

import (
	"bufio"
	"bytes"
	"context"
	"net"
	"testing"
)

// cannedServer answers every request on a connection with the same
// response, allocating nothing per request, so that a benchmark's
// allocations are the client's.
func cannedServer(tb testing.TB) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { ln.Close() })
	resp := []byte("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 3\r\n\r\nok\n")
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				br := bufio.NewReader(c)
				for {
					for { // the head ends with an empty line
						line, err := br.ReadSlice('\n')
						if err != nil {
							return
						}
						if len(bytes.TrimRight(line, "\r\n")) == 0 {
							break
						}
					}
					if _, err := c.Write(resp); err != nil {
						return
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String()
}

// The hot path of the driver, one validation on a kept-alive connection:
// it must not allocate (go test -bench ValidateH1 -benchmem shows 0 allocs/op).
func BenchmarkValidateH1(b *testing.B) {
	st, err := New(Config{URL: cannedServer(b)})
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	tok := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJ1c2VyLTEifQ.c2lnbmF0dXJl"
	ctx := context.Background()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := st.Validate(ctx, tok); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The hot path allocates nothing once its connection is open: a test, so
// that a change that adds an allocation fails `go test`, not only a benchmark.
func TestValidateH1DoesNotAllocate(t *testing.T) {
	st, err := New(Config{URL: cannedServer(t), Conns: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	ctx := context.Background()
	tok := "abc.def.ghi"
	if err := st.Validate(ctx, tok); err != nil { // dials the connection
		t.Fatal(err)
	}
	var verr error
	allocs := testing.AllocsPerRun(200, func() {
		if err := st.Validate(ctx, tok); err != nil {
			verr = err
		}
	})
	if verr != nil {
		t.Fatal(verr)
	}
	if allocs > 0 {
		t.Errorf("%.1f allocations per validation, want 0", allocs)
	}
}
