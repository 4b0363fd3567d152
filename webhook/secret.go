package webhook

import (
	"bytes"

	"github.com/portolan-dev/portolan/internal/secretfile"
)

// NewFromSecretFile is New with the secret read from the file at path,
// with secretfile's checks (a regular file of this user or root, mode
// 0600 or stricter, small); surrounding white space is trimmed. The secret
// never comes from argv.
func NewFromSecretFile(rawURL, path string, o Options) (*Sender, error) {
	b, err := secretfile.Read(path, "webhook secret file")
	if err != nil {
		return nil, err
	}
	return New(rawURL, bytes.TrimSpace(b), o)
}
