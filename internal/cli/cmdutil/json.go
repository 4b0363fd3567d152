package cmdutil

import (
	"encoding/json"

	"github.com/portolan-dev/portolan/internal/cli/iostreams"
	"github.com/spf13/cobra"
)

// AddJSONFlag adds --json to cmd. Every verb's JSON schema is documented in
// docs/ (know.md, see.md, allocate.md, serve.md); fields are only ever added, never renamed.
func AddJSONFlag(cmd *cobra.Command, v *bool) {
	cmd.Flags().BoolVar(v, "json", false, "print JSON (schemas in docs/)")
}

// WriteJSON writes v as JSON: indented on a terminal, one compact document
// per line on a pipe.
func WriteJSON(s *iostreams.IOStreams, v any) error {
	enc := json.NewEncoder(s.Out)
	enc.SetEscapeHTML(false)
	if s.IsStdoutTTY() {
		enc.SetIndent("", "  ")
	}
	return enc.Encode(v)
}
