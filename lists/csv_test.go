package lists_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/lists"
)

func TestParseCSV(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in string
		want     string // value|reason|expires_at@line, space separated
	}{
		{"values only", "560001\n110001\n", "560001||@1 110001||@2"},
		{"positional columns", "560001,flood,2026-12-31T23:59:59+05:30\n110001,fraud\n", "560001|flood|2026-12-31T18:29:59Z@1 110001|fraud|@2"},
		{"header", "value,reason,expires_at\n560001,flood,\n", "560001|flood|@2"},
		{"header in another order", "Expires_At, Value\n2026-12-31T18:29:59Z,560001\n", "560001||2026-12-31T18:29:59Z@2"},
		{"BOM, CRLF, blank lines, spaces", "\xef\xbb\xbfvalue,reason\r\n\r\n 560001 , a reason \r\n", "560001|a reason|@3"},
		{"quoted field", "\"a,b\",\"said \"\"hi\"\"\"\n", "a,b|said \"hi\"|@1"},
		{"identical repeat kept", "x\nx\n", "x||@1 x||@2"},
	} {
		es, err := lists.ParseCSV(strings.NewReader(c.in), 10)
		if err != nil {
			t.Errorf("%s: %q: %v", c.name, c.in, err)
			continue
		}
		var got []string
		for _, e := range es {
			x := ""
			if e.ExpiresAt != nil {
				x = e.ExpiresAt.Format(time.RFC3339)
			}
			got = append(got, fmt.Sprintf("%s|%s|%s@%d", e.Value, e.Reason, x, e.Line))
		}
		if g := strings.Join(got, " "); g != c.want {
			t.Errorf("%s: %q: got %q, want %q", c.name, c.in, g, c.want)
		}
	}
}

func TestParseCSVBadRows(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name, in, field string
	}{
		{"empty value", "560001\n,reason\n", "line 2"},
		{"value too long", "ok\nok2\n" + strings.Repeat("1", 257) + "\n", "line 3"},
		{"bad expiry", "value,expires_at\n560001,tomorrow\n", "line 2"},
		{"too many fields", "a,b,c,d\n", "line 1"},
		{"unknown column", "value,note\n", "line 1"},
		{"header without value", "reason,expires_at\n", "line 1"},
		{"column twice", "value,value\n", "line 1"},
		{"bare quote", "a\nb\"c\n", "line 2"},
		{"control character", "a\x01b\n", "line 1"},
		{"Aadhaar number", "560001\n491827365013,ring\n", "line 2"},
		{"over the row limit", "1\n2\n3\n4\n", "line 4"},
		{"no rows", "value,reason\n", "body"},
		{"empty body", "", "body"},
	} {
		_, err := lists.ParseCSV(strings.NewReader(c.in), 3)
		var ne *nirnay.Error
		if !errors.As(err, &ne) || ne.Kind != nirnay.KindInvalid || ne.Field != c.field {
			t.Errorf("%s: %q: got %v, want invalid naming %q", c.name, c.in, err, c.field)
		}
	}
}

// FuzzParseCSV: any body either parses into entries that could be stored
// (values checked, each naming its line) or is refused as the client's
// error naming a line or the body; never a panic or an internal error.
func FuzzParseCSV(f *testing.F) {
	for _, s := range []string{"560001\n", "value,reason,expires_at\n560001,flood,2026-12-31T23:59:59Z\n",
		"\xef\xbb\xbfa,\"b\n", "a,b,c,d\n", "\"\"\"\n", ",,\n", "value\n\xff\n", "x\r\ny\r\n"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		es, err := lists.ParseCSV(strings.NewReader(string(body)), 50)
		if err != nil {
			var ne *nirnay.Error
			if !errors.As(err, &ne) || ne.Kind != nirnay.KindInvalid || (ne.Field != "body" && !strings.HasPrefix(ne.Field, "line ")) {
				t.Fatalf("%q: error %v, want invalid naming a line or the body", body, err)
			}
			return
		}
		if len(es) == 0 || len(es) > 50 {
			t.Fatalf("%q: %d entries without an error; want 1..50", body, len(es))
		}
		for _, e := range es {
			if v, msg := lists.CheckValue(e.Value); msg != "" || v != e.Value {
				t.Fatalf("%q: entry value %q passes the parser but not CheckValue (%s)", body, e.Value, msg)
			}
			if e.Line < 1 || len(e.Reason) > lists.MaxReasonBytes {
				t.Fatalf("%q: entry %+v: want a line and a reason within the limit", body, e)
			}
		}
	})
}
