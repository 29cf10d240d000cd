// Package migrations embeds Nirnay's numbered SQL migrations.
//
// A file named NNNNN_name.sql is shared: it is written in the SQL that both
// PostgreSQL and SQLite accept (TEXT ids, BIGINT paise, TEXT JSON). A
// migration whose SQL differs by dialect is a pair of files with one
// version, NNNNN_name.postgres.sql and NNNNN_name.sqlite.sql; For hands each
// dialect its own file of the pair.
package migrations

import (
	"embed"
	"io/fs"
	"strings"
)

// all holds every migration of both dialects.
//
//go:embed *.sql
var all embed.FS

// Dialect suffixes of the per-dialect files.
var dialects = []string{"postgres", "sqlite"}

// For returns the migrations of dialect ("postgres" or "sqlite"), applied
// in version order by store.Migrate: the shared files and that dialect's
// files of each pair.
func For(dialect string) fs.FS { return only{dialect} }

// only is the embedded tree with the other dialects' files hidden.
type only struct{ dialect string }

func (o only) keep(name string) bool {
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
