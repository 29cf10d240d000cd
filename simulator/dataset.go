// Package simulator replays historical customers against two policy
// versions and reports what would change, and generates synthetic datasets
// of historical customers to replay.
//
// A dataset is JSON lines, one customer decision a line (gzip-compressed
// when the file name ends in .gz):
//
//	{"customer_id": "C00000001", "decided_at": "2026-03-04T10:11:12Z",
//	 "step": "application", "entities": {"device": "D…", …},
//	 "features": {"age": 32, …}, "input": {"amount": 150000, …},
//	 "labels": {"default_90d": false, "fraud": false}}
//
// Each record carries its own clock (decided_at): features are taken as
// observed at that instant and the policies are evaluated with now set to
// it, so a replay does not depend on when it runs.
package simulator

import (
	"bufio"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Record is one historical customer decision of a dataset.
type Record struct {
	CustomerID string            `json:"customer_id"`
	DecidedAt  time.Time         `json:"decided_at"`
	Step       string            `json:"step"`
	Entities   map[string]string `json:"entities,omitempty"` // entity kind → id (device, bank_account, phone, pan)
	Features   map[string]any    `json:"features"`           // int64, float64, string, bool, time.Time, []string
	Input      map[string]any    `json:"input"`
	Labels     Labels            `json:"labels"`
	// Referral is set by a decision-log source for a decision referred
	// live (never read from or written to a dataset).
	Referral *Referral `json:"-"`
}

// Labels are the outcomes observed after the decision.
type Labels struct {
	Default90d bool `json:"default_90d"` // 90+ days past due within the observation window
	Fraud      bool `json:"fraud"`       // confirmed fraud
}

// AppendJSON appends r as one JSON object (no newline) with keys in a fixed
// order and feature, input and entity keys sorted, so equal records encode
// to equal bytes. Feature values must be int, int64, float64, string, bool,
// time.Time or []string; time.Time encodes as RFC 3339 in UTC.
func AppendJSON(b []byte, r *Record) []byte {
	b = append(b, `{"customer_id":`...)
	b = strconv.AppendQuote(b, r.CustomerID)
	b = append(b, `,"decided_at":"`...)
	b = r.DecidedAt.UTC().AppendFormat(b, time.RFC3339)
	b = append(b, `","step":`...)
	b = strconv.AppendQuote(b, r.Step)
	if len(r.Entities) > 0 {
		b = append(b, `,"entities":{`...)
		for i, k := range slices.Sorted(maps.Keys(r.Entities)) {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, k)
			b = append(b, ':')
			b = strconv.AppendQuote(b, r.Entities[k])
		}
		b = append(b, '}')
	}
	b = append(b, `,"features":`...)
	b = appendObject(b, r.Features)
	b = append(b, `,"input":`...)
	b = appendObject(b, r.Input)
	b = append(b, `,"labels":{"default_90d":`...)
	b = strconv.AppendBool(b, r.Labels.Default90d)
	b = append(b, `,"fraud":`...)
	b = strconv.AppendBool(b, r.Labels.Fraud)
	return append(b, '}', '}')
}

func appendObject(b []byte, m map[string]any) []byte {
	b = append(b, '{')
	for i, k := range slices.Sorted(maps.Keys(m)) {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendQuote(b, k)
		b = append(b, ':')
		b = appendValue(b, m[k])
	}
	return append(b, '}')
}

func appendValue(b []byte, v any) []byte {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...)
	case int:
		return strconv.AppendInt(b, int64(x), 10)
	case int64:
		return strconv.AppendInt(b, x, 10)
	case float64:
		return strconv.AppendFloat(b, x, 'f', -1, 64)
	case string:
		return strconv.AppendQuote(b, x)
	case bool:
		return strconv.AppendBool(b, x)
	case time.Time:
		b = append(b, '"')
		b = x.UTC().AppendFormat(b, time.RFC3339)
		return append(b, '"')
	case []string:
		b = append(b, '[')
		for i, s := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = strconv.AppendQuote(b, s)
		}
		return append(b, ']')
	}
	panic(fmt.Sprintf("simulator: cannot encode %T", v))
}

// CreateFile creates path for writing a dataset, gzip-compressed when the
// name ends in .gz. Close the returned writer to flush and close the file.
func CreateFile(path string) (io.WriteCloser, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if !strings.HasSuffix(path, ".gz") {
		return &fileWriter{Writer: bufio.NewWriterSize(f, 1<<20), f: f}, nil
	}
	zw, _ := gzip.NewWriterLevel(f, gzip.BestSpeed)
	return &fileWriter{Writer: bufio.NewWriterSize(zw, 1<<20), zw: zw, f: f}, nil
}

type fileWriter struct {
	*bufio.Writer
	zw *gzip.Writer
	f  *os.File
}

func (w *fileWriter) Close() error {
	err := w.Flush()
	if w.zw != nil {
		err = errors.Join(err, w.zw.Close())
	}
	return errors.Join(err, w.f.Close())
}

// OpenFile opens a dataset for reading, decompressing when the name ends in
// .gz.
func OpenFile(path string) (*DatasetReader, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, err
	}
	d, err := NewDatasetReader(f, st.Size(), strings.HasSuffix(path, ".gz"))
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	d.f = f
	return d, nil
}

// NewDatasetReader reads a dataset from r (size bytes, for progress; 0 when
// unknown), gunzipping it when gzipped.
func NewDatasetReader(r io.Reader, size int64, gzipped bool) (*DatasetReader, error) {
	d := &DatasetReader{Size: size, counted: &countingReader{r: r}}
	src := io.Reader(bufio.NewReaderSize(d.counted, 1<<20))
	if gzipped {
		zr, err := gzip.NewReader(src)
		if err != nil {
			return nil, err
		}
		d.zr = zr
		src = zr
	}
	d.r = bufio.NewReaderSize(src, 1<<20)
	return d, nil
}

// DatasetReader reads a dataset line by line. Size is the size of the
// input on disk (0 when unknown) and Pos how much of it has been read.
type DatasetReader struct {
	Size    int64
	f       *os.File
	zr      *gzip.Reader
	r       *bufio.Reader
	counted *countingReader
	line    int
}

// Pos is how many bytes of the file on disk have been consumed.
func (d *DatasetReader) Pos() int64 { return d.counted.n.Load() }

// Next returns the next non-empty line (valid until the following call) and
// its 1-based line number; io.EOF at the end.
func (d *DatasetReader) Next() ([]byte, int, error) {
	for {
		line, err := d.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) {
			// A line longer than the buffer: gather it whole.
			long := append([]byte(nil), line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = d.r.ReadSlice('\n')
				long = append(long, line...)
			}
			line = long
		}
		if len(line) > 0 {
			d.line++
			trimmed := trimSpace(line)
			if len(trimmed) == 0 {
				if err != nil {
					return nil, 0, eofOr(err)
				}
				continue
			}
			return trimmed, d.line, nil
		}
		if err != nil {
			return nil, 0, eofOr(err)
		}
	}
}

func eofOr(err error) error {
	if errors.Is(err, io.EOF) {
		return io.EOF
	}
	return err
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[len(b)-1] == '\n' || b[len(b)-1] == '\r' || b[len(b)-1] == ' ' || b[len(b)-1] == '\t') {
		b = b[:len(b)-1]
	}
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\t') {
		b = b[1:]
	}
	return b
}

// Close closes the file, if OpenFile opened it.
func (d *DatasetReader) Close() error {
	if d.zr != nil {
		d.zr.Close()
	}
	if d.f == nil {
		return nil
	}
	return d.f.Close()
}

// ReadFile streams every record of a dataset file to fn, in file order.
func ReadFile(path string, fn func(*Record) error) error {
	d, err := OpenFile(path)
	if err != nil {
		return err
	}
	defer d.Close()
	for {
		line, n, err := d.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		var r Record
		if err := ParseRecord(line, &r, nil); err != nil {
			return fmt.Errorf("%s:%d: %w", path, n, err)
		}
		if err := fn(&r); err != nil {
			return err
		}
	}
}
