package pii

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
)

// Handler is a slog.Handler that masks personal data in every record
// before passing it on: the message by value (Text), and each attribute,
// including those added with WithAttrs and those inside groups, by key and
// by value as Map masks a map entry. Strings, error texts, fmt.Stringer
// texts, maps and slices are masked; a number is masked under a personal
// key or when it is an Aadhaar number; any other value is masked through
// its fmt "%+v" text when that text holds personal data (and then logged
// as that masked text). LogValuers are resolved first. A record with
// nothing to mask is passed on as it is, without allocating. Safe for
// concurrent use when the wrapped handler is.
type Handler struct {
	next slog.Handler
}

// NewHandler returns a Handler that masks and then hands records to next.
func NewHandler(next slog.Handler) *Handler { return &Handler{next: next} }

// Enabled reports whether next handles records at level.
func (h *Handler) Enabled(ctx context.Context, level slog.Level) bool {
	return h.next.Enabled(ctx, level)
}

// Handle masks r and passes it to the wrapped handler.
func (h *Handler) Handle(ctx context.Context, r slog.Record) error {
	msg := Text(r.Message)
	changed := msg != r.Message
	if !changed {
		r.Attrs(func(a slog.Attr) bool {
			_, changed = maskAttr(a)
			return !changed
		})
	}
	if !changed {
		return h.next.Handle(ctx, r)
	}
	masked := slog.NewRecord(r.Time, r.Level, msg, r.PC)
	r.Attrs(func(a slog.Attr) bool {
		m, _ := maskAttr(a)
		masked.AddAttrs(m)
		return true
	})
	return h.next.Handle(ctx, masked)
}

// WithAttrs masks as and returns a Handler over next.WithAttrs.
func (h *Handler) WithAttrs(as []slog.Attr) slog.Handler {
	masked := make([]slog.Attr, len(as))
	for i, a := range as {
		masked[i], _ = maskAttr(a)
	}
	return &Handler{next: h.next.WithAttrs(masked)}
}

// WithGroup returns a Handler over next.WithGroup.
func (h *Handler) WithGroup(name string) slog.Handler {
	return &Handler{next: h.next.WithGroup(name)}
}

// maskAttr masks one attribute; false when it is unchanged.
func maskAttr(a slog.Attr) (slog.Attr, bool) {
	v := a.Value.Resolve()
	class := classOf(a.Key)
	switch v.Kind() {
	case slog.KindString:
		s := v.String()
		m := maskString(s, class)
		if m == s {
			return a, false
		}
		return slog.String(a.Key, m), true
	case slog.KindInt64, slog.KindUint64, slog.KindFloat64:
		mv, changed := maskAs(v.Any(), class)
		if !changed {
			return a, false
		}
		return slog.Any(a.Key, mv), true
	case slog.KindGroup:
		out, changed := maskSlice(v.Group(), maskAttr)
		if !changed {
			return a, false
		}
		return slog.Attr{Key: a.Key, Value: slog.GroupValue(out...)}, true
	case slog.KindAny:
		return maskAnyAttr(a.Key, v.Any(), class)
	}
	return a, false
}

func maskString(s string, class keyClass) string {
	switch class {
	case personal:
		return MaskValue(s)
	case aadhaarKey:
		return maskAadhaarValue(s)
	}
	return Text(s)
}

// maskAnyAttr masks the value of a KindAny attribute.
func maskAnyAttr(key string, x any, class keyClass) (slog.Attr, bool) {
	var text string
	switch y := x.(type) {
	case nil:
		return slog.Any(key, x), false
	case error:
		text = y.Error()
	case map[string]any, []any, []map[string]any, []string, json.Number:
		mv, changed := maskAs(x, class)
		return slog.Any(key, mv), changed
	case fmt.Stringer:
		text = y.String()
	case []byte:
		text = string(y)
	default:
		text = fmt.Sprintf("%+v", x)
	}
	if m := maskString(text, class); m != text {
		return slog.String(key, m), true
	}
	return slog.Any(key, x), false
}
