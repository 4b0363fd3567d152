package http

// Request bodies: one bounded JSON object, decoded strictly, with messages
// in the API's words.

import (
	"bytes"
	"encoding"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"reflect"
	"strconv"
	"strings"

	"github.com/portolan-dev/portolan"
)

// exampler is a request body that can show a valid instance of itself,
// for the messages about a body that is not an object at all.
type exampler interface{ example() string }

// decodeBody reads one JSON object of at most maxBody bytes into v,
// refusing unknown fields and trailing data, with messages that name the
// field and the valid form instead of encoding/json's wording. The body is
// read whole first, so a client that announces more than it sends is told
// so rather than leaving the handler to fail on a cancelled request.
func decodeBody(w http.ResponseWriter, r *http.Request, maxBody int64, v exampler) error {
	if err := jsonContent(r); err != nil {
		return err
	}
	if r.ContentLength > maxBody {
		return portolan.Errorf(ETOOLARGE, "request body is %d bytes: want at most %d", r.ContentLength, maxBody)
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return portolan.Errorf(ETOOLARGE, "request body is over %d bytes: want at most %d", maxBody, maxBody)
		}
		if r.ContentLength > 0 {
			return portolan.Errorf(portolan.EINVALID, "request body stopped after %d of the %d bytes its Content-Length announced", len(b), r.ContentLength)
		}
		return portolan.Errorf(portolan.EINVALID, "request body stopped after %d bytes before it was complete", len(b))
	}
	b = bytes.TrimSpace(b)
	if len(b) == 0 {
		return portolan.Errorf(portolan.EINVALID, "request body is empty: want a JSON object such as %s", v.example())
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return bodyError(err, b, r.Header.Get("Content-Type"), v)
	}
	if b[0] != '{' { // null decodes into a struct without complaint
		return portolan.Errorf(portolan.EINVALID, "request body is null: want a JSON object such as %s", v.example())
	}
	if dec.More() {
		return portolan.Errorf(portolan.EINVALID, "request body has data after the JSON object: want one object")
	}
	return nil
}

// jsonContent refuses a body declared as another type (text, a multipart
// form): the caller meant some other API. No Content-Type, and the form
// type curl's --data sends by default, are read as JSON.
func jsonContent(r *http.Request) error {
	ct := r.Header.Get("Content-Type")
	if ct == "" {
		return nil
	}
	mt, _, err := mime.ParseMediaType(ct)
	if err == nil && (mt == "application/json" || mt == "application/x-www-form-urlencoded" ||
		strings.HasPrefix(mt, "application/") && strings.HasSuffix(mt, "+json")) {
		return nil
	}
	return portolan.Errorf(EMEDIATYPE, "request body is declared as %s: want Content-Type: application/json", quote(ct))
}

// bodyError explains a decoding error of body b in the terms of the API.
func bodyError(err error, b []byte, ct string, v exampler) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	var pe *portolan.Error
	switch {
	case errors.As(err, &pe):
		return pe
	case errors.As(err, &te) && te.Field == "":
		return portolan.Errorf(portolan.EINVALID, "request body is %s: want a JSON object such as %s", aValue(te.Value), v.example())
	case errors.As(err, &te):
		return portolan.Errorf(portolan.EINVALID, "request body field %q is %s: want %s", te.Field, aValue(te.Value), want(v, te.Field, te.Type))
	case errors.As(err, &se):
		msg := fmt.Sprintf("request body is not valid JSON at byte %d (%q)", se.Offset, near(b, se.Offset))
		if strings.HasPrefix(ct, "application/x-www-form-urlencoded") {
			msg += ", and was sent as a form"
		}
		return portolan.Errorf(portolan.EINVALID, "%s: want a JSON object such as %s", msg, v.example())
	case errors.Is(err, io.ErrUnexpectedEOF):
		return portolan.Errorf(portolan.EINVALID, "request body ends inside its JSON object: want a complete object such as %s", v.example())
	}
	if f, ok := strings.CutPrefix(err.Error(), "json: unknown field "); ok {
		return portolan.Errorf(portolan.EINVALID, "request body has unknown field %s: want only %s", f, strings.Join(fields(v), ", "))
	}
	return portolan.Errorf(portolan.EINVALID, "request body is not a valid JSON object: want one such as %s", v.example())
}

// aValue names what the client sent, from UnmarshalTypeError.Value
// ("string", "number 1.5", "array", ...).
func aValue(v string) string {
	switch v {
	case "array", "object":
		return "an " + v
	case "bool":
		return "a boolean"
	case "string", "number":
		return "a " + v
	}
	if n, ok := strings.CutPrefix(v, "number "); ok {
		return short(n)
	}
	return v
}

var textUnmarshaler = reflect.TypeFor[encoding.TextUnmarshaler]()

// want says what the field of v named by its JSON name takes: its `want`
// tag, or a plain word for its Go type (never the Go type's name).
func want(v any, name string, t reflect.Type) string {
	if f, ok := fieldByJSON(reflect.TypeOf(v), name); ok && f.Tag.Get("want") != "" {
		return f.Tag.Get("want")
	}
	if reflect.PointerTo(t).Implements(textUnmarshaler) {
		return "a string"
	}
	switch t.Kind() {
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return "a whole number"
	case reflect.Float32, reflect.Float64:
		return "a number"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice, reflect.Array:
		return "an array"
	}
	return "an object"
}

// fields lists the JSON names of v's fields, for the unknown-field message.
func fields(v any) []string {
	t := reflect.TypeOf(v)
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		if n := jsonName(t.Field(i)); n != "" {
			out = append(out, n)
		}
	}
	return out
}

func fieldByJSON(t reflect.Type, name string) (reflect.StructField, bool) {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	for i := range t.NumField() {
		if jsonName(t.Field(i)) == name {
			return t.Field(i), true
		}
	}
	return reflect.StructField{}, false
}

func jsonName(f reflect.StructField) string {
	n, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if n == "-" || !f.IsExported() {
		return ""
	}
	if n == "" {
		return f.Name
	}
	return n
}

// near returns a few bytes of b around offset, to point at a syntax error.
func near(b []byte, offset int64) string {
	lo := max(int(offset)-8, 0)
	hi := min(int(offset)+8, len(b))
	lo = min(lo, hi)
	return string(b[lo:hi])
}

// short cuts s to 40 bytes for a message: a bad value is named, not
// echoed back whole when it is kilobytes long.
func short(s string) string {
	if len(s) <= 40 {
		return s
	}
	return fmt.Sprintf("%s... (%d bytes)", s[:32], len(s))
}

// quote is short for a value shown in quotes: "abc..." (5000 bytes).
func quote(s string) string {
	if len(s) <= 40 {
		return strconv.Quote(s)
	}
	return fmt.Sprintf("%s (%d bytes)", strconv.Quote(s[:32]+"..."), len(s))
}

func oneLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			return s[:i]
		}
	}
	return s
}
