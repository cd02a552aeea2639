package emulator

import (
	"bytes"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"
)

// LoadDataFile reads a data file into a Config (Credentials, Regions and
// Identity):
//
//	{"credentials": [{"secret_id": "AKID…", "secret_key": "…", "token": "optional"}],
//	 "regions": {"ap-guangzhou": [
//	   {"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"},
//	   {"InstanceId": "ins-5d8a23rs", "InstanceState": "STARTING",
//	    "Transitions": [{"After": "3s", "InstanceState": "RUNNING"}]}]},
//	 "identity": {…}}
//
// Unknown fields are refused. An error names the file, the place (line and
// column, and a JSON path such as regions["ap-guangzhou"][1].InstanceState)
// and the problem. Relative paths in the identity (PublicKeyFile) are
// resolved against the data file's directory; the key files are read and
// checked here, once, and the Config carries their keys to New and Reload.
func LoadDataFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("data file: %w", err)
	}
	var doc dataFile
	if err := decodeDocument(data, &doc); err != nil {
		return Config{}, fileError(path, err)
	}
	for i, p := range doc.Identity.OIDCProviders {
		if p.PublicKeyFile != "" && !filepath.IsAbs(p.PublicKeyFile) {
			doc.Identity.OIDCProviders[i].PublicKeyFile = filepath.Join(filepath.Dir(path), p.PublicKeyFile)
		}
	}
	cfg := Config{Credentials: doc.Credentials, Identity: doc.Identity}
	err = checkFileCredentials(doc.Credentials)
	if err == nil {
		var st *authState
		if st, err = newAuthState(doc.Credentials, doc.Identity, "credentials", "identity", nil); err == nil {
			cfg.oidcKeys = make(map[string]*rsa.PublicKey, len(st.oidc))
			for _, p := range st.oidc {
				cfg.oidcKeys[p.PublicKeyFile] = p.key
			}
		}
	}
	if err == nil {
		cfg.Regions, err = doc.Regions.instances("regions")
	}
	if err == nil {
		err = validateRegions("regions", cfg.Regions, nil)
	}
	if err != nil {
		return Config{}, fileError(path, placeError(data, &doc, err))
	}
	return cfg, nil
}

// dataFile is the data file as written.
type dataFile struct {
	Credentials []Credential `json:"credentials"`
	Regions     fileRegions  `json:"regions"`
	Identity    Identity     `json:"identity"`
}

// fileRegions is the data file's "regions", also the body of
// PUT /_emulator/instances. Transition delays stay strings until they can be
// checked with their JSON path.
type fileRegions map[string][]struct {
	InstanceId    string `json:"InstanceId"`
	InstanceState string `json:"InstanceState"`
	Readiness
	Transitions []struct {
		After         string `json:"After"`
		InstanceState string `json:"InstanceState"`
		Readiness
	} `json:"Transitions"`
}

func (fr fileRegions) instances(root string) (map[string][]Instance, error) {
	out := make(map[string][]Instance, len(fr))
	for region, list := range fr {
		out[region] = make([]Instance, len(list))
		for i, fi := range list {
			in := Instance{InstanceId: fi.InstanceId, InstanceState: fi.InstanceState, Readiness: fi.Readiness}
			for j, ft := range fi.Transitions {
				at := fmt.Sprintf("%s[%s][%d].Transitions[%d].After", root, strconv.Quote(region), i, j)
				if ft.After == "" {
					return nil, &pathError{at, "After is missing: write a delay such as \"3s\""}
				}
				d, err := time.ParseDuration(ft.After)
				switch {
				case err != nil:
					return nil, &pathError{at, fmt.Sprintf("invalid duration %q: write a duration such as \"3s\" or \"1m30s\"", ft.After)}
				case d < 0:
					return nil, &pathError{at, fmt.Sprintf("negative delay %q", ft.After)}
				}
				in.Transitions = append(in.Transitions, Transition{After: Duration(d), InstanceState: ft.InstanceState, Readiness: ft.Readiness})
			}
			out[region][i] = in
		}
	}
	return out, nil
}

func checkFileCredentials(creds []Credential) error {
	seen := map[string]string{}
	for i, c := range creds {
		at := fmt.Sprintf("credentials[%d]", i)
		switch {
		case c.SecretID == "":
			return &pathError{at + ".secret_id", "secret_id is missing or empty"}
		case c.SecretKey == "":
			return &pathError{at + ".secret_key", "secret_key is missing or empty"}
		}
		if first, dup := seen[c.SecretID]; dup {
			return &pathError{at + ".secret_id", fmt.Sprintf("duplicate secret_id %q (first at %s)", c.SecretID, first)}
		}
		seen[c.SecretID] = at
	}
	return nil
}

// parseRegionsDocument reads the body of PUT /_emulator/instances: an object
// shaped like the data file's "regions". Region names and instances are
// checked by SetInstances; the errors name the JSON path from the body's top.
func parseRegionsDocument(data []byte) (map[string][]Instance, error) {
	var fr fileRegions
	if err := decodeDocument(data, &fr); err != nil {
		return nil, err
	}
	regions, err := fr.instances("")
	if err != nil {
		return nil, placeError(data, &fr, err)
	}
	return regions, nil
}

// pathError is a problem with the value at a JSON path.
type pathError struct{ path, msg string }

func (e *pathError) Error() string { return e.path + ": " + e.msg }

// docError is a problem at a line and column of a JSON document: a syntax
// error (no path) or a problem with the value at path.
type docError struct {
	path      string
	line, col int
	msg       string
}

func (e *docError) Error() string {
	if e.path == "" {
		return fmt.Sprintf("line %d, column %d: syntax error: %s", e.line, e.col, e.msg)
	}
	return fmt.Sprintf("%s (line %d, column %d): %s", e.path, e.line, e.col, e.msg)
}

func newDocError(data []byte, offset int64, path, msg string) *docError {
	line, col := lineColumn(data, offset)
	return &docError{path: path, line: line, col: col, msg: msg}
}

func fileError(path string, err error) error {
	var de *docError
	if errors.As(err, &de) && de.path == "" {
		return fmt.Errorf("%s:%d:%d: syntax error: %s", path, de.line, de.col, de.msg)
	}
	return fmt.Errorf("data file %s: %w", path, err)
}

// placeError gives a *pathError the line and column of its value (or of the
// nearest enclosing value, for a missing field) in the document that decoded
// into v.
func placeError(data []byte, v any, err error) error {
	var pe *pathError
	if !errors.As(err, &pe) {
		return err
	}
	offset, best := int64(0), -1
	scanJSON(data, reflect.TypeOf(v), func(jv jsonValue) bool {
		rest, prefix := strings.CutPrefix(pe.path, jv.path)
		if prefix && (rest == "" || rest[0] == '.' || rest[0] == '[') && len(jv.path) > best {
			offset, best = jv.offset, len(jv.path)
		}
		return rest != ""
	})
	return newDocError(data, offset, pe.path, pe.msg)
}

// decodeDocument decodes one JSON value into v (a pointer), refusing unknown
// fields and trailing data. Its errors are *docError: the line and column,
// and the JSON path of the value at fault.
func decodeDocument(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	var (
		se *json.SyntaxError
		te *json.UnmarshalTypeError
	)
	switch {
	case err == nil:
		start := nextTokenOffset(data, dec.InputOffset())
		if _, err := dec.Token(); err != io.EOF {
			return newDocError(data, start, "", "unexpected data after the top-level value")
		}
		return nil
	case errors.As(err, &se): // the offset is just past the offending character
		return newDocError(data, se.Offset-1, "", se.Error())
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		return newDocError(data, int64(len(data)), "", "unexpected end of the document")
	case errors.As(err, &te): // the offset is just past the value at fault
		found := jsonValue{path: "top level"}
		scanJSON(data, reflect.TypeOf(v), func(jv jsonValue) bool {
			if jv.offset < te.Offset && jv.unknownKey == "" {
				found = jv
			}
			return jv.offset < te.Offset
		})
		kind, _, _ := strings.Cut(te.Value, " ")
		return newDocError(data, found.offset, found.path, fmt.Sprintf("expected %s, found %s", expectedKind(te.Type), jsonKinds[kind]))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		var found *docError
		scanJSON(data, reflect.TypeOf(v), func(jv jsonValue) bool {
			if jv.unknownKey != "" {
				found = newDocError(data, jv.offset, jv.path, fmt.Sprintf("unknown field %q; the fields here are %s", jv.unknownKey, fieldList(jv.in)))
			}
			return found == nil
		})
		if found != nil {
			return found
		}
	}
	return err
}

var jsonKinds = map[string]string{"string": "a string", "number": "a number", "bool": "a boolean", "array": "an array", "object": "an object"}

func expectedKind(t reflect.Type) string {
	switch t.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Int, reflect.Int64:
		return "an integer"
	}
	return t.String()
}

// jsonFields are the fields encoding/json sees in a struct type: those of
// an embedded struct (such as Readiness) in its place.
func jsonFields(t reflect.Type) []reflect.StructField {
	var out []reflect.StructField
	for _, f := range reflect.VisibleFields(t) {
		if f.IsExported() && (!f.Anonymous || f.Type.Kind() != reflect.Struct) {
			out = append(out, f)
		}
	}
	return out
}

// fieldList names the JSON fields of a struct type.
func fieldList(t reflect.Type) string {
	var names []string
	for _, f := range jsonFields(t) {
		names = append(names, strconv.Quote(jsonName(f)))
	}
	if len(names) < 2 {
		return strings.Join(names, "")
	}
	return strings.Join(names[:len(names)-1], ", ") + " and " + names[len(names)-1]
}

// jsonValue is a value, or an unknown object key, that scanJSON met.
type jsonValue struct {
	path       string // such as regions["ap-guangzhou"][1].InstanceState
	offset     int64  // where the value (or the unknown key) starts
	unknownKey string // a key that the struct type in has no field for
	in         reflect.Type
}

// scanJSON walks a well-formed prefix of data, which decodes into a value of
// type t, and calls visit with every value in document order, and with every
// object key that t has no field for. It stops when visit returns false or
// at the first syntax error.
func scanJSON(data []byte, t reflect.Type, visit func(jsonValue) bool) {
	type level struct {
		path   string
		t      reflect.Type // of the container; nil when unknown
		object bool
		n      int    // arrays: index of the next element
		key    string // objects: the key of the next value
		hasKey bool
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var stack []*level
	for {
		start := nextTokenOffset(data, dec.InputOffset())
		tok, err := dec.Token()
		if err != nil {
			return
		}
		path, vt := "", deref(t)
		if len(stack) > 0 {
			top := stack[len(stack)-1]
			if d, ok := tok.(json.Delim); ok && (d == '}' || d == ']') {
				stack = stack[:len(stack)-1]
				continue
			}
			if top.object && !top.hasKey {
				top.key, _ = tok.(string) // the decoder yields only string keys
				top.hasKey = true
				if _, known := childType(top.t, top.key); !known &&
					!visit(jsonValue{path: childPath(top.path, top.t, true, top.key, 0), offset: start, unknownKey: top.key, in: top.t}) {
					return
				}
				continue
			}
			vt, _ = childType(top.t, top.key)
			path = childPath(top.path, top.t, top.object, top.key, top.n)
			if top.object {
				top.hasKey = false
			} else {
				top.n++
			}
		}
		if !visit(jsonValue{path: path, offset: start}) {
			return
		}
		if d, ok := tok.(json.Delim); ok {
			stack = append(stack, &level{path: path, t: vt, object: d == '{'})
		}
	}
}

func deref(t reflect.Type) reflect.Type {
	for t != nil && t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	return t
}

// childType is the type of a container's element or field (matched as
// encoding/json does, case-insensitively); known is false for a key that a
// struct has no field for.
func childType(t reflect.Type, key string) (child reflect.Type, known bool) {
	switch {
	case t == nil:
		return nil, true
	case t.Kind() == reflect.Map || t.Kind() == reflect.Slice:
		return deref(t.Elem()), true
	case t.Kind() == reflect.Struct:
		for _, f := range jsonFields(t) {
			if strings.EqualFold(jsonName(f), key) {
				return deref(f.Type), true
			}
		}
		return nil, false
	}
	return nil, true
}

func childPath(path string, t reflect.Type, object bool, key string, index int) string {
	switch {
	case !object:
		return fmt.Sprintf("%s[%d]", path, index)
	case t != nil && t.Kind() == reflect.Map:
		return path + "[" + strconv.Quote(key) + "]"
	case path == "":
		return key
	}
	return path + "." + key
}

func jsonName(f reflect.StructField) string {
	name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
	if name == "" {
		return f.Name
	}
	return name
}

// nextTokenOffset is the offset where the next token starts: past the
// whitespace and separators the decoder has not consumed yet.
func nextTokenOffset(data []byte, from int64) int64 {
	return int64(len(data) - len(bytes.TrimLeft(data[from:], " \t\r\n,:")))
}

// lineColumn converts a byte offset to a 1-based line and column.
func lineColumn(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	before := data[:offset]
	line := 1 + bytes.Count(before, []byte{'\n'})
	return line, int(offset) - (bytes.LastIndexByte(before, '\n') + 1) + 1
}
