package http

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/portolan-dev/portolan"
)

// codeStatus maps each domain error code to its HTTP status, once, for the
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

// decodeBody reads one JSON document of at most maxBody bytes into v,
// refusing unknown fields and trailing data, with messages that say what
// was wrong.
func decodeBody(w http.ResponseWriter, r *http.Request, maxBody int64, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var mbe *http.MaxBytesError
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		var pe *portolan.Error
		switch {
		case errors.As(err, &mbe):
			return portolan.Errorf(portolan.EINVALID, "request body is over %d bytes", maxBody)
		case errors.Is(err, io.EOF):
			return portolan.Errorf(portolan.EINVALID, "request body is empty: want a JSON object")
		case errors.As(err, &pe):
			return pe
		case errors.As(err, &se):
			return portolan.Errorf(portolan.EINVALID, "request body is not valid JSON at byte %d", se.Offset)
		case errors.As(err, &te):
			return portolan.Errorf(portolan.EINVALID, "request body field %q has the wrong type: want %s", te.Field, te.Type)
		}
		return portolan.Errorf(portolan.EINVALID, "request body: %s", oneLine(err.Error()))
	}
	if dec.More() {
		return portolan.Errorf(portolan.EINVALID, "request body has data after the JSON object")
	}
	return nil
}

func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
