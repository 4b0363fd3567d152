package iana

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/portolan-dev/portolan"
)

// MaxInput bounds what Parse reads, after decompression: IANA's XML is
// about 4 MB, so a file past 64 MiB is not a release, and reading it whole
// (or inflating a small gzip bomb) would only exhaust memory.
const MaxInput = 64 << 20

// errTooLarge is what the bounded reader returns past MaxInput.
var errTooLarge = errors.New("input larger than 64 MiB")

func tooLarge() error {
	return portolan.Errorf(portolan.EINVALID, "larger than 64 MiB: IANA's service-names-port-numbers XML is about 4 MB, its CSV about 2 MB")
}

// Parse reads IANA's registry as XML or CSV, telling them apart by the
// first non-blank byte ('<' for XML); gzip-compressed input is inflated
// first. At most MaxInput bytes are read.
func Parse(r io.Reader) (*Data, error) {
	raw := &boundedReader{r: r, n: MaxInput}
	in := raw
	br := bufio.NewReader(raw)
	if b, _ := br.Peek(2); len(b) == 2 && b[0] == 0x1f && b[1] == 0x8b {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, portolan.Errorf(portolan.EINVALID, "not valid gzip: %v", err)
		}
		zr.Multistream(false)
		in = &boundedReader{r: zr, n: MaxInput}
		br = bufio.NewReader(in)
	}
	d, err := parse(br)
	if raw.over || in.over {
		return nil, tooLarge() // whatever the parser made of the cut
	}
	return d, err
}

func parse(br *bufio.Reader) (*Data, error) {
	for {
		b, err := br.Peek(1)
		if err != nil {
			return nil, portolan.Errorf(portolan.EINVALID, "line 1: empty file: want IANA's service-names-port-numbers XML or CSV")
		}
		switch b[0] {
		case ' ', '\t', '\r', '\n':
			br.ReadByte()
			continue
		case '<':
			return ParseXML(br)
		case 0xef: // a UTF-8 byte order mark
			if bom, _ := br.Peek(3); bytes.Equal(bom, []byte("\ufeff")) {
				br.Discard(3)
				continue
			}
		}
		return ParseCSV(br)
	}
}

// boundedReader reads at most n bytes from r and fails, rather than ending
// quietly as io.LimitReader does, when r has more: a cut-off file must not
// parse as a shorter release.
type boundedReader struct {
	r    io.Reader
	n    int64
	over bool // r had more than n bytes
}

func (b *boundedReader) Read(p []byte) (int, error) {
	if b.n <= 0 {
		var one [1]byte
		if n, _ := io.ReadFull(b.r, one[:]); n == 0 {
			return 0, io.EOF
		}
		b.over = true
		return 0, errTooLarge
	}
	if int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	b.n -= int64(n)
	return n, err
}

// ParseFile parses the XML or CSV file at path, gzip-compressed or not;
// errors start with the path. The release's Source is the file's base
// name without ".gz".
func ParseFile(path string) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "cannot read %s: %v", path, unwrapPathErr(err))
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().IsRegular() && fi.Size() > MaxInput {
		return nil, portolan.Errorf(portolan.EINVALID, "%s: %s", path, portolan.ErrorMessage(tooLarge()))
	}
	d, err := Parse(f)
	if err != nil {
		return nil, portolan.Errorf(portolan.ErrorCode(err), "%s: %s", path, portolan.ErrorMessage(err))
	}
	d.Source = strings.TrimSuffix(filepath.Base(path), ".gz")
	return d, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Generate parses the file at path, checks it is a whole release, and
// encodes its snapshot: what `go generate` commits.
func Generate(path string) ([]byte, error) {
	d, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	if err := CheckComplete(d); err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "%s: %s", path, portolan.ErrorMessage(err))
	}
	return Encode(d)
}
