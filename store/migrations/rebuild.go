package migrations

import (
	"context"
	"database/sql"
	"fmt"
	"regexp"
	"strings"
)

// SQLite cannot add, drop or change a table's constraints in place. The
// SQLite migrations in sqlite/ are therefore run by runSQLite, which reads
// them as ordinary SQL with three statements SQLite lacks, each applied by
// rebuilding the table the way SQLite documents (create a table with the
// new definition, copy the rows, drop the old table, rename the new one,
// recreate its indexes and triggers):
//
//	ALTER TABLE t ADD CONSTRAINT name …;  -- a table constraint; replaces one of the same name
//	ALTER TABLE t DROP CONSTRAINT name;   -- a named constraint, or DROP CHECK (…) for an unnamed one;
//	                                      -- DROP [CONSTRAINT] IF EXISTS … when it may be gone already
//	ALTER TABLE t ALTER COLUMN c …;       -- restates column c's whole definition
//
// Consecutive statements on one table make one rebuild. The new definition
// is derived from the table's definition in the live schema, so a migration
// states only what changes. The whole file runs in one transaction with
// foreign keys off while tables are swapped, and the foreign keys of every
// row are checked before the commit: a row that refers to a missing row
// fails the migration (its error names ForeignKeyCheck) and nothing is
// changed.

// ForeignKeyCheck is in the error of a SQLite migration that left rows
// referring to missing rows; PRAGMA foreign_key_check lists them.
const ForeignKeyCheck = "rows_refer_to_missing_rows_see_pragma_foreign_key_check"

// alter matches the statements runSQLite emulates.
var alter = regexp.MustCompile(`(?is)^ALTER\s+TABLE\s+(\w+)\s+(ADD\s+CONSTRAINT|DROP\s+CONSTRAINT|DROP|ALTER\s+COLUMN)\s+(.+)$`)

// rebuild is what one table rebuild changes.
type rebuild struct {
	table   string
	add     []string          // table constraints, "CONSTRAINT name …"
	drop    []string          // constraint names or the text of unnamed ones
	ifAny   map[string]bool   // drops that may find nothing (IF EXISTS)
	columns map[string]string // column name → its new definition
}

// runSQLite applies the statements of one direction of a SQLite migration
// on conn (see above).
func runSQLite(ctx context.Context, db *sql.DB, script string) (err error) {
	conn, err := db.Conn(ctx)
	if err != nil {
		return err
	}
	defer conn.Close()
	if _, err := conn.ExecContext(ctx, `PRAGMA foreign_keys = OFF`); err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_, _ = conn.ExecContext(context.WithoutCancel(ctx), `ROLLBACK`)
		}
		_, _ = conn.ExecContext(context.WithoutCancel(ctx), `PRAGMA foreign_keys = ON`)
	}()
	if _, err := conn.ExecContext(ctx, `BEGIN IMMEDIATE`); err != nil {
		return err
	}
	var pending *rebuild
	flush := func() error {
		if pending == nil {
			return nil
		}
		r := pending
		pending = nil
		return r.run(ctx, conn)
	}
	for _, stmt := range statements(script) {
		m := alter.FindStringSubmatch(stmt)
		if m == nil {
			if err := flush(); err != nil {
				return err
			}
			if _, err := conn.ExecContext(ctx, stmt); err != nil {
				return fmt.Errorf("%s: %w", firstLine(stmt), err)
			}
			continue
		}
		if pending != nil && pending.table != m[1] {
			if err := flush(); err != nil {
				return err
			}
		}
		if pending == nil {
			pending = &rebuild{table: m[1], columns: map[string]string{}, ifAny: map[string]bool{}}
		}
		clause := strings.Join(strings.Fields(m[3]), " ")
		switch strings.ToUpper(strings.Join(strings.Fields(m[2]), " ")) {
		case "ADD CONSTRAINT":
			pending.add = append(pending.add, "CONSTRAINT "+clause)
		case "DROP CONSTRAINT", "DROP":
			if rest, ok := strings.CutPrefix(clause, "IF EXISTS "); ok {
				clause = rest
				pending.ifAny[clause] = true
			}
			pending.drop = append(pending.drop, clause)
		case "ALTER COLUMN":
			pending.columns[firstWord(clause)] = clause
		}
	}
	if err := flush(); err != nil {
		return err
	}
	var broken int
	if err := conn.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&broken); err != nil {
		return err
	}
	if broken > 0 {
		return fmt.Errorf("%d rows refer to missing rows (%s)", broken, ForeignKeyCheck)
	}
	_, err = conn.ExecContext(ctx, `COMMIT`)
	return err
}

// run rebuilds r.table with r's changes, keeping its rows, indexes and
// triggers.
func (r *rebuild) run(ctx context.Context, conn *sql.Conn) error {
	var ddl string
	if err := conn.QueryRowContext(ctx, `SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?`, r.table).Scan(&ddl); err != nil {
		return fmt.Errorf("rebuild %s: %w", r.table, err)
	}
	rows, err := conn.QueryContext(ctx, `SELECT sql FROM sqlite_master WHERE tbl_name = ? AND type IN ('index', 'trigger') AND sql IS NOT NULL`, r.table)
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", r.table, err)
	}
	var dependents []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return err
		}
		dependents = append(dependents, s)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return err
	}
	items, err := r.apply(definitionItems(ddl))
	if err != nil {
		return fmt.Errorf("rebuild %s: %w", r.table, err)
	}
	next := r.table + "_rebuilt"
	stmts := []string{
		fmt.Sprintf("CREATE TABLE %s (\n    %s\n)", next, strings.Join(items, ",\n    ")),
		fmt.Sprintf("INSERT INTO %s SELECT * FROM %s", next, r.table),
		fmt.Sprintf("DROP TABLE %s", r.table),
		fmt.Sprintf("ALTER TABLE %s RENAME TO %s", next, r.table),
	}
	for _, s := range append(stmts, dependents...) {
		if _, err := conn.ExecContext(ctx, s); err != nil {
			return fmt.Errorf("rebuild %s: %s: %w", r.table, firstLine(s), err)
		}
	}
	return nil
}

// apply changes a table definition's items (columns and constraints) as r
// says; naming a column or constraint the table lacks is an error.
func (r *rebuild) apply(items []string) ([]string, error) {
	added := map[string]bool{}
	for _, a := range r.add {
		added[constraintName(a)] = true
	}
	dropped := map[string]bool{}
	var out []string
	for _, it := range items {
		if def, ok := r.columns[firstWord(it)]; ok {
			out = append(out, def)
			dropped[firstWord(it)] = true
			continue
		}
		name := constraintName(it)
		drop := false
		for _, d := range r.drop {
			if d == name || d == it {
				drop, dropped[d] = true, true
			}
		}
		if name != "" && added[name] {
			drop = true
		}
		if !drop {
			out = append(out, it)
		}
	}
	for _, d := range r.drop {
		if !dropped[d] && !r.ifAny[d] {
			return nil, fmt.Errorf("no constraint %s to drop", d)
		}
	}
	for c := range r.columns {
		if !dropped[c] {
			return nil, fmt.Errorf("no column %s to alter", c)
		}
	}
	return append(out, r.add...), nil
}

// constraintName is the name of a "CONSTRAINT name …" item, or "".
func constraintName(item string) string {
	f := strings.Fields(item)
	if len(f) > 1 && strings.EqualFold(f[0], "CONSTRAINT") {
		return f[1]
	}
	return ""
}

// definitionItems splits a CREATE TABLE statement's parenthesised body at
// its top-level commas, each item without comments and with its
// whitespace collapsed.
func definitionItems(ddl string) []string {
	open, end := strings.Index(ddl, "("), strings.LastIndex(ddl, ")")
	var items []string
	for _, it := range split(ddl[open+1:end], ',') {
		if it = strings.Join(strings.Fields(it), " "); it != "" {
			items = append(items, it)
		}
	}
	return items
}

// statements splits a script into its statements at top-level semicolons;
// a trigger's body (BEGIN … END) stays whole.
func statements(script string) []string {
	var out []string
	var cur strings.Builder
	for _, s := range split(script, ';') {
		cur.WriteString(s)
		text := strings.TrimSpace(cur.String())
		if text == "" {
			cur.Reset()
			continue
		}
		upper := strings.ToUpper(text)
		if strings.HasPrefix(upper, "CREATE TRIGGER") && !strings.HasSuffix(upper, "END") {
			cur.WriteString(";")
			continue
		}
		out = append(out, text)
		cur.Reset()
	}
	return out
}

// split cuts s at every sep outside quotes, parentheses and comments, and
// drops the comments.
func split(s string, sep byte) []string {
	var parts []string
	var cur strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '-' && i+1 < len(s) && s[i+1] == '-':
			for i < len(s) && s[i] != '\n' {
				i++
			}
			cur.WriteByte('\n')
			continue
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(s) && s[j] != c {
				j++
			}
			cur.WriteString(s[i:min(j+1, len(s))])
			i = j
			continue
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == sep && depth == 0:
			parts = append(parts, cur.String())
			cur.Reset()
			continue
		}
		cur.WriteByte(c)
	}
	return append(parts, cur.String())
}

func firstWord(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return ""
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return line
}
