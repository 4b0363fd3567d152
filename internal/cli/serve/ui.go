package serve

import "net/http"

// webUI returns the web page's handler; nil serves nothing at "/" (the
// API answers a JSON 404 there).
func webUI() http.Handler { return nil }
