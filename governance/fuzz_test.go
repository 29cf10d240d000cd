package governance_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/governance"
	"github.com/nirnay/nirnay/internal/testenv"
	"github.com/nirnay/nirnay/policies"
)

// FuzzUpload feeds arbitrary bytes to Upload: it must never panic, and a
// bad policy must always be a client error (never an internal one, which
// the API would answer with 500).
func FuzzUpload(f *testing.F) {
	f.Add([]byte("id: quick-signup\nversion: 1\nstep: signup\nrules:\n  - id: r\n    when: f.emulator\n    outcome: decline\n"))
	f.Add([]byte("id: quick-signup\nversion: 1\nstep: signup\nrules:\n  - id: broken\n    when: f.emulator &&\n"))
	f.Add([]byte("id: x\nversion: -1\nstep: nowhere\nrules: {a: b}\n"))
	f.Add([]byte("{{{"))
	f.Add([]byte(""))
	ctx := context.Background()
	db := testenv.SQLite(f)
	gov, err := governance.Open(ctx, db, policies.FS, governance.Options{Logger: slog.New(slog.NewTextHandler(io.Discard, nil))})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		_, _, err := gov.Upload(ctx, governance.Actor{ID: "fuzz", Name: "fuzz"}, src)
		if err == nil {
			return
		}
		switch k := nirnay.KindOf(err); k {
		case nirnay.KindUnprocessable, nirnay.KindTooLarge, nirnay.KindConflict, nirnay.KindForbidden:
		default:
			t.Fatalf("upload of %q: error kind %s (%v), want a client error", src, k, err)
		}
	})
}
