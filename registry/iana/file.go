package iana

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"path/filepath"

	"github.com/portolan-dev/portolan"
)

// Parse reads IANA's registry as XML or CSV, telling them apart by the
// first non-blank byte ('<' for XML).
func Parse(r io.Reader) (*Data, error) {
	br := bufio.NewReader(r)
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

// ParseFile parses the XML or CSV file at path; errors start with the path.
func ParseFile(path string) (*Data, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, portolan.Errorf(portolan.EINVALID, "cannot read %s: %v", path, unwrapPathErr(err))
	}
	defer f.Close()
	d, err := Parse(f)
	if err != nil {
		return nil, portolan.Errorf(portolan.ErrorCode(err), "%s: %s", path, portolan.ErrorMessage(err))
	}
	d.Source = filepath.Base(path)
	return d, nil
}

func unwrapPathErr(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}

// Generate parses the file at path and encodes its snapshot: what `go
// generate` commits and what `registry update` stores.
func Generate(path string) ([]byte, error) {
	d, err := ParseFile(path)
	if err != nil {
		return nil, err
	}
	return Encode(d)
}
