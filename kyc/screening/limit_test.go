package screening

import (
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/nirnay/nirnay"
)

// pattern repeats its text without end.
type pattern struct {
	text string
	at   int
}

func (p *pattern) Read(b []byte) (int, error) {
	for i := range b {
		b[i] = p.text[p.at%len(p.text)]
		p.at++
	}
	return len(b), nil
}

func TestParsersStopAtTheSizeLimit(t *testing.T) {
	const limit = 1 << 20
	un := io.MultiReader(strings.NewReader("<CONSOLIDATED_LIST>"), &pattern{text: "<X/>"})
	if _, err := parseUN(un, limit); !nirnay.IsKind(err, nirnay.KindTooLarge) {
		t.Errorf("UN list of endless elements: got %v, want too large", err)
	}
	var rows strings.Builder
	for i := range MaxEntries + 1 {
		fmt.Fprintf(&rows, "L%d,Asha Rao\n", i)
	}
	_, err := parseLocalMax(strings.NewReader(rows.String()), limit)
	if want := "line 50001: more than 50000 entries"; err == nil || err.Error() != want {
		t.Errorf("CSV of MaxEntries+1 rows: got %v, want %q", err, want)
	}
	long := io.MultiReader(strings.NewReader("L1,\""), &pattern{text: "a"})
	if _, err := parseLocalMax(long, limit); !nirnay.IsKind(err, nirnay.KindTooLarge) {
		t.Errorf("CSV of one endless field: got %v, want too large", err)
	}
}
