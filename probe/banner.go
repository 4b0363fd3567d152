package probe

import (
	"net"
	"strings"
	"time"
)

// readBanner reads what the server sends first: up to BannerBytes within
// BannerTimeout, and once something arrived, only 100 ms more, so a
// one-line greeting (SSH, SMTP, FTP) costs one round trip. It runs beside
// the scan, at most 64 at once, and closes the connection with a reset.
func (s *scan) readBanner(i int, c net.Conn) {
	s.banners.Add(1)
	go func() {
		defer s.banners.Done()
		s.bannerCh <- struct{}{}
		defer func() { <-s.bannerCh }()
		defer func() {
			if tc, ok := c.(*net.TCPConn); ok {
				tc.SetLinger(0)
			}
			c.Close()
		}()
		buf := make([]byte, s.o.BannerBytes)
		n := 0
		c.SetReadDeadline(time.Now().Add(s.o.BannerTimeout))
		for n < len(buf) {
			m, err := c.Read(buf[n:])
			n += m
			if err != nil {
				break
			}
			if m > 0 {
				c.SetReadDeadline(time.Now().Add(100 * time.Millisecond))
			}
		}
		s.res[i].Banner = Printable(buf[:n])
	}()
}

// Printable renders bytes from a network peer safely for a terminal:
// printable ASCII as is, CR and LF as \r and \n, anything else as '.';
// the trailing line end is dropped.
func Printable(b []byte) string {
	var sb strings.Builder
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	for _, c := range b {
		switch {
		case c == '\n':
			sb.WriteString(`\n`)
		case c == '\r':
			sb.WriteString(`\r`)
		case c == '\t':
			sb.WriteByte(' ')
		case c >= 0x20 && c < 0x7f:
			sb.WriteByte(c)
		default:
			sb.WriteByte('.')
		}
	}
	return sb.String()
}
