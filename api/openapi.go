package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"gopkg.in/yaml.v3"
)

// openAPIYAML is the OpenAPI 3 document of the whole API (this package's
// endpoints and every mount the sidecar serves), written by hand. The
// sidecar's tests check it against the routes really registered and
// validate real exchanges against it.
//
//go:embed openapi.yaml
var openAPIYAML []byte

// OpenAPIYAML is the document as written (served at /v1/openapi.yaml).
func OpenAPIYAML() []byte { return append([]byte(nil), openAPIYAML...) }

// OpenAPIJSON is the document as JSON (served at /v1/openapi.json),
// converted once.
func OpenAPIJSON() ([]byte, error) { return openAPIJSON() }

var openAPIJSON = sync.OnceValues(func() ([]byte, error) {
	var doc any
	if err := yaml.Unmarshal(openAPIYAML, &doc); err != nil {
		return nil, err
	}
	v, err := jsonable(doc, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(v)
})

// jsonable turns what yaml.v3 decodes into what encoding/json encodes:
// mapping keys must be strings (a response code key is written quoted).
func jsonable(v any, at string) (any, error) {
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			c, err := jsonable(e, at+"/"+k)
			if err != nil {
				return nil, err
			}
			v[k] = c
		}
		return v, nil
	case map[any]any:
		out := make(map[string]any, len(v))
		for k, e := range v {
			ks, ok := k.(string)
			if !ok {
				return nil, fmt.Errorf("%s: key %v is not a string (quote it)", at, k)
			}
			c, err := jsonable(e, at+"/"+ks)
			if err != nil {
				return nil, err
			}
			out[ks] = c
		}
		return out, nil
	case []any:
		for i, e := range v {
			c, err := jsonable(e, at+"/"+strconv.Itoa(i))
			if err != nil {
				return nil, err
			}
			v[i] = c
		}
		return v, nil
	}
	return v, nil
}

func jsonEscape(s string) string {
	b, _ := json.Marshal(s)
	return strings.Trim(string(b), `"`)
}
