package httpdrive

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"syscall"
	"time"
)

// h1 is the driver's HTTP/1.1 client for the hot path: a keep-alive pool
// of connections, each with its own request buffer and reader, so that a
// validation writes one prebuilt request (prefix + token + suffix) and
// parses the status line and the few headers that frame the body without
// allocating. net/http's client costs several times more CPU per request
// and would measure itself as much as the server.
type h1 struct {
	d       *dialer
	idle    chan *h1conn
	prefix  []byte // request line, Host, and the start of the credential header
	suffix  []byte // end of the credential header, end of the head
	fresh   []byte // the same with Connection: close
	head    bool   // HEAD request: the response has no body
	timeout time.Duration
}

type h1conn struct {
	c      net.Conn
	br     *bufio.Reader
	buf    []byte
	reused bool
}

// newH1 prepares the request "METHOD path HTTP/1.1" with the credential
// written as credPrefix + token (e.g. "Authorization: Bearer ").
func newH1(d *dialer, host, method, path, credPrefix string, extra []string, conns int, timeout time.Duration) *h1 {
	var b bytes.Buffer
	fmt.Fprintf(&b, "%s %s HTTP/1.1\r\nHost: %s\r\nUser-Agent: authbench\r\n", method, path, host)
	for _, h := range extra {
		b.WriteString(h)
		b.WriteString("\r\n")
	}
	if method != "GET" && method != "HEAD" {
		b.WriteString("Content-Length: 0\r\n")
	}
	b.WriteString(credPrefix)
	return &h1{
		d: d, idle: make(chan *h1conn, conns), timeout: timeout, head: method == "HEAD",
		prefix: bytes.Clone(b.Bytes()),
		suffix: []byte("\r\n\r\n"),
		fresh:  []byte("\r\nConnection: close\r\n\r\n"),
	}
}

// errRetry marks a failure on a reused connection before any byte of the
// response arrived: the server closed it while idle, and an idempotent
// request may be sent again on a new one (RFC 9112 §9.3.1).
var errRetry = errors.New("connection closed before the response")

// do sends the request with token and returns the status code. A fresh
// request dials a connection of its own and closes it after the response.
func (p *h1) do(ctx context.Context, token string, fresh, resume bool) (int, error) {
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	for attempt := 0; ; attempt++ {
		var c *h1conn
		if !fresh && attempt == 0 {
			select {
			case c = <-p.idle:
			default:
			}
		}
		if c == nil {
			nc, err := p.d.dial(ctx, protoH1, resume || !fresh)
			if err != nil {
				return 0, fmt.Errorf("connect: %w", err)
			}
			c = &h1conn{c: nc, br: bufio.NewReaderSize(nc, 4096), buf: make([]byte, 0, 1024)}
		}
		status, keep, err := p.roundTrip(c, token, fresh)
		if err != nil {
			c.c.Close()
			if errors.Is(err, errRetry) && c.reused && attempt == 0 {
				continue
			}
			return 0, err
		}
		if keep && !fresh {
			c.reused = true
			select {
			case p.idle <- c:
			default:
				c.c.Close()
			}
		} else {
			c.c.Close()
		}
		return status, nil
	}
}

var protoH1 = []string{"http/1.1"}

func (p *h1) roundTrip(c *h1conn, token string, fresh bool) (status int, keep bool, err error) {
	b := append(c.buf[:0], p.prefix...)
	b = append(b, token...)
	if fresh {
		b = append(b, p.fresh...)
	} else {
		b = append(b, p.suffix...)
	}
	c.buf = b
	if p.timeout > 0 {
		c.c.SetDeadline(time.Now().Add(p.timeout))
	}
	if _, err := c.c.Write(b); err != nil {
		if c.reused && closedByPeer(err) {
			return 0, false, errRetry
		}
		return 0, false, fmt.Errorf("send: %w", err)
	}
	status, keep, err = readResponse(c.br, p.head)
	if err != nil && c.reused && closedByPeer(err) && c.br.Buffered() == 0 {
		return 0, false, errRetry
	}
	return status, keep, err
}

func closedByPeer(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

var (
	errBadResponse = errors.New("malformed HTTP response")
	hdrLength      = []byte("content-length")
	hdrEncoding    = []byte("transfer-encoding")
	hdrConnection  = []byte("connection")
	tokClose       = []byte("close")
	tokChunked     = []byte("chunked")
)

// readResponse reads one response and its body. keep is false when the
// connection cannot carry another request.
func readResponse(br *bufio.Reader, head bool) (status int, keep bool, err error) {
	line, err := br.ReadSlice('\n')
	if err != nil {
		if err == io.EOF {
			return 0, false, fmt.Errorf("receive: %w", io.EOF)
		}
		return 0, false, fmt.Errorf("receive: %w", err)
	}
	if len(line) < 12 || !bytes.HasPrefix(line, []byte("HTTP/1.")) || line[8] != ' ' {
		return 0, false, errBadResponse
	}
	keep = line[7] == '1'
	for _, ch := range line[9:12] {
		if ch < '0' || ch > '9' {
			return 0, false, errBadResponse
		}
		status = status*10 + int(ch-'0')
	}
	length, chunked := int64(-1), false
	for {
		h, err := br.ReadSlice('\n')
		if err != nil {
			return 0, false, fmt.Errorf("receive headers: %w", err)
		}
		h = bytes.TrimRight(h, "\r\n")
		if len(h) == 0 {
			break
		}
		i := bytes.IndexByte(h, ':')
		if i <= 0 {
			return 0, false, errBadResponse
		}
		name, val := h[:i], bytes.TrimSpace(h[i+1:])
		switch {
		case bytes.EqualFold(name, hdrLength):
			n, ok := parseUint(val)
			if !ok {
				return 0, false, errBadResponse
			}
			length = n
		case bytes.EqualFold(name, hdrEncoding):
			chunked = containsFold(val, tokChunked)
		case bytes.EqualFold(name, hdrConnection):
			if containsFold(val, tokClose) {
				keep = false
			}
		}
	}
	switch {
	case head || status == 204 || status == 304 || status < 200:
	case chunked:
		if err := discardChunked(br); err != nil {
			return 0, false, err
		}
	case length >= 0:
		if _, err := br.Discard(int(length)); err != nil {
			return 0, false, fmt.Errorf("receive body: %w", err)
		}
	default: // delimited by the end of the connection
		if _, err := io.Copy(io.Discard, br); err != nil {
			return 0, false, fmt.Errorf("receive body: %w", err)
		}
		keep = false
	}
	return status, keep, nil
}

func discardChunked(br *bufio.Reader) error {
	for {
		line, err := br.ReadSlice('\n')
		if err != nil {
			return fmt.Errorf("receive chunk: %w", err)
		}
		line = bytes.TrimRight(line, "\r\n")
		if i := bytes.IndexByte(line, ';'); i >= 0 {
			line = line[:i]
		}
		var n int64
		if len(line) == 0 || len(line) > 15 {
			return errBadResponse
		}
		for _, ch := range line {
			switch {
			case '0' <= ch && ch <= '9':
				n = n<<4 | int64(ch-'0')
			case 'a' <= ch && ch <= 'f':
				n = n<<4 | int64(ch-'a'+10)
			case 'A' <= ch && ch <= 'F':
				n = n<<4 | int64(ch-'A'+10)
			default:
				return errBadResponse
			}
		}
		if n == 0 {
			for { // trailers, then the empty line
				t, err := br.ReadSlice('\n')
				if err != nil {
					return fmt.Errorf("receive trailers: %w", err)
				}
				if len(bytes.TrimRight(t, "\r\n")) == 0 {
					return nil
				}
			}
		}
		if _, err := br.Discard(int(n) + 2); err != nil {
			return fmt.Errorf("receive chunk: %w", err)
		}
	}
}

func parseUint(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	var n int64
	for _, ch := range b {
		if ch < '0' || ch > '9' {
			return 0, false
		}
		n = n*10 + int64(ch-'0')
	}
	return n, true
}

// containsFold reports whether the comma-separated list v holds tok.
func containsFold(v, tok []byte) bool {
	for len(v) > 0 {
		var part []byte
		if i := bytes.IndexByte(v, ','); i >= 0 {
			part, v = v[:i], v[i+1:]
		} else {
			part, v = v, nil
		}
		if bytes.EqualFold(bytes.TrimSpace(part), tok) {
			return true
		}
	}
	return false
}

// close closes the idle connections.
func (p *h1) close() {
	for {
		select {
		case c := <-p.idle:
			c.c.Close()
		default:
			return
		}
	}
}
