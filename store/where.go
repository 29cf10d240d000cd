package store

import (
	"strconv"
	"strings"
)

// Where builds a query's WHERE clause from conditions whose placeholders
// are written ? and numbered $1, $2, … in the order they are added (the
// PostgreSQL form, which the SQLite driver accepts too). Args holds the
// values bound to them.
type Where struct {
	conds []string
	Args  []any
}

// Add appends cond, binding each ? in it, in order, to the next of vs.
func (w *Where) Add(cond string, vs ...any) {
	var b strings.Builder
	for _, v := range vs {
		before, after, ok := strings.Cut(cond, "?")
		if !ok {
			panic("store.Where.Add: fewer ? than values in " + cond)
		}
		w.Args = append(w.Args, v)
		b.WriteString(before)
		b.WriteString("$" + strconv.Itoa(len(w.Args)))
		cond = after
	}
	b.WriteString(cond)
	w.conds = append(w.conds, b.String())
}

// Eq appends "column = ?" bound to v, unless v is "" (no filter).
func (w *Where) Eq(column, v string) {
	if v != "" {
		w.Add(column+" = ?", v)
	}
}

// Next is the placeholder of the next value bound, for a clause after the
// WHERE (a LIMIT), whose value the caller appends to Args.
func (w *Where) Next() string { return "$" + strconv.Itoa(len(w.Args)+1) }

// String is " WHERE c1 AND c2 …", or "" without conditions.
func (w *Where) String() string {
	if len(w.conds) == 0 {
		return ""
	}
	return " WHERE " + strings.Join(w.conds, " AND ")
}

// Values is the list "(…), (…)" of rows rows of cols parameters, bound in
// order: $1, $2, … on PostgreSQL and anonymous ? on SQLite, which looks a
// numbered parameter up by name (a linear search that made binding a
// statement of hundreds of parameters quadratic).
func Values(d Dialect, rows, cols int) string {
	var b strings.Builder
	b.Grow(rows * cols * 5)
	for r := range rows {
		if r > 0 {
			b.WriteString(", ")
		}
		b.WriteByte('(')
		for c := range cols {
			if c > 0 {
				b.WriteString(", ")
			}
			if d == SQLite {
				b.WriteByte('?')
			} else {
				b.WriteString("$" + strconv.Itoa(r*cols+c+1))
			}
		}
		b.WriteByte(')')
	}
	return b.String()
}
