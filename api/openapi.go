package api

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"
	"gopkg.in/yaml.v3"
)

// openAPIYAML is the OpenAPI 3.1 document of every route the server
// registers. It is written by hand next to the handlers; openapi_test.go
// checks that it and the router agree (paths, methods, roles).
//
//go:embed openapi.yaml
var openAPIYAML []byte

// openAPIJSON converts the embedded document to JSON once.
var openAPIJSON = sync.OnceValues(func() ([]byte, error) { return yamlToJSON(openAPIYAML) })

// OpenAPIDocument returns the OpenAPI document as JSON. The document is
// embedded in the binary, so an error means it is malformed (a build
// defect that the package tests catch).
func OpenAPIDocument() ([]byte, error) { return openAPIJSON() }

// MountOpenAPI serves the OpenAPI document at GET /openapi.json, without
// authentication. It panics if the embedded document does not convert to
// JSON, which the package tests rule out.
func (s *Server) MountOpenAPI() {
	doc, err := OpenAPIDocument()
	if err != nil {
		panic(fmt.Sprintf("api: embedded openapi.yaml: %v", err))
	}
	s.router.GET("/openapi.json", func(c *gin.Context) {
		c.Header("Cache-Control", "public, max-age=300")
		c.Data(http.StatusOK, "application/json", doc)
	})
}

// yamlToJSON decodes YAML (anchors and merge keys resolved) and encodes the
// same tree as JSON. Mapping keys must be strings; numbers such as response
// codes must be quoted in the YAML.
func yamlToJSON(src []byte) ([]byte, error) {
	var tree any
	if err := yaml.Unmarshal(src, &tree); err != nil {
		return nil, err
	}
	tree, err := jsonTree(tree, "")
	if err != nil {
		return nil, err
	}
	return json.Marshal(tree)
}

// jsonTree checks that v holds only what JSON can represent, with string
// mapping keys, and returns it.
func jsonTree(v any, at string) (any, error) {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			e, err := jsonTree(e, at+"/"+k)
			if err != nil {
				return nil, err
			}
			x[k] = e
		}
		return x, nil
	case map[any]any:
		return nil, fmt.Errorf("%s: a mapping key is not a string (quote numeric keys)", at)
	case []any:
		for i, e := range x {
			e, err := jsonTree(e, fmt.Sprintf("%s/%d", at, i))
			if err != nil {
				return nil, err
			}
			x[i] = e
		}
		return x, nil
	case nil, string, bool, int, int64, uint64, float64:
		return x, nil
	}
	return nil, fmt.Errorf("%s: a %T value has no JSON form (quote it)", at, v)
}
