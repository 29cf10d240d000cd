// Package migrations embeds Nirnay's numbered SQL migrations. Each file is
// written once in the SQL that both PostgreSQL and SQLite accept: TEXT ids,
// BIGINT paise and unix-microsecond times, TEXT JSON.
package migrations

import "embed"

// FS holds the migrations, applied in version order by store.Migrate.
//
//go:embed *.sql
var FS embed.FS
