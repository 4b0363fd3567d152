package serve

import (
	"net/http"

	"github.com/portolan-dev/portolan/http/ui"
)

// webUI is the web page at "/" (package http/ui: embedded HTML, CSS and
// JavaScript reading the JSON API).
func webUI() http.Handler { return ui.Handler() }
