package provider

import (
	"context"
	"fmt"
	"math"
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
)

// Every rule on a value is written once, here or in validators_list.go and
// validators_endpoint.go: the schema's validators and the checks of the
// same values taken from environment variables use it.

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
	case err != nil && isNumber(strings.TrimSpace(s)):
		n := strings.TrimSpace(s)
		return 0, fmt.Sprintf("%s has no unit: write %q for %s seconds or %q for %s minutes; it must be %s", quote(s), n+"s", n, n+"m", n, r)
	case err != nil:
		return 0, fmt.Sprintf("%s is not %s", quote(s), r)
	case d < r.min || d > r.max:
		return 0, fmt.Sprintf("%s is not %s", quote(s), r)
	}
	return d, ""
}

// isNumber says whether s is a plain non-negative number, such as "5" or
// "1.5": a duration written without its unit.
func isNumber(s string) bool {
	_, err := strconv.ParseFloat(s, 64)
	return err == nil && strings.Trim(s, "0123456789.") == ""
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
