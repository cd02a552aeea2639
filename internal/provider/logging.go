package provider

import (
	"context"
	"fmt"
	"log/slog"
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
}

func newTflogLogger(secrets []string) *slog.Logger {
	return slog.New(tflogHandler{secrets: secrets})
}

func (tflogHandler) Enabled(context.Context, slog.Level) bool { return true }

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
