package pii

import (
	"bytes"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

type applicant struct {
	Name string
	PAN  string
}

type secretValuer struct{}

func (secretValuer) LogValue() slog.Value { return slog.StringValue("aadhaar " + aadhaar) }

func TestHandlerMasks(t *testing.T) {
	for _, format := range []string{"json", "text"} {
		var buf bytes.Buffer
		var inner slog.Handler = slog.NewJSONHandler(&buf, nil)
		if format == "text" {
			inner = slog.NewTextHandler(&buf, nil)
		}
		log := slog.New(NewHandler(inner)).With("mobile_no", "9876543210", "request_id", "req-"+aadhaar2)
		log.Info("kyc for PAN "+pan+" failed",
			"err", fmt.Errorf("verify %s: %w", aadhaar, errors.New("mismatch")),
			"email", "ravi@example.com",
			"aadhaar_no", "2345-6789-0124",
			"uid", int64(234567890124),
			"count", 3, "amount", 150000.50, "customer_id", "C00000004", "at", int64(1764131400),
			slog.Group("applicant", "phone", "+91 98123 45678", "note", "alt 9123456789"),
			"who", applicant{Name: "Ravi", PAN: pan},
			"input", map[string]any{"pan_no": pan, "list": []any{"a@b.in"}},
			"secret", secretValuer{},
		)
		log.WithGroup("g").Warn("plain", "x", "y")
		out := buf.String()
		for _, raw := range []string{pan, aadhaar, "2345-6789-0124", "9876543210", aadhaar2, "ravi@", "98123 45678", "9123456789", "a@b.in"} {
			if strings.Contains(out, raw) {
				t.Errorf("%s log holds %q:\n%s", format, raw, out)
			}
		}
		for _, kept := range []string{"XXXXXX234F", "XXXXXXXX0124", "XXXXXX3210", "XXXX@example.com", "C00000004", "1764131400", "150000.5", "mismatch", "plain"} {
			if !strings.Contains(out, kept) {
				t.Errorf("%s log lacks %q:\n%s", format, kept, out)
			}
		}
	}
}

func TestHandlerPassesCleanRecordsAsTheyAre(t *testing.T) {
	var buf bytes.Buffer
	h := NewHandler(slog.NewJSONHandler(&buf, nil))
	slog.New(h).Info("http request", "method", "POST", "route", "/v1/decisions", "status", 200, "duration_us", int64(812))
	want := `"msg":"http request","method":"POST","route":"/v1/decisions","status":200,"duration_us":812}`
	if !strings.HasSuffix(strings.TrimSpace(buf.String()), want) {
		t.Fatalf("got %s, want it to end %s", buf.String(), want)
	}
	if !h.Enabled(t.Context(), slog.LevelInfo) || h.Enabled(t.Context(), slog.LevelDebug) {
		t.Error("Enabled does not follow the wrapped handler's level")
	}
}
