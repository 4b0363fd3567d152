package http

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/portolan-dev/portolan"
)

// Codes of refusals only HTTP has: the domain has no word for them, and
// each needs its own status so that curl users and proxies see what went
// wrong. The client turns them back into portolan.EINVALID.
const (
	ETOOLARGE  = "too_large"              // 413: the body is over the cap
	EMETHOD    = "method_not_allowed"     // 405: the path exists, the method does not
	EMEDIATYPE = "unsupported_media_type" // 415: the body is declared as something other than JSON
	ETOOMANY   = "too_many_requests"      // 429: over a budget; Retry-After says when to come back
)

// codeStatus maps each error code to its HTTP status, once, for the
// server and (inverted) for the client.
var codeStatus = map[string]int{
	portolan.ECONFLICT:     http.StatusConflict,
	portolan.EINVALID:      http.StatusBadRequest,
	portolan.ENOTFOUND:     http.StatusNotFound,
	portolan.EUNAUTHORIZED: http.StatusUnauthorized,
	portolan.EFORBIDDEN:    http.StatusForbidden,
	portolan.EUNSUPPORTED:  http.StatusNotImplemented,
	portolan.ETIMEOUT:      http.StatusGatewayTimeout,
	portolan.EINTERNAL:     http.StatusInternalServerError,
	ETOOLARGE:              http.StatusRequestEntityTooLarge,
	EMETHOD:                http.StatusMethodNotAllowed,
	EMEDIATYPE:             http.StatusUnsupportedMediaType,
	ETOOMANY:               http.StatusTooManyRequests,
}

// domainCode is the portolan code of a code on the wire: the HTTP-only
// ones are bad input to the CLI (exit status 2) like any other.
func domainCode(code string) string {
	switch code {
	case ETOOLARGE, EMETHOD, EMEDIATYPE:
		return portolan.EINVALID
	}
	return code
}

// StatusOf returns the HTTP status for err's code.
func StatusOf(err error) int {
	if s, ok := codeStatus[portolan.ErrorCode(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// codeOf returns the domain code for an HTTP status a body did not explain.
func codeOf(status int) string {
	for c, s := range codeStatus {
		if s == status {
			return c
		}
	}
	if status >= 400 && status < 500 {
		return portolan.EINVALID
	}
	return portolan.EINTERNAL
}

// ErrorBody is the JSON of every error answer:
// {"error":{"code":"conflict","message":"..."}}, plus the conflicts when an
// assignment was refused.
type ErrorBody struct {
	Error     ErrorDetail         `json:"error"`
	Conflicts []portolan.Conflict `json:"conflicts,omitempty"`
}

// ErrorDetail carries a domain error code and its one-line message.
type ErrorDetail struct {
	Code    string `json:"code"`
	Message string `json:"message"`
}

// writeError answers err with its mapped status. Internal errors are
// logged by the caller's logger and shown only as "internal error".
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error, conflicts []portolan.Conflict) {
	code := portolan.ErrorCode(err)
	if code == portolan.EINTERNAL {
		s.log.Error("request failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	if code == portolan.EUNAUTHORIZED {
		w.Header().Set("WWW-Authenticate", `Bearer realm="portolan"`)
		// A client without a valid token gets no keep-alive slot to sit on.
		w.Header().Set("Connection", "close")
	}
	writeJSON(w, StatusOf(err), ErrorBody{ErrorDetail{code, portolan.ErrorMessage(err)}, conflicts})
}

// writeJSON encodes v with the given status.
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b = []byte(`{"error":{"code":"internal","message":"internal error"}}`)
	}
	writeRaw(w, status, append(b, '\n'))
}

// writeRaw writes an already encoded JSON body.
func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h["Content-Type"] = jsonType
	h["Content-Length"] = []string{strconv.Itoa(len(b))}
	w.WriteHeader(status)
	w.Write(b)
}

var jsonType = []string{"application/json"}
