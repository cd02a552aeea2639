package emulator

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"time"
)

// LoadDataFile reads a data file into a Config (Credentials and Regions):
//
//	{"credentials": [{"secret_id": "AKID…", "secret_key": "…", "token": "optional"}],
//	 "regions": {"ap-guangzhou": [
//	   {"InstanceId": "ins-r8hr2upy", "InstanceState": "RUNNING"},
//	   {"InstanceId": "ins-5d8a23rs", "InstanceState": "STARTING",
//	    "Transitions": [{"After": "3s", "InstanceState": "RUNNING"}]}]}}
//
// Unknown fields are refused. An error names the file, the place (line and
// column for syntax errors, a JSON path such as
// regions["ap-guangzhou"][1].InstanceState otherwise) and the problem.
func LoadDataFile(path string) (Config, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Config{}, fmt.Errorf("data file: %w", err)
	}
	p := newDocParser(data)
	var cfg Config
	err = p.document(&cfg)
	if err != nil {
		var pe *docError
		if errors.As(err, &pe) && pe.syntax {
			line, col := lineColumn(data, pe.offset)
			return Config{}, fmt.Errorf("%s:%d:%d: syntax error: %s", path, line, col, pe.msg)
		}
		return Config{}, fmt.Errorf("data file %s: %w", path, err)
	}
	return cfg, nil
}

// parseRegionsDocument reads the body of PUT /_emulator/instances: an object
// shaped like the data file's "regions".
func parseRegionsDocument(data []byte) (map[string][]Instance, error) {
	p := newDocParser(data)
	regions, err := p.regions("")
	if err == nil {
		err = p.end()
	}
	if err != nil {
		var pe *docError
		if errors.As(err, &pe) && pe.syntax {
			line, col := lineColumn(data, pe.offset)
			return nil, fmt.Errorf("line %d, column %d: syntax error: %s", line, col, pe.msg)
		}
		return nil, err
	}
	return regions, nil
}

// docError is a problem at a place in a JSON document.
type docError struct {
	path   string
	line   int
	col    int
	offset int64
	msg    string
	syntax bool
}

func (e *docError) Error() string {
	if e.syntax {
		return fmt.Sprintf("line %d, column %d: syntax error: %s", e.line, e.col, e.msg)
	}
	path := e.path
	if path == "" {
		path = "top level"
	}
	return fmt.Sprintf("%s (line %d, column %d): %s", path, e.line, e.col, e.msg)
}

// docParser walks a document token by token so that every problem can be
// reported with its JSON path and position.
type docParser struct {
	data []byte
	dec  *json.Decoder
	ids  map[string]string // instance ID -> path of its first occurrence
}

func newDocParser(data []byte) *docParser {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	return &docParser{data: data, dec: dec, ids: map[string]string{}}
}

// peekOffset is the offset where the next token starts: past the
// whitespace and separators the decoder has not consumed yet.
func (p *docParser) peekOffset() int64 {
	start := p.dec.InputOffset()
	for start < int64(len(p.data)) {
		switch p.data[start] {
		case ' ', '\t', '\r', '\n', ',', ':':
			start++
			continue
		}
		break
	}
	return start
}

// next returns the next token and the offset where it starts.
func (p *docParser) next() (json.Token, int64, error) {
	start := p.peekOffset()
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			// Decoder.Token reports the offset of the offending character.
			return nil, start, p.syntaxErr(se.Offset, se.Error())
		case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, start, p.syntaxErr(int64(len(p.data)), "unexpected end of the document")
		}
		return nil, start, p.syntaxErr(start, err.Error())
	}
	return tok, start, nil
}

func (p *docParser) syntaxErr(offset int64, msg string) error {
	line, col := lineColumn(p.data, offset)
	return &docError{offset: offset, line: line, col: col, msg: msg, syntax: true}
}

func (p *docParser) errAt(path string, offset int64, format string, args ...any) error {
	line, col := lineColumn(p.data, offset)
	return &docError{path: path, offset: offset, line: line, col: col, msg: fmt.Sprintf(format, args...)}
}

// end checks that nothing follows the top-level value.
func (p *docParser) end() error {
	start := p.peekOffset()
	tok, err := p.dec.Token()
	if err == io.EOF {
		return nil
	}
	if err != nil {
		return p.syntaxErr(start, err.Error())
	}
	return p.syntaxErr(start, fmt.Sprintf("unexpected %v after the top-level value", tok))
}

func tokenKind(tok json.Token) string {
	switch t := tok.(type) {
	case json.Delim:
		if t == '{' {
			return "an object"
		}
		if t == '[' {
			return "an array"
		}
		return "'" + t.String() + "'"
	case nil:
		return "null"
	case bool:
		return "a boolean"
	case json.Number:
		return "a number"
	case string:
		return "a string"
	}
	return "a value"
}

// object reads an object (or null, when nullable) and calls field for each
// key with the offset of the key. It refuses duplicate keys.
func (p *docParser) object(path string, nullable bool, field func(key string, at int64) error) error {
	tok, at, err := p.next()
	if err != nil {
		return err
	}
	if tok == nil && nullable {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return p.errAt(path, at, "expected an object, found %s", tokenKind(tok))
	}
	seen := map[string]bool{}
	for p.dec.More() {
		tok, at, err := p.next()
		if err != nil {
			return err
		}
		key, ok := tok.(string)
		if !ok { // the decoder only yields string keys; be safe anyway
			return p.errAt(path, at, "expected a field name, found %s", tokenKind(tok))
		}
		if seen[key] {
			return p.errAt(joinPath(path, key), at, "field %q appears twice", key)
		}
		seen[key] = true
		if err := field(key, at); err != nil {
			return err
		}
	}
	_, _, err = p.next() // '}'
	return err
}

// array reads an array (or null) and calls elem for each element.
func (p *docParser) array(path string, elem func(i int) error) error {
	tok, at, err := p.next()
	if err != nil {
		return err
	}
	if tok == nil {
		return nil
	}
	if d, ok := tok.(json.Delim); !ok || d != '[' {
		return p.errAt(path, at, "expected an array, found %s", tokenKind(tok))
	}
	for i := 0; p.dec.More(); i++ {
		if err := elem(i); err != nil {
			return err
		}
	}
	_, _, err = p.next() // ']'
	return err
}

// str reads a string; null reads as "" when nullable.
func (p *docParser) str(path string, nullable bool) (string, int64, error) {
	tok, at, err := p.next()
	if err != nil {
		return "", at, err
	}
	if tok == nil && nullable {
		return "", at, nil
	}
	s, ok := tok.(string)
	if !ok {
		return "", at, p.errAt(path, at, "expected a string, found %s", tokenKind(tok))
	}
	return s, at, nil
}

func joinPath(path, field string) string {
	if path == "" {
		return field
	}
	return path + "." + field
}

func unknownField(p *docParser, path string, at int64, key string, known string) error {
	return p.errAt(joinPath(path, key), at, "unknown field %q; the fields here are %s", key, known)
}

// document reads a whole data file.
func (p *docParser) document(cfg *Config) error {
	err := p.object("", false, func(key string, at int64) error {
		switch key {
		case "credentials":
			creds, err := p.credentials("credentials")
			cfg.Credentials = creds
			return err
		case "regions":
			regions, err := p.regions("regions")
			cfg.Regions = regions
			return err
		}
		return unknownField(p, "", at, key, `"credentials" and "regions"`)
	})
	if err != nil {
		return err
	}
	return p.end()
}

func (p *docParser) credentials(path string) ([]Credential, error) {
	var out []Credential
	seen := map[string]string{}
	err := p.array(path, func(i int) error {
		at := fmt.Sprintf("%s[%d]", path, i)
		var c Credential
		start := p.peekOffset()
		err := p.object(at, false, func(key string, keyAt int64) error {
			var err error
			switch key {
			case "secret_id":
				c.SecretID, _, err = p.str(joinPath(at, key), false)
			case "secret_key":
				c.SecretKey, _, err = p.str(joinPath(at, key), false)
			case "token":
				c.Token, _, err = p.str(joinPath(at, key), true)
			default:
				err = unknownField(p, at, keyAt, key, `"secret_id", "secret_key" and "token"`)
			}
			return err
		})
		if err != nil {
			return err
		}
		switch {
		case c.SecretID == "":
			return p.errAt(at, start, "secret_id is missing or empty")
		case c.SecretKey == "":
			return p.errAt(at, start, "secret_key is missing or empty")
		}
		if first, dup := seen[c.SecretID]; dup {
			return p.errAt(at+".secret_id", start, "duplicate secret_id %q (first at %s)", c.SecretID, first)
		}
		seen[c.SecretID] = at
		out = append(out, c)
		return nil
	})
	return out, err
}

func (p *docParser) regions(path string) (map[string][]Instance, error) {
	out := map[string][]Instance{}
	err := p.object(path, true, func(region string, at int64) error {
		rpath := fmt.Sprintf("%s[%s]", path, strconv.Quote(region))
		if !validRegionName(region) {
			return p.errAt(rpath, at, "invalid region name %q: use lowercase letters, digits and dashes, such as ap-guangzhou", region)
		}
		list := []Instance{}
		err := p.array(rpath, func(i int) error {
			in, err := p.instance(fmt.Sprintf("%s[%d]", rpath, i))
			list = append(list, in)
			return err
		})
		out[region] = list
		return err
	})
	return out, err
}

func (p *docParser) instance(path string) (Instance, error) {
	var in Instance
	start := p.peekOffset()
	pos := map[string]int64{}
	err := p.object(path, false, func(key string, keyAt int64) error {
		var err error
		switch key {
		case "InstanceId":
			in.InstanceId, pos[key], err = p.str(joinPath(path, key), false)
		case "InstanceState":
			in.InstanceState, pos[key], err = p.str(joinPath(path, key), false)
		case "Transitions":
			err = p.array(joinPath(path, key), func(i int) error {
				t, tpos, err := p.transition(fmt.Sprintf("%s.Transitions[%d]", path, i))
				for k, v := range tpos {
					pos[fmt.Sprintf("Transitions[%d].%s", i, k)] = v
				}
				in.Transitions = append(in.Transitions, t)
				return err
			})
		default:
			err = unknownField(p, path, keyAt, key, `"InstanceId", "InstanceState" and "Transitions"`)
		}
		return err
	})
	if err != nil {
		return in, err
	}
	if _, ok := pos["InstanceId"]; !ok {
		return in, p.errAt(path, start, "InstanceId is missing")
	}
	if _, ok := pos["InstanceState"]; !ok {
		return in, p.errAt(path, start, "InstanceState is missing")
	}
	if field, problem, ok := instanceProblem(in); !ok {
		return in, p.errAt(path+"."+field, pos[field], "%s", problem)
	}
	if first, dup := p.ids[in.InstanceId]; dup {
		return in, p.errAt(path+".InstanceId", pos["InstanceId"], "duplicate instance ID %q (first at %s)", in.InstanceId, first)
	}
	p.ids[in.InstanceId] = path
	return in, nil
}

func (p *docParser) transition(path string) (Transition, map[string]int64, error) {
	var t Transition
	pos := map[string]int64{}
	start := p.peekOffset()
	err := p.object(path, false, func(key string, keyAt int64) error {
		switch key {
		case "After":
			s, at, err := p.str(joinPath(path, key), false)
			pos[key] = at
			if err != nil {
				return err
			}
			d, perr := time.ParseDuration(s)
			if perr != nil {
				return p.errAt(joinPath(path, key), at, "invalid duration %q: write a duration such as \"3s\" or \"1m30s\"", s)
			}
			if d < 0 {
				return p.errAt(joinPath(path, key), at, "negative delay %q", s)
			}
			t.After = Duration(d)
			return nil
		case "InstanceState":
			var err error
			t.InstanceState, pos[key], err = p.str(joinPath(path, key), false)
			return err
		}
		return unknownField(p, path, keyAt, key, `"After" and "InstanceState"`)
	})
	if err != nil {
		return t, pos, err
	}
	if _, ok := pos["After"]; !ok {
		return t, pos, p.errAt(path, start, "After is missing")
	}
	if _, ok := pos["InstanceState"]; !ok {
		return t, pos, p.errAt(path, start, "InstanceState is missing")
	}
	return t, pos, nil
}

// lineColumn converts a byte offset to a 1-based line and column.
func lineColumn(data []byte, offset int64) (int, int) {
	offset = min(max(offset, 0), int64(len(data)))
	line, col := 1, 1
	for _, b := range data[:offset] {
		if b == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}
