package rules

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
)

// Error is one problem found in a policy, catalog or deployments file. It
// names the file, the 1-based line and the field (a path such as
// "rules[underage].when") so an analyst can go straight to it.
type Error struct {
	File  string
	Line  int
	Field string
	Msg   string
}

// Error formats as "file:line: field: message" on one line.
func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	if e.Field != "" {
		b.WriteString(": ")
		b.WriteString(e.Field)
	}
	b.WriteString(": ")
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList holds every problem found in one pass, sorted by file and line.
// Its Error joins the errors with newlines.
type ErrorList []*Error

func (l ErrorList) Error() string {
	parts := make([]string, len(l))
	for i, e := range l {
		parts[i] = e.Error()
	}
	return strings.Join(parts, "\n")
}

// Err returns nil for an empty list and the sorted list otherwise.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	slices.SortStableFunc(l, func(a, b *Error) int {
		if c := cmp.Compare(a.File, b.File); c != 0 {
			return c
		}
		return cmp.Compare(a.Line, b.Line)
	})
	return l
}

func (l *ErrorList) add(file string, line int, field, format string, args ...any) {
	*l = append(*l, &Error{File: file, Line: line, Field: field, Msg: fmt.Sprintf(format, args...)})
}
