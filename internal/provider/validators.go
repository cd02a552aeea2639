package provider

import (
	"context"
	"errors"
	"fmt"
	"math"
	"net/url"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/hashicorp/terraform-plugin-framework/diag"
	"github.com/hashicorp/terraform-plugin-framework/path"
	"github.com/hashicorp/terraform-plugin-framework/schema/validator"
	"github.com/hashicorp/terraform-plugin-framework/types"

	"github.com/cvmkit/terraform-provider-cvm/internal/cvm"
)

// Every rule on a value is written once, here: the schema's validators and
// the checks of the same values taken from environment variables use it.

// quote shows a value in an error: quoted, and cut short when long.
func quote(s string) string {
	const most = 40
	if len(s) > most {
		return fmt.Sprintf("%q… (%d characters)", s[:most], len(s))
	}
	return fmt.Sprintf("%q", s)
}

// pattern is a rule on a string: a regular expression, and what it means.
type pattern struct {
	re     *regexp.Regexp
	rule   string // "a role ARN such as …", completes "must be …"
	secret bool   // never repeat the value in a message
}

var (
	regionRule = pattern{re: regexp.MustCompile(`^[a-z]{2,4}(-[a-z0-9]+){1,3}$`),
		rule: `a Tencent Cloud region name such as "ap-guangzhou", "ap-shanghai" or "na-siliconvalley"`}
	roleARNRule = pattern{re: regexp.MustCompile(`^qcs::cam::uin/\d+:role(Name)?/[\w+=,.@/-]+$`),
		rule: `a role ARN such as "qcs::cam::uin/100000000001:roleName/deployer"`}
	sessionNameRule = pattern{re: regexp.MustCompile(`^[\w+=,.@-]{2,128}$`),
		rule: "2 to 128 letters, digits or the characters +=,.@-_"}
	accountIDRule = pattern{re: regexp.MustCompile(`^[0-9]{1,20}$`), rule: `an account ID (UIN) such as "100000000001"`}
	domainRule    = pattern{re: regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`),
		rule: `a domain name such as "tencentcloudapi.com"`}
	// Tencent Cloud's MFA devices, virtual and hardware, show 6 digits.
	mfaCodeRule = pattern{re: regexp.MustCompile(`^[0-9]{6}$`),
		rule: "the 6-digit code the MFA device shows now", secret: true}
)

// problem says what is wrong with v, or "".
func (p pattern) problem(v string) string {
	if p.re.MatchString(v) {
		return ""
	}
	if p.secret {
		return fmt.Sprintf("the value given (%d characters) is not %s", utf8.RuneCountInString(v), p.rule)
	}
	return fmt.Sprintf("%s is not %s", quote(v), p.rule)
}

func (p pattern) Description(context.Context) string             { return "must be " + p.rule }
func (p pattern) MarkdownDescription(ctx context.Context) string { return p.Description(ctx) }

func (p pattern) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := p.problem(req.ConfigValue.ValueString()); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}

// addInvalid reports the value at p as invalid, saying where it came from
// (the attribute itself, or an environment variable) and why (msg).
func addInvalid(diags *diag.Diagnostics, p path.Path, from, msg string) {
	diags.AddAttributeError(p, "Invalid "+attributeTitle(p), fmt.Sprintf("%s: %s.", from, msg))
}

// attributeTitle turns the last attribute name of a path into a title:
// "role_arn" → "Role Arn". An attribute of a timeouts block is named as
// the timeout it is: timeouts.read → "Read Timeout", not a bare "Read".
func attributeTitle(p path.Path) string {
	var parent, name string
	for _, step := range p.Steps() {
		if s, ok := step.(path.PathStepAttributeName); ok {
			parent, name = name, string(s)
		}
	}
	if parent == "timeouts" {
		name += "_timeout"
	}
	words := strings.Split(name, "_")
	for i, w := range words {
		if w != "" {
			words[i] = strings.ToUpper(w[:1]) + w[1:]
		}
	}
	return strings.Join(words, " ")
}

// notEmpty refuses "", which would otherwise silently mean the default.
type notEmpty struct{}

func (notEmpty) Description(context.Context) string {
	return "must not be empty; leave the attribute out for the default"
}
func (v notEmpty) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (notEmpty) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if !req.ConfigValue.IsNull() && !req.ConfigValue.IsUnknown() && req.ConfigValue.ValueString() == "" {
		resp.Diagnostics.AddAttributeError(req.Path, "Empty "+attributeTitle(req.Path),
			fmt.Sprintf(`%s is "": it must not be empty. Leave it out (or set it to null) for the default.`, req.Path))
	}
}

// numberRange is a rule on a number: between min and max, in unit.
type numberRange struct {
	min, max float64
	unit     string // "requests per second", "" for a plain count
	whole    bool
}

var (
	rateLimitRange       = numberRange{min: 0.1, max: 1000, unit: "requests per second"}
	maxRetriesRange      = numberRange{min: 0, max: 100, whole: true}
	sessionDurationRange = numberRange{min: 60, max: 43200, unit: "seconds", whole: true}
	mfaDurationRange     = numberRange{min: 1, max: 129600, unit: "seconds", whole: true}
)

func (r numberRange) String() string {
	s := "between " + strconv.FormatFloat(r.min, 'f', -1, 64) + " and " + strconv.FormatFloat(r.max, 'f', -1, 64)
	if r.unit != "" {
		s += " " + r.unit
	}
	return s
}

// problem says what is wrong with the number v (as written), or "".
func (r numberRange) problem(v float64, written string) string {
	switch {
	case math.IsNaN(v) || v < r.min || v > r.max:
		return fmt.Sprintf("%s is not %s", written, r)
	case r.whole && v != math.Trunc(v):
		return fmt.Sprintf("%s is not a whole number %s", written, r)
	}
	return ""
}

// parse reads the number from an environment variable's text.
func (r numberRange) parse(s string) (float64, string) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsInf(v, 0) {
		return 0, fmt.Sprintf("%s is not a number %s", quote(s), r)
	}
	return v, r.problem(v, quote(s))
}

func (r numberRange) Description(context.Context) string             { return "must be " + r.String() }
func (r numberRange) MarkdownDescription(ctx context.Context) string { return r.Description(ctx) }

func (r numberRange) ValidateFloat64(_ context.Context, req validator.Float64Request, resp *validator.Float64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueFloat64()
	if msg := r.problem(v, strconv.FormatFloat(v, 'f', -1, 64)); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}

func (r numberRange) ValidateInt64(_ context.Context, req validator.Int64Request, resp *validator.Int64Response) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	v := req.ConfigValue.ValueInt64()
	if msg := r.problem(float64(v), strconv.FormatInt(v, 10)); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}

// durationRange is a rule on a duration written as a string such as "10m".
type durationRange struct{ min, max time.Duration }

var (
	readTimeoutRange    = durationRange{min: time.Second, max: 24 * time.Hour}
	requestTimeoutRange = durationRange{min: time.Second, max: time.Hour}
	stableForRange      = durationRange{min: 0, max: time.Hour}
)

func (r durationRange) String() string {
	return fmt.Sprintf("a duration between %q and %q, written with its unit: \"30s\", \"10m\", \"1h30m\"", short(r.min), short(r.max))
}

// short formats whole minutes and hours without the trailing zero units.
func short(d time.Duration) string {
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = s[:len(s)-2]
	}
	if strings.HasSuffix(s, "h0m") {
		s = s[:len(s)-2]
	}
	return s
}

// parse reads the duration, or says what is wrong with it.
func (r durationRange) parse(s string) (time.Duration, string) {
	d, err := time.ParseDuration(strings.TrimSpace(s))
	switch {
	case err != nil && strings.TrimSpace(s) != "" && strings.Trim(s, "0123456789. ") == "":
		n := strings.TrimSpace(s)
		return 0, fmt.Sprintf("%s has no unit: write %q for %s seconds or %q for %s minutes; it must be %s", quote(s), n+"s", n, n+"m", n, r)
	case err != nil:
		return 0, fmt.Sprintf("%s is not %s", quote(s), r)
	case d < r.min || d > r.max:
		return 0, fmt.Sprintf("%s is not %s", quote(s), r)
	}
	return d, ""
}

func (r durationRange) Description(context.Context) string             { return "must be " + r.String() }
func (r durationRange) MarkdownDescription(ctx context.Context) string { return r.Description(ctx) }

func (r durationRange) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, msg := r.parse(req.ConfigValue.ValueString()); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}

// elementProblem is what is wrong with one element of a list, under a rule
// that many elements may break at once.
type elementProblem struct {
	rule   string // groups the elements that break the same rule
	title  string // the diagnostic's summary
	what   string // one element: "the instance ID is empty"
	fix    string // what to do, said once per rule
	plural string // many elements: "instance IDs are empty"
}

// listRules checks every element of a list of strings and reports one
// diagnostic per rule broken: the elements that break it (the first few,
// with their index) and a count of the rest. A list of a thousand bad IDs is
// one error, not a thousand.
type listRules struct {
	description string
	check       func(v types.String) *elementProblem
}

// listShown is how many offending elements a diagnostic names.
const listShown = 5

func (l listRules) Description(context.Context) string             { return l.description }
func (l listRules) MarkdownDescription(ctx context.Context) string { return l.Description(ctx) }

func (l listRules) ValidateList(_ context.Context, req validator.ListRequest, resp *validator.ListResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	type broken struct {
		problem *elementProblem
		at      []int
		lines   []string
	}
	var order []string
	byRule := map[string]*broken{}
	for i, e := range req.ConfigValue.Elements() {
		s, ok := e.(types.String)
		if !ok || s.IsUnknown() {
			continue
		}
		p := l.check(s)
		if p == nil {
			continue
		}
		b := byRule[p.rule]
		if b == nil {
			b = &broken{problem: p}
			byRule[p.rule] = b
			order = append(order, p.rule)
		}
		b.at = append(b.at, i)
		if len(b.lines) < listShown {
			b.lines = append(b.lines, fmt.Sprintf("%s: %s", req.Path.AtListIndex(i), p.what))
		}
	}
	for _, rule := range order {
		b := byRule[rule]
		if len(b.at) == 1 {
			resp.Diagnostics.AddAttributeError(req.Path.AtListIndex(b.at[0]), b.problem.title,
				fmt.Sprintf("%s. %s", b.lines[0], b.problem.fix))
			continue
		}
		detail := fmt.Sprintf("%d %s:\n  %s", len(b.at), b.problem.plural, strings.Join(b.lines, "\n  "))
		if rest := len(b.at) - len(b.lines); rest > 0 {
			detail += fmt.Sprintf("\n  and %d more", rest)
		}
		resp.Diagnostics.AddAttributeError(req.Path, b.problem.title+"s", detail+"\n\n"+b.problem.fix)
	}
}

const instanceIDRule = `an instance ID is "ins-" followed by exactly 8 lowercase letters or digits, such as "ins-r8hr2upy"`

// instanceIDs checks instance_ids before any request is made, and says how
// to fix the common mistakes.
var instanceIDs = listRules{
	description: "each must be " + instanceIDRule,
	check: func(v types.String) *elementProblem {
		if v.IsNull() {
			return &elementProblem{rule: "null", title: "Invalid Instance ID", what: "the instance ID must not be null",
				plural: "instance IDs are null", fix: "Remove the null, or filter nulls out: compact() does it."}
		}
		id := v.ValueString()
		if cvm.ValidInstanceID(id) {
			return nil
		}
		fixed := strings.ToLower(strings.TrimSpace(id))
		switch {
		case id == "":
			return &elementProblem{rule: "empty", title: "Invalid Instance ID", what: "the instance ID is empty",
				plural: "instance IDs are empty", fix: "Remove it; " + instanceIDRule + "."}
		case strings.TrimSpace(id) != id && cvm.ValidInstanceID(fixed):
			return &elementProblem{rule: "spaces", title: "Invalid Instance ID",
				what:   fmt.Sprintf("%s is not a valid instance ID: it has surrounding spaces; use %q", quote(id), fixed),
				plural: "instance IDs have surrounding spaces", fix: "trimspace() removes them."}
		case cvm.ValidInstanceID(fixed):
			return &elementProblem{rule: "case", title: "Invalid Instance ID",
				what:   fmt.Sprintf("%s is not a valid instance ID: IDs are lower case; use %q", quote(id), fixed),
				plural: "instance IDs are not in lower case", fix: "lower() converts them."}
		}
		return &elementProblem{rule: "malformed", title: "Invalid Instance ID",
			what:   fmt.Sprintf("%s is not a valid instance ID", quote(id)),
			plural: "instance IDs are malformed", fix: strings.ToUpper(instanceIDRule[:1]) + instanceIDRule[1:] + "."}
	},
}

// instanceStates checks wait_for_states against the documented states.
var instanceStates = listRules{
	description: "each must be one of " + strings.Join(cvm.States, ", "),
	check: func(v types.String) *elementProblem {
		all := "The states are " + strings.Join(quoteAll(cvm.States), ", ") + "."
		if v.IsNull() {
			return &elementProblem{rule: "null", title: "Invalid State", what: "the state must not be null", plural: "states are null", fix: all}
		}
		s := v.ValueString()
		if slices.Contains(cvm.States, s) {
			return nil
		}
		if up := strings.ToUpper(strings.TrimSpace(s)); slices.Contains(cvm.States, up) {
			return &elementProblem{rule: "case", title: "Invalid State",
				what:   fmt.Sprintf("%s is not a state: states are upper case; use %q", quote(s), up),
				plural: "states are not in upper case", fix: "upper() converts them."}
		}
		what := fmt.Sprintf("%s is not a state", quote(s))
		if near := cvm.NearestState(s); near != "" {
			what += fmt.Sprintf(": did you mean %q?", near)
		}
		return &elementProblem{rule: "unknown", title: "Invalid State", what: what, plural: "states are not states", fix: all}
	},
}

func quoteAll(list []string) []string {
	out := make([]string, len(list))
	for i, s := range list {
		out[i] = strconv.Quote(s)
	}
	return out
}

// protocols are the values protocol takes, in any case; ParseEndpoint then
// refuses HTTP to anything but a loopback address.
var protocols = []string{"HTTPS", "HTTP"}

// knownProtocol says whether s is one of protocols.
func knownProtocol(s string) bool {
	return slices.ContainsFunc(protocols, func(p string) bool { return strings.EqualFold(p, s) })
}

// endpointValidator refuses, at validate time, endpoints the client would
// refuse.
type endpointValidator struct{}

func (endpointValidator) Description(context.Context) string {
	return "must be an https URL, or an http URL to a loopback address"
}

func (v endpointValidator) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (endpointValidator) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if _, err := cvm.ParseEndpoint(req.ConfigValue.ValueString()); err != nil {
		resp.Diagnostics.AddAttributeError(req.Path, "Invalid Endpoint", endpointProblem(err))
	}
}

// endpointProblem is the client's reason for refusing an endpoint, with
// what to do instead where it is not plain.
func endpointProblem(err error) string {
	if errors.Is(err, cvm.ErrEndpointUserinfo) {
		return err.Error() + ": put keys in secret_id/secret_key or their environment variables."
	}
	return err.Error()
}

// accountIDs checks a set of account IDs, and reports the bad ones at the
// set (an element of a set has no place a user could be pointed at).
type accountIDs struct{}

func (accountIDs) Description(context.Context) string               { return "each must be " + accountIDRule.rule }
func (v accountIDs) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (accountIDs) ValidateSet(_ context.Context, req validator.SetRequest, resp *validator.SetResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	var bad []string
	for _, e := range req.ConfigValue.Elements() {
		if s, ok := e.(types.String); ok && !s.IsNull() && !s.IsUnknown() {
			if msg := accountIDRule.problem(s.ValueString()); msg != "" {
				bad = append(bad, msg)
			}
		}
	}
	if len(bad) > 0 {
		slices.Sort(bad)
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), strings.Join(bad, "; "))
	}
}

// metadataEndpointProblem says what is wrong with a metadata service URL.
// Plain http is what the real service speaks (it is link-local), so it is
// accepted; credentials in the URL are not.
func metadataEndpointProblem(raw string) string {
	u, err := url.Parse(raw)
	switch {
	case err != nil || u.Host == "" || (u.Scheme != "http" && u.Scheme != "https"):
		return fmt.Sprintf("%s is not an http or https URL such as %q", quote(raw), cvm.DefaultMetadataURL)
	case u.User != nil:
		return "the URL contains user information, which it must not"
	case u.RawQuery != "" || u.Fragment != "":
		return fmt.Sprintf("%s has a query or fragment; give only the scheme, host, optional port and path", quote(raw))
	}
	return ""
}

// metadataEndpoint checks metadata_endpoint at validate time.
type metadataEndpoint struct{}

func (metadataEndpoint) Description(context.Context) string {
	return "must be an http or https URL"
}
func (v metadataEndpoint) MarkdownDescription(ctx context.Context) string { return v.Description(ctx) }

func (metadataEndpoint) ValidateString(_ context.Context, req validator.StringRequest, resp *validator.StringResponse) {
	if req.ConfigValue.IsNull() || req.ConfigValue.IsUnknown() {
		return
	}
	if msg := metadataEndpointProblem(req.ConfigValue.ValueString()); msg != "" {
		addInvalid(&resp.Diagnostics, req.Path, req.Path.String(), msg)
	}
}
