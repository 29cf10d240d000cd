package screening

import (
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/nirnay/nirnay"
)

// ParseUN reads the UN Security Council consolidated list in the XML the
// UN publishes (scsanctions.un.org/resources/xml/en/consolidated.xml):
// a CONSOLIDATED_LIST of INDIVIDUALS/INDIVIDUAL and ENTITIES/ENTITY
// records. It streams the document token by token and keeps, of each
// record:
//
//   - Ref: REFERENCE_NUMBER (QDi.001), or "dataid:" + DATAID without one;
//   - Name: FIRST_NAME to FOURTH_NAME joined by spaces (an entity's
//     FIRST_NAME);
//   - Aliases: every INDIVIDUAL_ALIAS / ENTITY_ALIAS ALIAS_NAME, but a
//     one-word alias of QUALITY Low (a nickname that would match every
//     customer of that given name);
//   - DOB: every INDIVIDUAL_DATE_OF_BIRTH as a day (DATE), a year (YEAR)
//     or a range (FROM_YEAR/TO_YEAR), whatever its TYPE_OF_DATE; when one
//     is none of those the whole date of birth is unknown, and the entry
//     matches on its name alone;
//   - Note: UN_LIST_TYPE, LISTED_ON and NATIONALITY/VALUE.
//
// Other elements (DATAID, VERSIONNUM, COMMENTS1, addresses, documents …)
// are read past. Limits: MaxListBytes of input, MaxEntries records, 32
// levels of nesting, 64 KiB of text in one element, MaxAliases aliases an
// entry, and the limits of an Entry. Errors are KindInvalid naming the line (and for malformed XML the
// byte offset), KindTooLarge past MaxListBytes; a list with no record at
// all is an error too (a truncated download must not empty the list).
func ParseUN(r io.Reader) ([]Entry, error) { return parseUN(r, MaxListBytes) }

// parseUN is ParseUN with a limit of max bytes.
func parseUN(r io.Reader, max int64) ([]Entry, error) {
	c := &counter{r: r, max: max}
	p := &unParser{d: xml.NewDecoder(c), c: c, seen: map[string]int{}}
	p.d.Strict = true
	entries, err := p.parse()
	if c.n > c.max {
		return nil, nirnay.Errorf(nirnay.KindTooLarge, "the list is larger than %d bytes", c.max)
	}
	if err != nil {
		return nil, err
	}
	return entries, nil
}

// Limits of the XML reader.
const (
	maxDepth     = 32
	maxTextBytes = 64 << 10
)

// counter counts the bytes read through it and fails past max.
type counter struct {
	r      io.Reader
	n, max int64
}

var errTooLarge = errors.New("input too large")

func (c *counter) Read(b []byte) (int, error) {
	if c.n > c.max {
		return 0, errTooLarge
	}
	if room := c.max + 1 - c.n; int64(len(b)) > room {
		b = b[:room]
	}
	n, err := c.r.Read(b)
	c.n += int64(n)
	return n, err
}

type unParser struct {
	d     *xml.Decoder
	c     *counter
	out   []Entry
	seen  map[string]int // ref → line
	depth int            // of the element being read, the root at 1
}

// record is what ParseUN keeps of an INDIVIDUAL or ENTITY.
type record struct {
	kind        Kind
	line        int
	fields      map[string]string
	nationality []string
	aliases     []map[string][]string
	dobs        []map[string][]string
}

// fail is an error at the decoder's position; malformed XML names the line
// and byte offset the decoder stopped at.
func (p *unParser) fail(err error) error {
	var se *xml.SyntaxError
	if errors.As(err, &se) {
		return nirnay.FieldError(fmt.Sprintf("line %d (byte %d)", se.Line, p.d.InputOffset()), "malformed XML: %s", se.Msg)
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		line, _ := p.d.InputPos()
		return nirnay.FieldError(fmt.Sprintf("line %d (byte %d)", line, p.d.InputOffset()), "the XML ends before its last element is closed")
	}
	if errors.Is(err, errTooLarge) {
		return err // ParseUN reports it
	}
	var ne *nirnay.Error
	if errors.As(err, &ne) {
		return err
	}
	line, _ := p.d.InputPos()
	return nirnay.FieldError(fmt.Sprintf("line %d (byte %d)", line, p.d.InputOffset()), "could not read the XML: %v", err)
}

func (p *unParser) at(format string, args ...any) error {
	line, col := p.d.InputPos()
	return nirnay.FieldError(fmt.Sprintf("line %d, column %d", line, col), format, args...)
}

// token is the decoder's next token, depth tracked and bounded.
func (p *unParser) token() (xml.Token, error) {
	t, err := p.d.Token()
	if err != nil {
		return nil, p.fail(err)
	}
	switch t.(type) {
	case xml.StartElement:
		p.depth++
		if p.depth > maxDepth {
			return nil, p.at("elements nested more than %d deep", maxDepth)
		}
	case xml.EndElement:
		p.depth--
	}
	return t, nil
}

func (p *unParser) parse() ([]Entry, error) {
	for {
		t, err := p.token()
		if err != nil {
			return nil, err
		}
		if se, ok := t.(xml.StartElement); ok {
			if se.Name.Local != "CONSOLIDATED_LIST" {
				return nil, p.at("the document is <%s>, not the UN consolidated list (<CONSOLIDATED_LIST>)", clip(se.Name.Local))
			}
			break
		}
	}
	if err := p.children(func(se xml.StartElement) error {
		switch se.Name.Local {
		case "INDIVIDUALS":
			return p.records("INDIVIDUAL", KindIndividual)
		case "ENTITIES":
			return p.records("ENTITY", KindEntity)
		}
		return p.skip()
	}); err != nil {
		return nil, err
	}
	// Nothing but comments and white space may follow the root.
	for {
		t, err := p.d.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, p.fail(err)
		}
		if _, ok := t.(xml.StartElement); ok {
			return nil, p.at("a second element after </CONSOLIDATED_LIST>")
		}
	}
	if len(p.out) == 0 {
		return nil, nirnay.FieldError("body", "the list has no INDIVIDUAL or ENTITY: an empty or truncated download?")
	}
	return p.out, nil
}

// children calls fn at each child element of the element just opened,
// which fn reads to its end, and returns at that element's end.
func (p *unParser) children(fn func(xml.StartElement) error) error {
	for {
		t, err := p.token()
		if err != nil {
			return err
		}
		switch t := t.(type) {
		case xml.StartElement:
			if err := fn(t); err != nil {
				return err
			}
		case xml.EndElement:
			return nil
		}
	}
}

// skip reads past the element just opened.
func (p *unParser) skip() error {
	return p.children(func(xml.StartElement) error { return p.skip() })
}

// text reads the character data of the element just opened (its child
// elements skipped), trimmed.
func (p *unParser) text() (string, error) {
	var b strings.Builder
	for {
		t, err := p.token()
		if err != nil {
			return "", err
		}
		switch t := t.(type) {
		case xml.CharData:
			if b.Len()+len(t) > maxTextBytes {
				return "", p.at("more than %d bytes of text in one element", maxTextBytes)
			}
			b.Write(t)
		case xml.StartElement:
			if err := p.skip(); err != nil {
				return "", err
			}
		case xml.EndElement:
			return strings.TrimSpace(b.String()), nil
		}
	}
}

// group reads the texts of the children of the element just opened, by
// element name.
func (p *unParser) group() (map[string][]string, error) {
	out := map[string][]string{}
	err := p.children(func(se xml.StartElement) error {
		s, err := p.text()
		if err == nil && s != "" {
			out[se.Name.Local] = append(out[se.Name.Local], s)
		}
		return err
	})
	return out, err
}

// records reads the records named name of an INDIVIDUALS or ENTITIES.
func (p *unParser) records(name string, kind Kind) error {
	return p.children(func(se xml.StartElement) error {
		if se.Name.Local != name {
			return p.skip()
		}
		line, _ := p.d.InputPos()
		if len(p.out) == MaxEntries {
			return nirnay.FieldError(fmt.Sprintf("line %d", line), "more than %d entries", MaxEntries)
		}
		rec := record{kind: kind, line: line, fields: map[string]string{}}
		if err := p.children(func(f xml.StartElement) error { return p.field(&rec, f) }); err != nil {
			return err
		}
		e, err := rec.entry()
		if err != nil {
			return err
		}
		if prev, dup := p.seen[e.Ref]; dup {
			return nirnay.FieldError(fmt.Sprintf("line %d", line), "%s %s is also the reference of the entry at line %d", name, clip(e.Ref), prev)
		}
		p.seen[e.Ref] = line
		p.out = append(p.out, e)
		return nil
	})
}

// field reads one child element of a record.
func (p *unParser) field(rec *record, f xml.StartElement) error {
	var err error
	switch n := f.Name.Local; n {
	case "DATAID", "REFERENCE_NUMBER", "FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME", "UN_LIST_TYPE", "LISTED_ON":
		rec.fields[n], err = p.text()
	case "NATIONALITY":
		var g map[string][]string
		if g, err = p.group(); err == nil {
			rec.nationality = append(rec.nationality, g["VALUE"]...)
		}
	case "INDIVIDUAL_ALIAS", "ENTITY_ALIAS":
		if len(rec.aliases) == MaxAliases {
			return p.at("more than %d aliases in one entry", MaxAliases)
		}
		var g map[string][]string
		if g, err = p.group(); err == nil {
			rec.aliases = append(rec.aliases, g)
		}
	case "INDIVIDUAL_DATE_OF_BIRTH":
		var g map[string][]string
		if g, err = p.group(); err == nil && len(rec.dobs) <= maxDOBParts {
			rec.dobs = append(rec.dobs, g)
		}
	default:
		err = p.skip()
	}
	return err
}

// entry makes the record an Entry.
func (rec *record) entry() (Entry, error) {
	where := fmt.Sprintf("line %d", rec.line)
	e := Entry{Kind: rec.kind, Ref: rec.fields["REFERENCE_NUMBER"]}
	if e.Ref == "" {
		if id := rec.fields["DATAID"]; id != "" {
			e.Ref = "dataid:" + id
		} else {
			return e, nirnay.FieldError(where, "the entry has neither a REFERENCE_NUMBER nor a DATAID")
		}
	}
	parts := []string{rec.fields["FIRST_NAME"]}
	if rec.kind == KindIndividual {
		parts = append(parts, rec.fields["SECOND_NAME"], rec.fields["THIRD_NAME"], rec.fields["FOURTH_NAME"])
	}
	e.Name = squash(strings.Join(parts, " "))
	if e.Name == "" {
		return e, nirnay.FieldError(where, "entry %s has no name (FIRST_NAME)", clip(e.Ref))
	}
	for _, a := range rec.aliases {
		name := first(a["ALIAS_NAME"])
		if name == "" || (strings.EqualFold(first(a["QUALITY"]), "low") && len(words(name)) < 2) {
			continue
		}
		e.Aliases = append(e.Aliases, name)
	}
	e.DOB = rec.dob()
	var note []string
	if v := rec.fields["UN_LIST_TYPE"]; v != "" {
		note = append(note, "UN "+v)
	}
	if v := rec.fields["LISTED_ON"]; v != "" {
		note = append(note, "listed "+v)
	}
	if len(rec.nationality) > 0 {
		note = append(note, "nationality "+strings.Join(rec.nationality, ", "))
	}
	e.Note = truncate(strings.Join(note, "; "), MaxNoteBytes)
	return canonical(e, fmt.Sprintf("%s (%s)", where, clip(e.Ref)))
}

// dob is the record's date of birth: every INDIVIDUAL_DATE_OF_BIRTH as a
// day, a year or a range of years. When one of them gives a date that is
// none of these, or there are more than maxDOBParts, the date of birth is
// unknown ("") — the entry then matches on its name alone, rather than
// being cleared by the parts that could be read.
func (rec *record) dob() string {
	if len(rec.dobs) > maxDOBParts {
		return ""
	}
	var parts []string
	for _, d := range rec.dobs {
		if len(d["DATE"])+len(d["YEAR"])+len(d["FROM_YEAR"])+len(d["TO_YEAR"]) == 0 {
			continue // an empty element
		}
		part := ""
		for _, p := range []string{dayOf10(first(d["DATE"])), first(d["YEAR"]), yearRange(first(d["FROM_YEAR"]), first(d["TO_YEAR"]))} {
			if _, ok := parseDOBPart(p); ok && p != "" {
				part = p
				break
			}
		}
		if part == "" {
			return ""
		}
		if !slices.Contains(parts, part) {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, ";")
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// dayOf10 is the YYYY-MM-DD a UN DATE starts with ("" for another form).
func dayOf10(s string) string {
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' {
		return s[:10]
	}
	return ""
}

func yearRange(from, to string) string {
	if from == "" || to == "" {
		return ""
	}
	return from + "/" + to
}

// truncate cuts s to at most n bytes, at a rune boundary.
func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.ToValidUTF8(s[:n], "")
}
