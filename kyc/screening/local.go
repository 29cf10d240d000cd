package screening

import (
	"bufio"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/nirnay/nirnay"
)

// localColumns are the columns of the lender's own list, in order.
var localColumns = []string{"ref", "name", "aliases", "dob", "note"}

// ParseLocal reads the lender's own list: CSV with the columns ref, name,
// aliases (separated by ";"), dob (the grammar of ParseDOB) and note, in
// that order; trailing columns may be left out. A first row whose first
// field is "ref" (any case) is a header and is skipped. A UTF-8 byte order
// mark, blank lines and spaces around fields are ignored. Every entry is
// an individual.
//
// Errors: KindInvalid naming the line and column ("line 7, column 4
// (dob)") of a malformed row or bad field, a ref given twice, more than
// MaxEntries rows or an empty file; KindTooLarge past MaxListBytes.
func ParseLocal(r io.Reader) ([]Entry, error) { return parseLocalMax(r, MaxListBytes) }

// parseLocalMax is ParseLocal with a limit of max bytes.
func parseLocalMax(r io.Reader, max int64) ([]Entry, error) {
	c := &counter{r: r, max: max}
	entries, err := parseLocal(c)
	if c.n > c.max {
		return nil, nirnay.Errorf(nirnay.KindTooLarge, "the list is larger than %d bytes", c.max)
	}
	return entries, err
}

func parseLocal(r io.Reader) ([]Entry, error) {
	br := bufio.NewReader(r)
	if b, err := br.Peek(3); err == nil && string(b) == "\xef\xbb\xbf" {
		_, _ = br.Discard(3)
	}
	cr := csv.NewReader(br)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = true
	var out []Entry
	seen := map[string]int{}
	for first := true; ; first = false {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, nirnay.FieldError(fmt.Sprintf("line %d, column %d", pe.Line, pe.Column), "malformed CSV: %v", pe.Err)
			}
			if errors.Is(err, errTooLarge) {
				return nil, err // ParseLocal reports it
			}
			return nil, nirnay.Errorf(nirnay.KindInvalid, "could not read the CSV")
		}
		line, _ := cr.FieldPos(0)
		if first && strings.EqualFold(strings.TrimSpace(rec[0]), "ref") {
			continue
		}
		at := func(i int) string {
			l := line
			if i < len(rec) {
				l, _ = cr.FieldPos(i)
			}
			return fmt.Sprintf("line %d, column %d (%s)", l, i+1, localColumns[i])
		}
		if len(rec) > len(localColumns) {
			return nil, nirnay.FieldError(fmt.Sprintf("line %d", line), "%d fields; at most %d (%s)", len(rec), len(localColumns), strings.Join(localColumns, ","))
		}
		if len(out) == MaxEntries {
			return nil, nirnay.FieldError(fmt.Sprintf("line %d", line), "more than %d entries", MaxEntries)
		}
		var e Entry
		for i, f := range rec {
			f = strings.TrimSpace(f)
			switch localColumns[i] {
			case "ref":
				e.Ref = f
			case "name":
				e.Name = f
			case "aliases":
				for _, a := range strings.Split(f, ";") {
					if a = strings.TrimSpace(a); a != "" {
						e.Aliases = append(e.Aliases, a)
					}
				}
			case "dob":
				e.DOB = f
			case "note":
				e.Note = f
			}
		}
		c, err := canonical(e, "")
		if err != nil {
			var ne *nirnay.Error
			if errors.As(err, &ne) {
				col, _, _ := strings.Cut(strings.TrimPrefix(ne.Field, "."), ".")
				col, _, _ = strings.Cut(col, "[")
				for i, name := range localColumns {
					if name == col {
						return nil, nirnay.FieldError(at(i), "%s", ne.Message)
					}
				}
			}
			return nil, err
		}
		if prev, dup := seen[c.Ref]; dup {
			return nil, nirnay.FieldError(at(0), "ref %q is also the ref at line %d", clip(c.Ref), prev)
		}
		seen[c.Ref] = line
		out = append(out, c)
	}
	if len(out) == 0 {
		return nil, nirnay.FieldError("body", "the CSV has no entries; send rows of ref,name,aliases,dob,note")
	}
	return out, nil
}
