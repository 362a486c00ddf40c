package bulk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"reflect"
	"sort"
	"strings"

	"github.com/ringside/ringside/internal/jsonin"
)

// Parameter types.
const (
	TypeInt     = "int"     // a JSON number that is a whole number (12, 1e3, 12.0)
	TypeBool    = "bool"    // true or false
	TypeString  = "string"  // a non-empty JSON string
	TypeStrings = "strings" // a JSON array of non-empty strings
	TypeObject  = "object"  // a JSON object, passed on as is
)

// BodyProblem is the key of a ParamError problem about the body as a
// whole (not JSON, not an object, …) rather than one parameter.
const BodyProblem = "(body)"

// Param is one parameter of a command.
type Param struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	Required bool   `json:"required"`
	// Default is used when the parameter is absent (nil: none; the
	// parameter is then left out of the normalized parameters).
	Default any    `json:"default,omitempty"`
	Min     *int64 `json:"min,omitempty"` // int only
	Max     *int64 `json:"max,omitempty"` // int only
	Help    string `json:"help"`
}

// Params are decoded parameters: int64, bool, string, []string or
// map[string]any (numbers in objects as json.Number) by parameter type.
// They marshal to the normalized JSON object sent to the peers.
type Params map[string]any

// Int is an int parameter.
func (p Params) Int(name string) (int64, bool) {
	v, ok := p[name].(int64)
	return v, ok
}

// Bool is a bool parameter (false when absent).
func (p Params) Bool(name string) bool {
	v, _ := p[name].(bool)
	return v
}

// String is a string parameter ("" when absent).
func (p Params) String(name string) string {
	v, _ := p[name].(string)
	return v
}

// Strings is a strings parameter (nil when absent).
func (p Params) Strings(name string) []string {
	v, _ := p[name].([]string)
	return v
}

// Object is an object parameter (nil when absent).
func (p Params) Object(name string) map[string]any {
	v, _ := p[name].(map[string]any)
	return v
}

// ParamError is a request whose parameters are wrong; nothing ran.
type ParamError struct {
	Command string
	// Problems: parameter name (or BodyProblem) → what is wrong with it.
	Problems map[string]string
}

func (e *ParamError) Error() string {
	keys := make([]string, 0, len(e.Problems))
	for k := range e.Problems {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + ": " + e.Problems[k]
	}
	return fmt.Sprintf("%s: bad parameters: %s", e.Command, strings.Join(parts, "; "))
}

// maxProblems bounds the problems reported for one body, so that a body
// of a million unknown keys does not come back as a million problems.
const maxProblems = 32

// Decode reads a command's parameters from a request body: a JSON object
// (an empty body is {}), every key a parameter of the command, every value
// of the parameter's type and within its range, every required parameter
// given. It fills in defaults and then runs the command's Validate hook.
// Every problem found is reported in one *ParamError.
func (c Command) Decode(body []byte) (Params, error) {
	pe := &ParamError{Command: c.Name, Problems: map[string]string{}}
	problem := func(k, why string) {
		if len(pe.Problems) < maxProblems {
			pe.Problems[clip(k)] = why
		}
	}
	raw, err := decodeObject(body)
	if err != nil {
		problem(BodyProblem, err.Error())
		return nil, pe
	}
	p := Params{}
	for _, kv := range raw {
		spec, ok := c.param(kv.key)
		if !ok {
			problem(kv.key, c.unknownWhy())
			continue
		}
		v, why := spec.decode(kv.value)
		if why != "" {
			problem(kv.key, why)
			continue
		}
		p[kv.key] = v
	}
	for _, spec := range c.Params {
		if _, ok := p[spec.Name]; ok {
			continue
		}
		if _, given := pe.Problems[spec.Name]; given {
			continue
		}
		if spec.Required {
			problem(spec.Name, "required")
		} else if spec.Default != nil {
			p[spec.Name] = spec.Default
		}
	}
	if len(pe.Problems) > 0 {
		return nil, pe
	}
	if c.Validate != nil {
		if err := c.Validate(p); err != nil {
			var ve *ParamError
			if errors.As(err, &ve) {
				ve.Command = c.Name
				return nil, ve
			}
			problem(BodyProblem, err.Error())
			return nil, pe
		}
	}
	return p, nil
}

func (c Command) param(name string) (Param, bool) {
	for _, p := range c.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

func (c Command) unknownWhy() string {
	if len(c.Params) == 0 {
		return "unknown parameter: " + c.Name + " takes none"
	}
	names := make([]string, len(c.Params))
	for i, p := range c.Params {
		names[i] = p.Name
	}
	return "unknown parameter: " + c.Name + " takes " + strings.Join(names, ", ")
}

type rawKV struct {
	key   string
	value json.RawMessage
}

// decodeObject splits a JSON object into its members, refusing anything
// else, duplicate keys (which encoding/json would silently resolve to the
// last one) and trailing data.
func decodeObject(body []byte) ([]rawKV, error) {
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, nil
	}
	d := json.NewDecoder(bytes.NewReader(body))
	tok, err := d.Token()
	if err != nil {
		return nil, fmt.Errorf("not JSON: %s", jsonErr(err))
	}
	if tok != json.Delim('{') {
		return nil, fmt.Errorf("must be a JSON object, not %s", jsonKind(tok))
	}
	var out []rawKV
	seen := map[string]bool{}
	for d.More() {
		tok, err := d.Token()
		if err != nil {
			return nil, fmt.Errorf("not JSON: %s", jsonErr(err))
		}
		k := tok.(string) // object keys are strings, or Token fails
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			return nil, fmt.Errorf("not JSON: %s", jsonErr(err))
		}
		if seen[k] {
			return nil, fmt.Errorf("parameter %q is given more than once", clip(k))
		}
		seen[k] = true
		out = append(out, rawKV{k, v})
	}
	if _, err := d.Token(); err != nil { // the closing }
		return nil, fmt.Errorf("not JSON: %s", jsonErr(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return out, nil
}

func jsonErr(err error) string {
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		return "unexpected end of input"
	}
	return err.Error()
}

func jsonKind(tok json.Token) string {
	switch tok.(type) {
	case json.Delim:
		return "an array"
	case string:
		return "a string"
	case float64, json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%T", tok)
}

// rawKind names the JSON type of a raw value for error messages.
func rawKind(v json.RawMessage) string {
	switch b := bytes.TrimSpace(v); {
	case len(b) == 0:
		return "nothing"
	case b[0] == '{':
		return "an object"
	case b[0] == '[':
		return "an array"
	case b[0] == '"':
		return "a string"
	case b[0] == 't' || b[0] == 'f':
		return "a boolean"
	case b[0] == 'n':
		return "null"
	}
	return "a number"
}

// decode checks one raw value against the parameter: the value, or why not.
func (p Param) decode(raw json.RawMessage) (any, string) {
	raw = bytes.TrimSpace(raw)
	switch p.Type {
	case TypeInt:
		if rawKind(raw) != "a number" {
			return nil, "must be an integer, not " + rawKind(raw)
		}
		// The same rule as settings: 1e3 and 12.0 are whole numbers.
		n, err := jsonin.Whole(string(raw))
		if err != nil {
			return nil, err.Error()
		}
		if p.Min != nil && n < *p.Min {
			return nil, fmt.Sprintf("must be at least %d", *p.Min)
		}
		if p.Max != nil && n > *p.Max {
			return nil, fmt.Sprintf("must be at most %d", *p.Max)
		}
		return n, ""
	case TypeBool:
		var b bool
		if rawKind(raw) != "a boolean" || json.Unmarshal(raw, &b) != nil {
			return nil, "must be true or false, not " + rawKind(raw)
		}
		return b, ""
	case TypeString:
		var s string
		if rawKind(raw) != "a string" || json.Unmarshal(raw, &s) != nil {
			return nil, "must be a string, not " + rawKind(raw)
		}
		if s == "" {
			return nil, "must not be empty"
		}
		return s, ""
	case TypeStrings:
		var l []json.RawMessage
		if rawKind(raw) != "an array" || json.Unmarshal(raw, &l) != nil {
			return nil, "must be an array of strings, not " + rawKind(raw)
		}
		out := make([]string, len(l))
		for i, e := range l {
			if rawKind(e) != "a string" || json.Unmarshal(e, &out[i]) != nil {
				return nil, fmt.Sprintf("element %d must be a string, not %s", i, rawKind(e))
			}
			if out[i] == "" {
				return nil, fmt.Sprintf("element %d must not be empty", i)
			}
		}
		return out, ""
	case TypeObject:
		if rawKind(raw) != "an object" {
			return nil, "must be an object, not " + rawKind(raw)
		}
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber() // keep 64-bit integers exact
		var m map[string]any
		if err := d.Decode(&m); err != nil {
			return nil, "must be an object: " + err.Error()
		}
		return m, ""
	}
	return nil, "has an unknown type " + p.Type
}

// check reports a mistake in a parameter definition (a programming error).
func (p Param) check() error {
	switch p.Type {
	case TypeInt, TypeBool, TypeString, TypeStrings, TypeObject:
	default:
		return fmt.Errorf("parameter %s: unknown type %q", p.Name, p.Type)
	}
	if p.Name == "" || p.Name == BodyProblem {
		return fmt.Errorf("parameter name %q", p.Name)
	}
	if (p.Min != nil || p.Max != nil) && p.Type != TypeInt {
		return fmt.Errorf("parameter %s: min/max on a %s", p.Name, p.Type)
	}
	if p.Default == nil {
		return nil
	}
	if p.Required {
		return fmt.Errorf("parameter %s: required with a default", p.Name)
	}
	// The default must be what Decode would produce for that type.
	b, err := json.Marshal(p.Default)
	if err != nil {
		return fmt.Errorf("parameter %s: default: %w", p.Name, err)
	}
	v, why := p.decode(b)
	if why != "" {
		return fmt.Errorf("parameter %s: default %s", p.Name, why)
	}
	if !reflect.DeepEqual(v, p.Default) {
		return fmt.Errorf("parameter %s: default %#v is not a %s value (want %#v)", p.Name, p.Default, p.Type, v)
	}
	return nil
}

// Int64 is a helper for Param.Min and Param.Max.
func Int64(v int64) *int64 { return &v }

// maxJavaInt is Integer.MAX_VALUE, the bound of a JMX int argument.
const maxJavaInt = math.MaxInt32

func clip(s string) string {
	if len(s) > 100 {
		return s[:100] + "…"
	}
	return s
}
