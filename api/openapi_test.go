package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/decisions"
	"github.com/nirnay/nirnay/engine"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lists"
	"github.com/nirnay/nirnay/rules"
	"github.com/nirnay/nirnay/simulator/jobs"
	"github.com/nirnay/nirnay/simulator/live"
	"github.com/nirnay/nirnay/store"
)

// oaKeys is an in-memory KeyLookup with one key per role, whose secret is
// "oa-<role>".
type oaKeys struct{}

func (oaKeys) APIKeyBySecret(_ context.Context, secret string) (store.APIKey, error) {
	role, ok := strings.CutPrefix(secret, "oa-")
	if !ok || !ValidRole(role) {
		return store.APIKey{}, nirnay.Errorf(nirnay.KindNotFound, "no such key")
	}
	return store.APIKey{ID: "key_" + role, Name: role, Role: role}, nil
}

var oaRoles = []string{RoleService, RoleAnalyst, RoleApprover, RoleOps, RoleAdmin}

// oaServer builds a Server and calls every Mount method it has, each
// with zero-valued arguments (nil services) except functions, which get a
// stub returning zero values so that optional routes behind them are
// mounted too. Mounting only registers routes, so whichever parts of the
// API exist are covered without wiring them.
func oaServer(t *testing.T) (*Server, []string) {
	t.Helper()
	s := New(Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Keys: oaKeys{}, RateLimit: -1})
	sv := reflect.ValueOf(s)
	var mounted []string
	for i := range sv.Type().NumMethod() {
		m := sv.Type().Method(i)
		if !strings.HasPrefix(m.Name, "Mount") {
			continue
		}
		args := []reflect.Value{sv}
		for j := 1; j < m.Type.NumIn(); j++ {
			in := m.Type.In(j)
			if in.Kind() == reflect.Func {
				args = append(args, reflect.MakeFunc(in, func([]reflect.Value) []reflect.Value {
					out := make([]reflect.Value, in.NumOut())
					for k := range out {
						out[k] = reflect.Zero(in.Out(k))
					}
					return out
				}))
				continue
			}
			args = append(args, reflect.Zero(in))
		}
		func() {
			defer func() {
				if r := recover(); r != nil {
					t.Fatalf("%s with zero-valued arguments panicked: %v (mounting must not use its services)", m.Name, r)
				}
			}()
			m.Func.Call(args)
		}()
		mounted = append(mounted, m.Name)
	}
	return s, mounted
}

// openAPIDoc is the decoded document.
type openAPIDoc struct {
	OpenAPI    string                               `json:"openapi"`
	Info       map[string]any                       `json:"info"`
	Paths      map[string]map[string]map[string]any `json:"paths"`
	Components map[string]map[string]any            `json:"components"`
}

func oaLoad(t *testing.T) (openAPIDoc, map[string]any) {
	t.Helper()
	raw, err := OpenAPIDocument()
	if err != nil {
		t.Fatalf("OpenAPIDocument: %v", err)
	}
	var doc openAPIDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatalf("the document is not JSON of the expected shape: %v", err)
	}
	var tree map[string]any
	if err := json.Unmarshal(raw, &tree); err != nil {
		t.Fatal(err)
	}
	return doc, tree
}

var oaMethods = []string{"get", "put", "post", "delete", "patch", "head", "options", "trace"}

// operations lists "METHOD /path" of every documented operation.
func (d openAPIDoc) operations() map[string]map[string]any {
	ops := map[string]map[string]any{}
	for path, item := range d.Paths {
		for method, op := range item {
			if slices.Contains(oaMethods, method) {
				ops[strings.ToUpper(method)+" "+path] = op
			}
		}
	}
	return ops
}

// openAPIPath turns a gin route path into an OpenAPI path template:
// /v1/loans/:id → /v1/loans/{id}; an escaped colon (features\:batch) is a
// literal colon.
func openAPIPath(gin string) string {
	gin = strings.ReplaceAll(gin, `\:`, ":")
	segs := strings.Split(gin, "/")
	for i, s := range segs {
		if strings.HasPrefix(s, ":") || strings.HasPrefix(s, "*") {
			segs[i] = "{" + s[1:] + "}"
		}
	}
	return strings.Join(segs, "/")
}

func oaSortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestOpenAPIMatchesRoutes(t *testing.T) {
	t.Parallel()
	s, mounted := oaServer(t)
	t.Logf("mounted: %v", mounted)
	if !slices.Contains(mounted, "MountOpenAPI") {
		t.Fatalf("mounted %v, want MountOpenAPI among them", mounted)
	}
	doc, _ := oaLoad(t)
	documented := doc.operations()
	registered := map[string]bool{}
	for _, r := range s.Router().Routes() {
		registered[r.Method+" "+openAPIPath(r.Path)] = true
	}
	for _, op := range oaSortedKeys(registered) {
		if documented[op] == nil {
			t.Errorf("route %s is registered but not in openapi.yaml", op)
		}
	}
	for _, op := range oaSortedKeys(documented) {
		if !registered[op] {
			t.Errorf("openapi.yaml documents %s, but no such route is registered (mounted: %v)", op, mounted)
		}
	}
	if len(registered) < 40 {
		t.Errorf("only %d routes registered; want every part of the API mounted", len(registered))
	}
}

// TestOpenAPIRolesMatchServer calls every route with a key of each role and
// checks that the role check lets exactly the roles of x-roles through.
// Handlers run with nil services, so an allowed call may fail in any other
// way; only the role check's own 403 counts as refused.
func TestOpenAPIRolesMatchServer(t *testing.T) {
	t.Parallel()
	s, _ := oaServer(t)
	doc, _ := oaLoad(t)
	h := s.Handler()
	for _, r := range s.Router().Routes() {
		path := openAPIPath(r.Path)
		op := doc.operations()[r.Method+" "+path]
		if op == nil || !strings.HasPrefix(path, "/v1/") {
			continue // reported by TestOpenAPIMatchesRoutes; public routes have no roles
		}
		want := oaStrings(op["x-roles"])
		segs := strings.Split(strings.ReplaceAll(r.Path, `\:`, ":"), "/")
		for i, seg := range segs {
			if strings.HasPrefix(seg, ":") {
				segs[i] = "x1" // any value: the role check runs before the handler reads it
			}
		}
		url := strings.Join(segs, "/")
		for _, role := range oaRoles {
			req := httptest.NewRequest(r.Method, url, strings.NewReader("{}"))
			req.Header.Set("Authorization", "Bearer oa-"+role)
			req.Header.Set("Content-Type", "application/json")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			refused := rec.Code == http.StatusForbidden && strings.Contains(rec.Body.String(), fmt.Sprintf(`role \"%s\" may not call this endpoint`, role))
			if allowed := slices.Contains(want, role); allowed == refused {
				t.Errorf("%s %s as %s: status %d (%s); x-roles %v says allowed=%v", r.Method, path, role, rec.Code, strings.TrimSpace(rec.Body.String()), want, allowed)
			}
		}
	}
}

func oaStrings(v any) []string {
	xs, _ := v.([]any)
	out := make([]string, 0, len(xs))
	for _, x := range xs {
		s, _ := x.(string)
		out = append(out, s)
	}
	return out
}

func TestOpenAPIDocumentIsWellFormed(t *testing.T) {
	t.Parallel()
	doc, tree := oaLoad(t)
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Errorf("openapi = %q, want 3.x", doc.OpenAPI)
	}
	if doc.Info["title"] == nil || doc.Info["version"] == nil {
		t.Errorf("info = %v, want title and version", doc.Info)
	}
	if len(doc.Paths) == 0 || len(doc.Components["schemas"]) == 0 {
		t.Fatalf("paths or components.schemas empty")
	}
	if doc.Components["securitySchemes"]["bearer"] == nil {
		t.Errorf("components.securitySchemes has no bearer scheme")
	}

	// Every $ref resolves, and no key maps to null: in YAML flow style an
	// unquoted comma splits a description into a stray key with no value.
	oaWalk(tree, func(at string, m map[string]any) {
		for k, v := range m {
			if v == nil && !strings.HasSuffix(at, "example") && k != "example" {
				t.Errorf("%s/%s is null (quote a description holding a comma?)", at, k)
			}
		}
		ref, ok := m["$ref"].(string)
		if !ok {
			return
		}
		if oaResolve(tree, ref) == nil {
			t.Errorf("%s: $ref %q resolves to nothing", at, ref)
		}
	})

	ids := map[string]string{}
	for name, op := range doc.operations() {
		method, path, _ := strings.Cut(name, " ")
		id, _ := op["operationId"].(string)
		if id == "" {
			t.Errorf("%s: no operationId", name)
		} else if prev, dup := ids[id]; dup {
			t.Errorf("%s: operationId %q already used by %s", name, id, prev)
		}
		ids[id] = name

		// Path template parameters and declared path parameters agree.
		var declared []string
		params, _ := op["parameters"].([]any)
		for _, p := range params {
			pm, _ := p.(map[string]any)
			if ref, ok := pm["$ref"].(string); ok {
				pm, _ = oaResolve(tree, ref).(map[string]any)
			}
			if pm["in"] == "path" {
				declared = append(declared, pm["name"].(string))
				if pm["required"] != true {
					t.Errorf("%s: path parameter %v is not required: true", name, pm["name"])
				}
			}
		}
		var inPath []string
		for _, seg := range strings.Split(path, "/") {
			if strings.HasPrefix(seg, "{") && strings.HasSuffix(seg, "}") {
				inPath = append(inPath, seg[1:len(seg)-1])
			}
		}
		slices.Sort(declared)
		slices.Sort(inPath)
		if !slices.Equal(declared, inPath) {
			t.Errorf("%s: path parameters declared %v, in the path %v", name, declared, inPath)
		}

		resp, _ := op["responses"].(map[string]any)
		if len(resp) == 0 {
			t.Errorf("%s: no responses", name)
		}
		hasSuccess := false
		for code := range resp {
			if len(code) != 3 || code[0] < '2' || code[0] > '5' {
				t.Errorf("%s: response code %q", name, code)
			}
			hasSuccess = hasSuccess || code[0] == '2' || code[0] == '3' // a redirect is the answer of /l/{token}
		}
		if !hasSuccess {
			t.Errorf("%s: no 2xx (or 3xx) response", name)
		}

		roles := oaStrings(op["x-roles"])
		security, hasSecurity := op["security"].([]any)
		if strings.HasPrefix(path, "/v1/") {
			if !slices.Contains(roles, RoleAdmin) {
				t.Errorf("%s: x-roles %v, want a list that includes admin", name, roles)
			}
			for _, r := range roles {
				if !ValidRole(r) {
					t.Errorf("%s: x-roles has unknown role %q", name, r)
				}
			}
			if hasSecurity && len(security) == 0 {
				t.Errorf("%s: an authenticated route is marked security: []", name)
			}
			for _, code := range []string{"401", "403", "429"} {
				if resp[code] == nil {
					t.Errorf("%s: no %s response", name, code)
				}
			}
		} else {
			if !hasSecurity || len(security) != 0 {
				t.Errorf("%s: a public route needs security: []", name)
			}
			if len(roles) != 0 {
				t.Errorf("%s: a public route has x-roles %v", name, roles)
			}
		}
		if method == "GET" && op["requestBody"] != nil {
			t.Errorf("%s: a GET with a request body", name)
		}
	}

	// Every error kind's stable type URI is documented.
	types := oaStrings(oaResolve(tree, "#/components/schemas/Problem/properties/type/enum"))
	for kind := range kindStatus {
		if want := ProblemTypeBase + string(kind); !slices.Contains(types, want) {
			t.Errorf("Problem.type enum lacks %s", want)
		}
	}
}

// TestOpenAPISchemasMatchGoTypes checks each documented object against the
// JSON field names of the Go type the handlers encode or decode, so a field
// added or renamed in code must be added to the document too.
func TestOpenAPISchemasMatchGoTypes(t *testing.T) {
	t.Parallel()
	_, tree := oaLoad(t)
	cases := []struct {
		at string // a schema name, "METHOD /path" for the JSON request body, or a "#/…" pointer
		v  any
	}{
		{"DecisionRequest", decisionRequest{}},
		{"Decision", engine.Decision{}},
		{"PolicyRef", engine.PolicyRef{}},
		{"RuleResult", engine.RuleResult{}},
		{"ShadowResult", engine.ShadowResult{}},
		{"Problem", Problem{}},
		{"PolicyProblem", policyProblem{}},
		{"StoppedProblem", stoppedProblem{}},
		{"APIKey", keyView{}},
		{"JourneyItem", JourneyItem{}},
		{"StepUpRequest", stepUpRequest{}},
		{"StepUpReport", decisions.StepUpReport{}},
		{"PolicyVersion", governance.Version{}},
		{"PolicySummary", governance.PolicySummary{}},
		{"PolicyIssue", governance.Issue{}},
		{"Actor", governance.Actor{}},
		{"TestReport", governance.TestReport{}},
		{"PolicyDiff", rules.PolicyDiff{}},
		{"Change", rules.Change{}},
		{"Challenger", governance.Challenger{}},
		{"DeploymentSpec", governance.DeploymentSpec{}},
		{"Deployment", governance.Deployment{}},
		{"AuditEntry", governance.AuditEntry{}},
		{"FeatureVector", featureView{}},
		{"Event", ingest.Event{}},
		{"DeadLetter", consume.DeadLetter{}},
		{"Consent", loans.Consent{}},
		{"PaymentBody", paymentBody{}},
		{"Payment", loans.Payment{}},
		{"Loan", loans.Loan{}},
		{"CreditLine", loans.CreditLine{}},
		{"ForeclosureQuote", loans.Quote{}},
		{"Journal", loans.Journal{}},
		{"Borrower", loans.Borrower{}},
		{"Referral", loans.Referral{}},
		{"POST /v1/loans/applications", applicationBody{}},
		{"POST /v1/loans/{id}/disburse", disburseBody{}},
		{"POST /v1/loans/{id}/waive", dateBody{}},
		{"POST /v1/loans/{id}/write-off", dateBody{}},
		{"POST /v1/loans/{id}/payments/{pid}/bounce", dateBody{}},
		{"POST /v1/credit-lines/{id}/draws", drawBody{}},
		{"POST /v1/credit-lines/{id}/limit-increase", limitBody{}},
		{"POST /v1/day-end", dayEndBody{}},
		{"POST /v1/events", eventBatch{}},
		{"SimulationSpec", simulationRequest{}},
		{"SimulationDataset", jobs.Dataset{}},
		{"#/components/schemas/SimulationDataset/properties/generate", jobs.Generate{}},
		{"#/components/schemas/SimulationDataset/properties/decision_log", jobs.LogRange{}},
		{"Simulation", jobs.Job{}},
		{"#/components/schemas/Simulation/properties/progress", jobs.Progress{}},
		{"#/components/schemas/Simulation/properties/summary", jobs.Summary{}},
		{"LiveComparison", live.Comparison{}},
		{"#/components/schemas/LiveComparison/properties/arms/items", live.Arm{}},
		{"#/components/schemas/LiveComparison/properties/arms/items/properties/repayment", live.Repayment{}},
		{"#/components/schemas/LiveComparison/properties/comparisons/items", live.ArmComparison{}},
		{"#/components/schemas/LiveComparison/properties/shadows/items", live.Agreement{}},
		{"#/components/schemas/LiveComparison/properties/reviewers", live.Reviewers{}},
		{"#/components/schemas/LiveComparison/properties/reviewers/properties/rules/items", live.RuleReview{}},
		{"ZTest", live.ZTest{}},
		{"Proportion", live.Proportion{}},
		{"List", lists.List{}},
		{"ListEntry", lists.Entry{}},
		{"NewListEntry", lists.NewEntry{}},
		{"ListAddResult", lists.AddResult{}},
		{"ListImportResult", lists.ImportResult{}},
		{"#/components/schemas/ListImportResult/properties/sample", lists.Diff{}},
		{"PUT /v1/lists/{name}", listBody{}},
		{"POST /v1/lists/{name}/entries", entriesBody{}},
		{"Case", cases.Case{}},
		{"CaseReview", cases.Review{}},
		{"CaseEvent", cases.Event{}},
		{"POST /v1/cases/{id}/decide", decideBody{}},
		{"#/paths/~1v1~1cases~1{id}~1decide/post/requestBody/content/application~1json/schema/properties/offer", offerChange{}},
		{"POST /v1/cases/{id}/reassign", reassignBody{}},
	}
	for _, c := range cases {
		var schema any
		if strings.HasPrefix(c.at, "#/") {
			schema = oaResolve(tree, c.at)
		} else if method, path, ok := strings.Cut(c.at, " "); ok {
			schema = oaResolve(tree, "#/paths/"+oaEscape(path)+"/"+strings.ToLower(method)+"/requestBody/content/application~1json/schema")
		} else {
			schema = oaResolve(tree, "#/components/schemas/"+c.at)
		}
		if schema == nil {
			t.Errorf("%s: no such schema in the document", c.at)
			continue
		}
		got := oaProperties(tree, schema)
		want := oaJSONFields(reflect.TypeOf(c.v))
		sort.Strings(got)
		sort.Strings(want)
		if !slices.Equal(got, want) {
			t.Errorf("%s: documented properties %v, the Go type %T has %v", c.at, got, c.v, want)
		}
	}

	// The §6 contract, spelled out: field order aside, exactly these.
	decision := oaProperties(tree, oaResolve(tree, "#/components/schemas/Decision"))
	sort.Strings(decision)
	want6 := []string{"actions", "customer_id", "decision_id", "evaluated_at", "latency_us", "offer", "outcome", "policy", "reasons", "request_id", "rules", "score", "shadow", "step"}
	if !slices.Equal(decision, want6) {
		t.Errorf("Decision properties %v, want %v", decision, want6)
	}
	if steps := oaStrings(oaResolve(tree, "#/components/schemas/Step/enum")); !slices.Equal(steps, rules.Steps) {
		t.Errorf("Step enum %v, want rules.Steps %v", steps, rules.Steps)
	}
	outcomes := oaStrings(oaResolve(tree, "#/components/schemas/Outcome/enum"))
	sort.Strings(outcomes)
	var wantOutcomes []string
	for _, o := range nirnay.Outcomes {
		wantOutcomes = append(wantOutcomes, string(o))
	}
	sort.Strings(wantOutcomes)
	if !slices.Equal(outcomes, wantOutcomes) {
		t.Errorf("Outcome enum %v, want nirnay.Outcomes %v", outcomes, wantOutcomes)
	}
	if roles := oaStrings(oaResolve(tree, "#/components/schemas/Role/enum")); !slices.Equal(roles, oaRoles) {
		t.Errorf("Role enum %v, want %v", roles, oaRoles)
	}
}

func TestOpenAPIServedWithoutAuthentication(t *testing.T) {
	t.Parallel()
	s, _ := oaServer(t)
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/openapi.json", nil))
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /openapi.json: %d %s, want 200", rec.Code, rec.Body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type %q, want application/json", ct)
	}
	want, _ := OpenAPIDocument()
	if rec.Body.String() != string(want) {
		t.Errorf("served document differs from OpenAPIDocument()")
	}
	var doc map[string]any
	if err := json.Unmarshal(rec.Body.Bytes(), &doc); err != nil {
		t.Fatalf("served document is not JSON: %v", err)
	}
	for _, k := range []string{"openapi", "info", "paths", "components"} {
		if doc[k] == nil {
			t.Errorf("served document has no %q", k)
		}
	}
}

func TestYAMLToJSONRefusesNonStringKeys(t *testing.T) {
	t.Parallel()
	if _, err := yamlToJSON([]byte("responses:\n  200: {description: ok}\n")); err == nil {
		t.Errorf("an unquoted numeric key converted without error; want an error naming it")
	}
	got, err := yamlToJSON([]byte("a: &x {b: 1}\nc:\n  <<: *x\n  d: \"2026-11-26T10:00:00Z\"\n"))
	if err != nil {
		t.Fatal(err)
	}
	if want := `{"a":{"b":1},"c":{"b":1,"d":"2026-11-26T10:00:00Z"}}`; string(got) != want {
		t.Errorf("merge keys: got %s, want %s", got, want)
	}
}

// oaWalk calls fn on every object of a decoded JSON tree.
func oaWalk(v any, fn func(at string, m map[string]any)) {
	var walk func(at string, v any)
	walk = func(at string, v any) {
		switch x := v.(type) {
		case map[string]any:
			fn(at, x)
			for k, e := range x {
				walk(at+"/"+k, e)
			}
		case []any:
			for i, e := range x {
				walk(fmt.Sprintf("%s/%d", at, i), e)
			}
		}
	}
	walk("#", v)
}

func oaEscape(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "~", "~0"), "/", "~1")
}

// oaResolve follows a local JSON pointer ("#/a/b"); nil when absent.
func oaResolve(tree any, ref string) any {
	rest, ok := strings.CutPrefix(ref, "#/")
	if !ok {
		return nil
	}
	cur := tree
	for _, tok := range strings.Split(rest, "/") {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		if cur, ok = m[tok]; !ok {
			return nil
		}
	}
	return cur
}

// oaProperties lists a schema's property names, following $ref and allOf.
func oaProperties(tree, schema any) []string {
	m, _ := schema.(map[string]any)
	if ref, ok := m["$ref"].(string); ok {
		return oaProperties(tree, oaResolve(tree, ref))
	}
	var out []string
	if parts, ok := m["allOf"].([]any); ok {
		for _, p := range parts {
			out = append(out, oaProperties(tree, p)...)
		}
	}
	props, _ := m["properties"].(map[string]any)
	for k := range props {
		if !slices.Contains(out, k) {
			out = append(out, k)
		}
	}
	return out
}

// oaJSONFields lists the JSON names encoding/json uses for a struct's
// fields, including those of embedded structs.
func oaJSONFields(t reflect.Type) []string {
	if t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	var out []string
	for i := range t.NumField() {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" {
			continue
		}
		if f.Anonymous && name == "" {
			out = append(out, oaJSONFields(f.Type)...)
			continue
		}
		if !f.IsExported() {
			continue
		}
		if name == "" {
			name = f.Name
		}
		out = append(out, name)
	}
	return out
}
