package bulk

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
)

var testCmd = Command{
	Name: "t",
	Params: []Param{
		{Name: "n", Type: TypeInt, Min: Int64(-5), Max: Int64(5)},
		{Name: "d", Type: TypeInt, Default: int64(3)},
		{Name: "b", Type: TypeBool},
		{Name: "s", Type: TypeString},
		{Name: "l", Type: TypeStrings},
		{Name: "o", Type: TypeObject},
		{Name: "r", Type: TypeString, Required: true},
	},
	Run: func(context.Context, Node, Params) (any, error) { return nil, nil },
}

func TestDecode(t *testing.T) {
	for _, c := range []struct {
		body     string
		want     string            // normalized params
		problems map[string]string // substrings
	}{
		{`{"r": "x"}`, `{"d":3,"r":"x"}`, nil},
		{` {"r":"x","n":-5,"d":0,"b":false,"s":"y","l":[],"o":{"big":9007199254740993}} `,
			`{"b":false,"d":0,"l":[],"n":-5,"o":{"big":9007199254740993},"r":"x","s":"y"}`, nil},
		{``, ``, map[string]string{"r": "required"}},
		{`{}`, ``, map[string]string{"r": "required"}},
		{`null`, ``, map[string]string{BodyProblem: "JSON object, not null"}},
		{`"r"`, ``, map[string]string{BodyProblem: "not a string"}},
		{`{"r": "x"} {}`, ``, map[string]string{BodyProblem: "data after"}},
		{`{"r": "x",}`, ``, map[string]string{BodyProblem: "not JSON"}},
		{`{"r": "x", "r": "y"}`, ``, map[string]string{BodyProblem: `"r" is given more than once`}},
		{`{"r": 1, "n": 6, "b": "true", "s": "", "l": ["a", 1], "o": [], "zz": 1}`, ``, map[string]string{
			"r": "must be a string, not a number", "n": "at most 5", "b": "true or false, not a string",
			"s": "must not be empty", "l": "element 1 must be a string", "o": "must be an object, not an array",
			"zz": "unknown parameter: t takes n, d, b, s, l, o, r",
		}},
		// The same numbers as settings take: 1.0 and 1e0 are whole.
		{`{"r": "x", "n": 1.0}`, `{"d":3,"n":1,"r":"x"}`, nil},
		{`{"r": "x", "n": 4e0}`, `{"d":3,"n":4,"r":"x"}`, nil},
		{`{"r": "x", "n": 1.5}`, ``, map[string]string{"n": "must be a whole number, not 1.5"}},
		{`{"r": "x", "n": 1e1}`, ``, map[string]string{"n": "must be at most 5"}},
		{`{"r": "x", "n": 1e300}`, ``, map[string]string{"n": "out of range"}},
		{`{"r": "x", "d": 99999999999999999999}`, ``, map[string]string{"d": "out of range"}},
		{`{"r": "x", "n": null}`, ``, map[string]string{"n": "not null"}},
		{`{"r": "x", "l": ["a", ""]}`, ``, map[string]string{"l": "element 1 must not be empty"}},
		{`{"r": "x", "l": "a"}`, ``, map[string]string{"l": "array of strings, not a string"}},
	} {
		p, err := testCmd.Decode([]byte(c.body))
		if c.problems == nil {
			b, _ := json.Marshal(p)
			if err != nil || string(b) != c.want {
				t.Errorf("%s: %s %v, want %s", c.body, b, err, c.want)
			}
			continue
		}
		var pe *ParamError
		if !errors.As(err, &pe) || len(pe.Problems) != len(c.problems) || pe.Command != "t" {
			t.Errorf("%s: %v", c.body, err)
			continue
		}
		for k, want := range c.problems {
			if !strings.Contains(pe.Problems[k], want) {
				t.Errorf("%s: %s: %q, want %q", c.body, k, pe.Problems[k], want)
			}
		}
	}
}

func TestDecodeTypedGetters(t *testing.T) {
	p, err := testCmd.Decode([]byte(`{"r": "x", "n": 2, "b": true, "l": ["a"], "o": {"k": 1}}`))
	if err != nil {
		t.Fatal(err)
	}
	if n, ok := p.Int("n"); !ok || n != 2 || !p.Bool("b") || p.String("r") != "x" ||
		!reflect.DeepEqual(p.Strings("l"), []string{"a"}) || p.Object("o")["k"] != json.Number("1") {
		t.Errorf("%#v", p)
	}
	if _, ok := p.Int("missing"); ok || p.String("missing") != "" || p.Strings("missing") != nil {
		t.Error("missing params")
	}
}

func TestDecodeValidateHook(t *testing.T) {
	c := testCmd
	c.Validate = func(p Params) error {
		if p.String("r") == "bad" {
			return &ParamError{Problems: map[string]string{"r": "is bad"}}
		}
		if p.String("r") == "worse" {
			return errors.New("plain error")
		}
		return nil
	}
	_, err := c.Decode([]byte(`{"r": "bad"}`))
	var pe *ParamError
	if !errors.As(err, &pe) || pe.Problems["r"] != "is bad" || pe.Command != "t" || err.Error() != "t: bad parameters: r: is bad" {
		t.Errorf("%v", err)
	}
	_, err = c.Decode([]byte(`{"r": "worse"}`))
	if !errors.As(err, &pe) || pe.Problems[BodyProblem] != "plain error" {
		t.Errorf("%v", err)
	}
	// The hook does not run on parameters that are already wrong.
	_, err = c.Decode([]byte(`{"r": "bad", "n": 10}`))
	if !errors.As(err, &pe) || len(pe.Problems) != 1 || pe.Problems["n"] == "" {
		t.Errorf("%v", err)
	}
}

func TestDecodeBoundsProblems(t *testing.T) {
	var b strings.Builder
	b.WriteString("{")
	for i := 0; i < 1000; i++ {
		if i > 0 {
			b.WriteString(",")
		}
		b.WriteString(`"` + strconv.Itoa(i) + strings.Repeat("k", 200) + `": 1`)
	}
	b.WriteString("}")
	_, err := testCmd.Decode([]byte(b.String()))
	var pe *ParamError
	if !errors.As(err, &pe) || len(pe.Problems) != maxProblems {
		t.Fatalf("%d problems", len(pe.Problems))
	}
	for k := range pe.Problems {
		if len(k) > 110 {
			t.Errorf("problem key of %d bytes", len(k))
		}
	}
}

func TestNewRegistryRefusesMistakes(t *testing.T) {
	run := func(context.Context, Node, Params) (any, error) { return nil, nil }
	for name, cmds := range map[string][]Command{
		"no run":         {{Name: "a"}},
		"no name":        {{Run: run}},
		"duplicate":      {{Name: "a", Run: run}, {Name: "a", Run: run}},
		"bad type":       {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: "float"}}}},
		"dup param":      {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeInt}, {Name: "x", Type: TypeInt}}}},
		"int default":    {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeInt, Default: 2}}}},
		"out of range":   {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeInt, Default: int64(9), Max: Int64(1)}}}},
		"required+dflt":  {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeBool, Required: true, Default: true}}}},
		"min on string":  {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeString, Min: Int64(1)}}}},
		"body param":     {{Name: "a", Run: run, Params: []Param{{Name: BodyProblem, Type: TypeString}}}},
		"strings dflt":   {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeStrings, Default: []any{"a"}}}}},
		"string default": {{Name: "a", Run: run, Params: []Param{{Name: "x", Type: TypeString, Default: ""}}}},
	} {
		func() {
			defer func() {
				if recover() == nil {
					t.Errorf("%s: no panic", name)
				}
			}()
			NewRegistry(cmds...)
		}()
	}
	r := NewRegistry(Command{Name: "b", Run: run}, Command{Name: "a", Run: run, Params: []Param{{Name: "l", Type: TypeStrings, Default: []string{"x"}}}})
	if !reflect.DeepEqual(r.Names(), []string{"a", "b"}) {
		t.Error(r.Names())
	}
	if c, ok := r.Lookup("a"); !ok || c.Name != "a" {
		t.Error("lookup")
	}
	if _, ok := r.Lookup("c"); ok {
		t.Error("lookup c")
	}
}

// FuzzDecodeParams: no body makes Decode panic, for any built-in
// command, and what it accepts round-trips: the normalized JSON sent to
// the peers decodes to the same parameters.
func FuzzDecodeParams(f *testing.F) {
	for _, s := range []string{
		``, `{}`, `null`, `[]`, `{"rate_in_mb": 12}`, `{"rate_in_mb": -1}`, `{"rate_in_mb": 1e3}`,
		`{"keyspace": "ks", "tables": ["a", "b"], "jobs": 0}`, `{"tables": ["a"]}`,
		`{"settings": {"compaction_throughput": "12MiB/s"}}`, `{"settings": {"x": {"y": [1, 2.5, null]}}}`,
		`{"keys": ["compaction_throughput"]}`, `{"keyspace": "", "keyspace": "x"}`, `{"a":`, "{\"keyspace\": \"\xff\"}",
	} {
		f.Add([]byte(s))
	}
	cmds := Default().Commands()
	f.Fuzz(func(t *testing.T, body []byte) {
		for _, c := range cmds {
			p, err := c.Decode(body)
			if err != nil {
				var pe *ParamError
				if !errors.As(err, &pe) || len(pe.Problems) == 0 {
					t.Fatalf("%s: %T %v", c.Name, err, err)
				}
				continue
			}
			norm, err := json.Marshal(p)
			if err != nil {
				t.Fatalf("%s: marshal %#v: %v", c.Name, p, err)
			}
			p2, err := c.Decode(norm)
			if err != nil {
				t.Fatalf("%s: normalized %s refused: %v", c.Name, norm, err)
			}
			norm2, _ := json.Marshal(p2)
			if string(norm) != string(norm2) {
				t.Fatalf("%s: %s became %s", c.Name, norm, norm2)
			}
		}
	})
}
