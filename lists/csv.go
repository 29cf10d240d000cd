package lists

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/nirnay/nirnay"
)

// ParseCSV reads an import file: one entry a row, in the columns value,
// reason, expires_at (RFC 3339, or empty for never); trailing columns may
// be left out. A first row with a field "value", or only column names
// (any case), is a header naming the columns: value, and optionally reason
// and expires_at, in any order. A UTF-8 byte order mark, blank lines and spaces around
// fields are ignored. Values are checked as CheckValue does; whether an
// expiry is in the future is checked when the entries are applied.
//
// Errors: KindInvalid naming the line ("line 7") for a malformed row, a bad
// value, reason or expiry, more than maxRows rows, or an empty file.
func ParseCSV(r io.Reader, maxRows int) ([]NewEntry, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	cols := []string{"value", "reason", "expires_at"} // positional unless there is a header
	var out []NewEntry
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nirnay.FieldError(fmt.Sprintf("line %d", pe.Line), "malformed CSV: %v", pe.Err)
			}
			return nil, nirnay.Errorf(nirnay.KindInvalid, "could not read the CSV body")
		}
		line, _ := cr.FieldPos(0)
		where := fmt.Sprintf("line %d", line)
		if first && isHeader(rec) {
			if cols, err = header(rec, where); err != nil {
				return nil, err
			}
			continue
		}
		if len(rec) > len(cols) {
			return nil, nirnay.FieldError(where, "%d fields; at most %d (%s)", len(rec), len(cols), strings.Join(cols, ","))
		}
		if len(out) == maxRows {
			return nil, nirnay.FieldError(where, "more than %d rows; split the file", maxRows)
		}
		e := NewEntry{Line: line}
		for i, f := range rec {
			f = strings.TrimSpace(f)
			switch cols[i] {
			case "value":
				v, msg := CheckValue(f)
				if msg != "" {
					return nil, nirnay.FieldError(where, "%s", msg)
				}
				e.Value = v
			case "reason":
				if len(f) > MaxReasonBytes {
					return nil, nirnay.FieldError(where, "reason is %d bytes; at most %d", len(f), MaxReasonBytes)
				}
				if msg := checkText(f); msg != "" {
					return nil, nirnay.FieldError(where, "reason %s", msg)
				}
				e.Reason = f
			case "expires_at":
				if f == "" {
					continue
				}
				t, err := time.Parse(time.RFC3339, f)
				if err != nil {
					return nil, nirnay.FieldError(where, "expires_at %q is not an RFC 3339 time (2026-12-31T23:59:59+05:30) or empty", clip(f))
				}
				t = t.UTC()
				e.ExpiresAt = &t
			}
		}
		if e.Value == "" {
			return nil, nirnay.FieldError(where, "value is empty")
		}
		out = append(out, e)
	}
	if len(out) == 0 {
		return nil, nirnay.FieldError("body", "the CSV has no entries; send rows of value,reason,expires_at")
	}
	return out, nil
}

// isHeader reports whether a first row is a header: one of its fields is
// "value", or every field names a column (any case).
func isHeader(rec []string) bool {
	all := true
	for _, f := range rec {
		switch strings.ToLower(strings.TrimSpace(f)) {
		case "value":
			return true
		case "reason", "expires_at":
		default:
			all = false
		}
	}
	return all
}

// header reads the column names of a header row.
func header(rec []string, where string) ([]string, error) {
	cols := make([]string, len(rec))
	seen := map[string]bool{}
	for i, f := range rec {
		c := strings.ToLower(strings.TrimSpace(f))
		switch {
		case c != "value" && c != "reason" && c != "expires_at":
			return nil, nirnay.FieldError(where, "unknown column %q; the columns are value, reason, expires_at", clip(c))
		case seen[c]:
			return nil, nirnay.FieldError(where, "column %q is named twice", c)
		}
		seen[c] = true
		cols[i] = c
	}
	if !seen["value"] {
		return nil, nirnay.FieldError(where, "the header has no value column")
	}
	return cols, nil
}

// clip shortens text quoted back in an error message.
func clip(s string) string {
	if len(s) > 40 {
		return s[:40] + "…"
	}
	return s
}
