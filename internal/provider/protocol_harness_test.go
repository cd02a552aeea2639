package provider

import (
	"context"
	"fmt"
	"math/big"
	"sort"
	"strings"
	"testing"

	"github.com/hashicorp/terraform-plugin-go/tfprotov6"
	"github.com/hashicorp/terraform-plugin-go/tftypes"
)

// The protocol harness drives the provider the way Terraform does, through
// its protocol 6 server and in the same order, without a Terraform run:
// validate the provider and data source configurations, configure the
// provider, read the data source. It checks diagnostics and their attribute
// paths exactly, in milliseconds, so that the table of everything a user can
// get wrong can be long.

// unknownValue stands for a value known only after apply.
type unknownValue struct{}

var unknown = unknownValue{}

// rpcOutcome is what the provider answered at each step.
type rpcOutcome struct {
	stage string // the step that reported an error: validate, configure or read ("" if none)
	diags []*tfprotov6.Diagnostic
	state tftypes.Value // the data source's state after a successful read
}

func (o rpcOutcome) errors() []*tfprotov6.Diagnostic {
	var out []*tfprotov6.Diagnostic
	for _, d := range o.diags {
		if d.Severity == tfprotov6.DiagnosticSeverityError {
			out = append(out, d)
		}
	}
	return out
}

func (o rpcOutcome) String() string {
	var b strings.Builder
	for _, d := range o.diags {
		fmt.Fprintf(&b, "\n  [%s] %s: %s (at %s)", d.Severity, d.Summary, d.Detail, attrPath(d.Attribute))
	}
	return b.String()
}

// attrPath renders a diagnostic's attribute path as a user reads it:
// instance_ids[1], assume_role.role_arn. A step whose name holds a dot
// (which no attribute has) is quoted, so that it cannot pass for two.
func attrPath(p *tftypes.AttributePath) string {
	if p == nil || len(p.Steps()) == 0 {
		return "(no attribute)"
	}
	var b strings.Builder
	for _, s := range p.Steps() {
		switch s := s.(type) {
		case tftypes.AttributeName:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			if strings.Contains(string(s), ".") {
				fmt.Fprintf(&b, "%q", string(s))
			} else {
				b.WriteString(string(s))
			}
		case tftypes.ElementKeyInt:
			fmt.Fprintf(&b, "[%d]", int64(s))
		case tftypes.ElementKeyString:
			fmt.Fprintf(&b, "[%q]", string(s))
		}
	}
	return b.String()
}

// parseAttrPath reads a path written as attrPath writes it ("" for none)
// into its steps.
func parseAttrPath(t *testing.T, s string) *tftypes.AttributePath {
	t.Helper()
	if s == "" {
		return nil
	}
	p := tftypes.NewAttributePath()
	for _, part := range strings.Split(s, ".") {
		name, index, hasIndex := strings.Cut(part, "[")
		p = p.WithAttributeName(name)
		if hasIndex {
			var i int
			if _, err := fmt.Sscanf(index, "%d]", &i); err != nil {
				t.Fatalf("bad path %q", s)
			}
			p = p.WithElementKeyInt(i)
		}
	}
	return p
}

// sameAttrPath compares two attribute paths step by step; nil and an empty
// path are both "no attribute".
func sameAttrPath(a, b *tftypes.AttributePath) bool {
	if a == nil || b == nil {
		return (a == nil || len(a.Steps()) == 0) && (b == nil || len(b.Steps()) == 0)
	}
	return a.Equal(b)
}

// runProtocol validates, configures and reads once, stopping at the first
// step that reports an error.
// The provider sees an isolated environment (testEnv) unless opts bring one.
func runProtocol(t *testing.T, providerCfg, dataCfg map[string]any, opts ...Option) rpcOutcome {
	t.Helper()
	return runProtocolOn(t, NewServer("test", append([]Option{testEnv(t, nil)}, opts...)...), providerCfg, dataCfg)
}

// runProtocolOn is runProtocol on the server newServer makes.
func runProtocolOn(t *testing.T, newServer func() (tfprotov6.ProviderServer, error), providerCfg, dataCfg map[string]any) rpcOutcome {
	t.Helper()
	return runProtocolWith(t.Context(), t, newServer, providerCfg, dataCfg)
}

// runProtocolWith is runProtocolOn with every call made with ctx, such as
// one whose logger (tflogtest.RootLogger) keeps the provider's log lines.
func runProtocolWith(ctx context.Context, t *testing.T, newServer func() (tfprotov6.ProviderServer, error), providerCfg, dataCfg map[string]any) rpcOutcome {
	t.Helper()
	srv, err := newServer()
	if err != nil {
		t.Fatal(err)
	}
	schemas, err := srv.GetProviderSchema(ctx, &tfprotov6.GetProviderSchemaRequest{})
	if err != nil || len(schemas.Diagnostics) > 0 {
		t.Fatalf("GetProviderSchema: %v %v", err, schemas.Diagnostics)
	}
	pType := schemas.Provider.ValueType()
	dType := schemas.DataSourceSchemas["cvm_instances_status"].ValueType()
	pv := dynamic(t, pType, providerCfg)
	dv := dynamic(t, dType, dataCfg)

	var out rpcOutcome
	step := func(stage string, diags []*tfprotov6.Diagnostic, err error) bool {
		if err != nil {
			t.Fatalf("%s: %v", stage, err)
		}
		out.diags = append(out.diags, diags...)
		if len(out.errors()) > 0 {
			out.stage = stage
			return false
		}
		return true
	}
	vp, err := srv.ValidateProviderConfig(ctx, &tfprotov6.ValidateProviderConfigRequest{Config: pv})
	if !step("validate", vp.Diagnostics, err) {
		return out
	}
	vd, err := srv.ValidateDataResourceConfig(ctx, &tfprotov6.ValidateDataResourceConfigRequest{TypeName: "cvm_instances_status", Config: dv})
	if !step("validate", vd.Diagnostics, err) {
		return out
	}
	cp, err := srv.ConfigureProvider(ctx, &tfprotov6.ConfigureProviderRequest{Config: pv, TerraformVersion: "1.11.4"})
	if !step("configure", cp.Diagnostics, err) {
		return out
	}
	if hasUnknown(dataCfg) {
		// Terraform defers the read to apply, when the values are known.
		return out
	}
	rd, err := srv.ReadDataSource(ctx, &tfprotov6.ReadDataSourceRequest{TypeName: "cvm_instances_status", Config: dv})
	if !step("read", rd.Diagnostics, err) {
		return out
	}
	if rd.State != nil {
		out.state, err = rd.State.Unmarshal(dType)
		if err != nil {
			t.Fatalf("state: %v", err)
		}
	}
	return out
}

func hasUnknown(v any) bool {
	switch v := v.(type) {
	case unknownValue:
		return true
	case map[string]any:
		for _, e := range v {
			if hasUnknown(e) {
				return true
			}
		}
	case []any:
		for _, e := range v {
			if hasUnknown(e) {
				return true
			}
		}
	}
	return false
}

func dynamic(t *testing.T, typ tftypes.Type, v map[string]any) *tfprotov6.DynamicValue {
	t.Helper()
	dv, err := tfprotov6.NewDynamicValue(typ, toValue(t, typ, v))
	if err != nil {
		t.Fatal(err)
	}
	return &dv
}

// toValue builds a value of typ from Go values: string, float64, int,
// []string, []any (nil elements are null), map[string]any for objects,
// nil for null and unknown for unknown.
func toValue(t *testing.T, typ tftypes.Type, v any) tftypes.Value {
	t.Helper()
	switch v := v.(type) {
	case nil:
		return tftypes.NewValue(typ, nil)
	case unknownValue:
		return tftypes.NewValue(typ, tftypes.UnknownValue)
	case string:
		return tftypes.NewValue(typ, v)
	case int:
		return tftypes.NewValue(typ, big.NewFloat(float64(v)))
	case float64:
		return tftypes.NewValue(typ, big.NewFloat(v))
	case []string:
		elems := make([]any, len(v))
		for i, s := range v {
			elems[i] = s
		}
		return toValue(t, typ, elems)
	case []any:
		var elem tftypes.Type
		switch ct := typ.(type) {
		case tftypes.List:
			elem = ct.ElementType
		case tftypes.Set:
			elem = ct.ElementType
		default:
			t.Fatalf("a list given for %s", typ)
		}
		elems := make([]tftypes.Value, len(v))
		for i, e := range v {
			elems[i] = toValue(t, elem, e)
		}
		return tftypes.NewValue(typ, elems)
	case bool:
		return tftypes.NewValue(typ, v)
	case map[string]any:
		ot, ok := typ.(tftypes.Object)
		if !ok {
			t.Fatalf("an object given for %s", typ)
		}
		for name := range v {
			if _, ok := ot.AttributeTypes[name]; !ok {
				t.Fatalf("no attribute %q in %s", name, typ)
			}
		}
		attrs := map[string]tftypes.Value{}
		names := make([]string, 0, len(ot.AttributeTypes))
		for name := range ot.AttributeTypes {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			attrs[name] = toValue(t, ot.AttributeTypes[name], v[name])
		}
		return tftypes.NewValue(typ, attrs)
	}
	t.Fatalf("cannot convert %T", v)
	return tftypes.Value{}
}
