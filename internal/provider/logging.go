package provider

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"

	"github.com/hashicorp/terraform-plugin-log/tflog"
)

// tflogHandler hands the client's slog records to tflog, with the context of
// the call that logged them, as terraform-provider-http hands its retrying
// client a small adapter.
//
// Terraform receives a provider's log fields as a JSON object and prints
// them in no particular order, so the record's fields are also written into
// the message, in the order the client gave them: the line reads the same
// way every time ("CVM API request: action=DescribeInstancesStatus
// region=ap-guangzhou offset=0 …"). The fields stay structured too, for
// TF_LOG=JSON.
//
// Every line is masked with the secrets of the configuration: the client
// logs through its own context, which Configure's masking never reaches.
type tflogHandler struct {
	attrs   []slog.Attr
	secrets []string
	// debug says whether a Debug line can reach any log (debugLogged), so
	// that the client builds none when logging is off.
	debug bool
}

func newTflogLogger(secrets []string) *slog.Logger {
	return slog.New(tflogHandler{secrets: secrets, debug: debugLogged(os.Getenv)})
}

func (h tflogHandler) Enabled(_ context.Context, level slog.Level) bool {
	return h.debug || level > slog.LevelDebug
}

// pluginCookie is the variable of go-plugin's handshake with Terraform: a
// provider that Terraform did not launch (-debug, or served in-process by
// the test harness) does not have it, and one that Terraform launched
// would have exited without it.
const pluginCookie = "TF_PLUGIN_MAGIC_COOKIE"

// debugLogged says whether a Debug line of the provider can reach any log,
// from the variables that decide it, which tflog offers no way to ask. The
// provider's logger writes what TF_LOG_PROVIDER_CVM allows, everything when
// it is unset (terraform-plugin-go; the test harness's sink then applies
// TF_LOG, or TRACE with TF_ACC_LOG_PATH, which can only allow more). When
// Terraform launched the provider, Terraform keeps what TF_LOG_PROVIDER,
// else TF_LOG, allows, and nothing when neither is set. A value that is not
// a level above DEBUG counts as allowing it, as Terraform reads an unknown
// level as TRACE: when in doubt, the lines are built.
func debugLogged(getenv func(string) string) bool {
	allows := func(level string) bool {
		switch strings.ToUpper(strings.TrimSpace(level)) {
		case "INFO", "WARN", "ERROR", "OFF":
			return false
		}
		return true
	}
	if !allows(getenv("TF_LOG_PROVIDER_CVM")) {
		return false
	}
	if getenv(pluginCookie) == "" {
		return true
	}
	core := cmp.Or(getenv("TF_LOG_PROVIDER"), getenv("TF_LOG"))
	return core != "" && allows(core)
}

func (h tflogHandler) Handle(ctx context.Context, r slog.Record) error {
	if len(h.secrets) > 0 {
		ctx = tflog.MaskLogStrings(ctx, h.secrets...)
	}
	fields := make(map[string]any, len(h.attrs)+r.NumAttrs())
	var msg strings.Builder
	msg.WriteString(r.Message)
	sep := ": "
	add := func(a slog.Attr) bool {
		v := a.Value.Resolve().Any()
		fields[a.Key] = v
		fmt.Fprintf(&msg, "%s%s=%v", sep, a.Key, v)
		sep = " "
		return true
	}
	for _, a := range h.attrs {
		add(a)
	}
	r.Attrs(add)
	switch {
	case r.Level >= slog.LevelError:
		tflog.Error(ctx, msg.String(), fields)
	case r.Level >= slog.LevelWarn:
		tflog.Warn(ctx, msg.String(), fields)
	case r.Level >= slog.LevelInfo:
		tflog.Info(ctx, msg.String(), fields)
	default:
		tflog.Debug(ctx, msg.String(), fields)
	}
	return nil
}

func (h tflogHandler) WithAttrs(attrs []slog.Attr) slog.Handler {
	h.attrs = append(append([]slog.Attr{}, h.attrs...), attrs...)
	return h
}

// WithGroup is not used by the client; groups are flattened.
func (h tflogHandler) WithGroup(string) slog.Handler { return h }
