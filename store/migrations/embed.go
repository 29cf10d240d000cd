// Package migrations embeds Nirnay's numbered SQL migrations.
//
// A file named NNNNN_name.sql is shared: it is written in the SQL that both
// PostgreSQL and SQLite accept (TEXT ids, BIGINT paise, TEXT JSON). A
// migration whose SQL differs by dialect is a pair of files with one
// version, NNNNN_name.postgres.sql and NNNNN_name.sqlite.sql; For hands each
// dialect its own file of the pair. A SQLite migration that changes the
// constraints of existing tables is instead sqlite/NNNNN_name.sql, run by
// Go (see rebuild.go) and handed to goose by SQLiteGo.
package migrations

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/pressly/goose/v3"
)

// all holds every migration of both dialects, the Go-run SQLite ones in
// sqlite/ (which goose, reading only the top folder, does not see).
//
//go:embed *.sql sqlite/*.sql
var all embed.FS

// SQLiteFile names the file in sqlite/ of a SQLite migration run by Go.
func SQLiteFile(version int64) string {
	files, _ := fs.Glob(all, fmt.Sprintf("sqlite/%05d_*.sql", version))
	if len(files) == 0 {
		return ""
	}
	return files[0]
}

// SQLiteGo returns the SQLite migrations of sqlite/ as goose Go
// migrations, each running its file's Up and Down parts through runSQLite.
func SQLiteGo() ([]*goose.Migration, error) {
	files, err := fs.Glob(all, "sqlite/*.sql")
	if err != nil {
		return nil, err
	}
	var out []*goose.Migration
	for _, f := range files {
		version, err := strconv.ParseInt(strings.SplitN(strings.TrimPrefix(f, "sqlite/"), "_", 2)[0], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("%s: not NNNNN_name.sql", f)
		}
		raw, err := fs.ReadFile(all, f)
		if err != nil {
			return nil, err
		}
		_, rest, ok := strings.Cut(string(raw), "-- +goose Up")
		if !ok {
			return nil, fmt.Errorf("%s: no -- +goose Up", f)
		}
		up, down, _ := strings.Cut(rest, "-- +goose Down")
		run := func(script string) *goose.GoFunc {
			return &goose.GoFunc{RunDB: func(ctx context.Context, db *sql.DB) error {
				if err := runSQLite(ctx, db, script); err != nil {
					return fmt.Errorf("%s: %w", f, err)
				}
				return nil
			}}
		}
		out = append(out, goose.NewGoMigration(version, run(up), run(down)))
	}
	return out, nil
}

// Dialect suffixes of the per-dialect files.
var dialects = []string{"postgres", "sqlite"}

// For returns the migrations of dialect ("postgres" or "sqlite"), applied
// in version order by store.Migrate: the shared files and that dialect's
// files of each pair.
func For(dialect string) fs.FS { return only{dialect} }

// only is the embedded tree with the other dialects' files hidden.
type only struct{ dialect string }

func (o only) keep(name string) bool {
	if (name == "sqlite" || strings.HasPrefix(name, "sqlite/")) && o.dialect != "sqlite" {
		return false
	}
	for _, d := range dialects {
		if strings.HasSuffix(name, "."+d+".sql") {
			return d == o.dialect
		}
	}
	return true
}

func (o only) Open(name string) (fs.File, error) {
	if !o.keep(name) {
		return nil, &fs.PathError{Op: "open", Path: name, Err: fs.ErrNotExist}
	}
	return all.Open(name)
}

func (o only) ReadDir(name string) ([]fs.DirEntry, error) {
	entries, err := all.ReadDir(name)
	if err != nil {
		return nil, err
	}
	kept := entries[:0]
	for _, e := range entries {
		if o.keep(e.Name()) {
			kept = append(kept, e)
		}
	}
	return kept, nil
}
