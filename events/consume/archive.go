package consume

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nirnay/nirnay/events/ingest"
)

// Archive keeps every ingested event raw for the long term, compressed,
// by day of receipt (ReceivedAt, UTC; At when unset). Each Archive value
// (one per consumer process) writes its own segment per day,
//
//	<dir>/<YYYY-MM-DD>/seg.<writer>.jsonl.gz   the events: gzip members of JSON lines
//	<dir>/<YYYY-MM-DD>/seg.<writer>.idx        one line per member: offset length customer…
//
// where <writer> names the process and the Archive (host, pid, a counter).
// One batch appends one gzip member per day it touches (one event envelope
// a line, as it was on the stream; `zcat` reads it), in a single write, and
// then the member's index line: its byte offset and length in the segment
// and the distinct customers it holds. So a customer's events of a day are
// found through the day's index files (ReadCustomerDay) without reading
// other members, and a batch costs one compression per day, not one per
// customer.
//
// A member torn by a crash is cut off before this Archive appends to the
// segment again; segments of dead processes are never appended to, and
// readers stop at a torn tail. An index line is written only after its
// member, so it never points at a torn member; a member whose index line was
// lost to a crash is found by ReadArchive, and its batch, never
// acknowledged, is appended again with an index line. Delivery is at least
// once, so the archive may hold an event twice; the readers drop repeated
// ids.
//
// Appends survive a kill -9 of the process once written (the page cache
// holds them); Sync makes them survive a power loss too, at a cost.
// Safe for concurrent use.
type Archive struct {
	dir    string
	writer string
	Sync   bool // fsync each segment and index after appending

	mu      sync.Mutex
	checked map[string]bool         // segments whose tail this Archive has verified
	open    map[string]*segmentFile // segments kept open, by day
	zw      *gzip.Writer
	buf     bytes.Buffer
	idx     []byte
	seen    map[string]bool
}

type segmentFile struct {
	data, idx *os.File
	size      int64 // the data file's length
}

// archiveWriters numbers the Archives of this process.
var archiveWriters atomic.Int64

// NewArchive returns the archive rooted at dir (created when needed).
func NewArchive(dir string) (*Archive, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("event archive %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	if host == "" {
		host = "host"
	}
	writer := strings.TrimSuffix(fileName(host), ".jsonl.gz") + "-" + strconv.Itoa(os.Getpid()) + "-" + strconv.FormatInt(archiveWriters.Add(1), 10)
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &Archive{dir: dir, writer: writer, checked: map[string]bool{}, open: map[string]*segmentFile{}, zw: zw, seen: map[string]bool{}}, nil
}

// Dir is the archive's root directory.
func (a *Archive) Dir() string { return a.dir }

// segment is the path of this Archive's segment for day (without the
// .jsonl.gz or .idx suffix).
func (a *Archive) segment(day string) string {
	return filepath.Join(a.dir, day, "seg."+a.writer)
}

// fileName maps an id to a file name: ingest.ValidID ids keep letters,
// digits, '_' and '-'; any other byte becomes %XX, so two ids never share a
// name and no id escapes the directory.
func fileName(customerID string) string {
	var b strings.Builder
	for i := 0; i < len(customerID); i++ {
		c := customerID[i]
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String() + ".jsonl.gz"
}

// Handle appends the batch's events to the segments of their days.
func (a *Archive) Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error) {
	var days []string
	byDay := map[string][]int{}
	for i := range events {
		d := archiveDay(&events[i])
		if byDay[d] == nil {
			days = append(days, d)
		}
		byDay[d] = append(byDay[d], i)
	}
	sort.Strings(days)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, day := range days {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a.buf.Reset()
		a.zw.Reset(&a.buf)
		clear(a.seen)
		var custs []string
		for _, i := range byDay[day] {
			ev := &events[i]
			line := ev.Raw
			if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
				var err error
				if line, err = json.Marshal(ev); err != nil {
					return nil, err
				}
			}
			a.zw.Write(line)
			a.zw.Write([]byte{'\n'})
			if !a.seen[ev.CustomerID] {
				a.seen[ev.CustomerID] = true
				custs = append(custs, ev.CustomerID)
			}
		}
		if err := a.zw.Close(); err != nil {
			return nil, err
		}
		if err := a.append(day, a.buf.Bytes(), custs); err != nil {
			return nil, err
		}
	}
	return nil, nil
}

func archiveDay(ev *ingest.Event) string {
	t := ev.ReceivedAt
	if t.IsZero() {
		t = ev.At
	}
	return t.UTC().Format("2006-01-02")
}

// append writes member to day's segment and then its index line.
func (a *Archive) append(day string, member []byte, custs []string) error {
	seg := a.segment(day)
	sf, err := a.openSegment(day, seg)
	if err != nil {
		return err
	}
	fail := func(err error) error {
		// Whatever was half written is cut off before the next append.
		a.closeFiles()
		delete(a.checked, seg)
		return fmt.Errorf("archive %s: %w", seg, err)
	}
	if _, err := sf.data.Write(member); err != nil {
		return fail(err)
	}
	if a.Sync {
		if err := sf.data.Sync(); err != nil {
			return fail(err)
		}
	}
	a.idx = strconv.AppendInt(a.idx[:0], sf.size, 10)
	a.idx = append(a.idx, ' ')
	a.idx = strconv.AppendInt(a.idx, int64(len(member)), 10)
	for _, c := range custs {
		a.idx = append(a.idx, ' ')
		a.idx = append(a.idx, c...)
	}
	a.idx = append(a.idx, '\n')
	sf.size += int64(len(member))
	if _, err := sf.idx.Write(a.idx); err != nil {
		return fail(err)
	}
	if a.Sync {
		if err := sf.idx.Sync(); err != nil {
			return fail(err)
		}
	}
	return nil
}

// openSegment returns day's segment, open for appending, with any torn
// tail (of the data and of the index) cut off.
func (a *Archive) openSegment(day, seg string) (*segmentFile, error) {
	if sf := a.open[day]; sf != nil && a.checked[seg] {
		return sf, nil
	}
	if err := os.MkdirAll(filepath.Dir(seg), 0o750); err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	if !a.checked[seg] {
		if err := repairTail(seg + ".jsonl.gz"); err != nil {
			return nil, fmt.Errorf("archive %s: %w", seg, err)
		}
		if err := repairIndex(seg + ".idx"); err != nil {
			return nil, fmt.Errorf("archive %s: %w", seg, err)
		}
		a.checked[seg] = true
	}
	if len(a.open) >= maxOpenSegments {
		a.closeFiles()
	}
	data, err := os.OpenFile(seg+".jsonl.gz", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, fmt.Errorf("archive: %w", err)
	}
	idx, err := os.OpenFile(seg+".idx", os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		data.Close()
		return nil, fmt.Errorf("archive: %w", err)
	}
	st, err := data.Stat()
	if err != nil {
		data.Close()
		idx.Close()
		return nil, fmt.Errorf("archive: %w", err)
	}
	sf := &segmentFile{data: data, idx: idx, size: st.Size()}
	a.open[day] = sf
	return sf, nil
}

// maxOpenSegments bounds the days whose segments an Archive keeps open
// between batches (events arrive for today, sometimes yesterday).
const maxOpenSegments = 4

func (a *Archive) closeFiles() {
	for d, sf := range a.open {
		sf.data.Close()
		sf.idx.Close()
		delete(a.open, d)
	}
}

// Close closes the files kept open. The archive stays usable.
func (a *Archive) Close() error {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.closeFiles()
	return nil
}

// countingReader counts the bytes read from r.
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// members calls fn with each complete gzip member's content and returns
// the offset just after the last complete member.
func members(r io.Reader, fn func(content []byte) error) (int64, error) {
	cr := &countingReader{r: r}
	br := bufio.NewReader(cr)
	var good int64
	var zr gzip.Reader
	for {
		if _, err := br.Peek(1); err == io.EOF {
			return good, nil
		}
		if err := zr.Reset(br); err != nil {
			return good, errTorn
		}
		zr.Multistream(false)
		content, err := io.ReadAll(&zr)
		if err != nil {
			return good, errTorn
		}
		good = cr.n - int64(br.Buffered())
		if fn != nil {
			if err := fn(content); err != nil {
				return good, err
			}
		}
	}
}

var errTorn = errors.New("torn gzip member")

// repairTail truncates a file to its last complete gzip member.
func repairTail(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	good, err := members(f, nil)
	if errors.Is(err, errTorn) {
		return f.Truncate(good)
	}
	return err
}

// ReadArchive calls fn with every archived event under dir once (the first
// copy of each id), files in path order and events in file order. Torn
// tails are ignored.
func ReadArchive(dir string, fn func(ev ingest.Event) error) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && strings.HasSuffix(p, ".jsonl.gz") {
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	sort.Strings(files)
	fn = firstCopies(fn)
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		_, err = members(f, func(content []byte) error { return eachLine(p, content, fn) })
		f.Close()
		if err != nil && !errors.Is(err, errTorn) {
			return err
		}
	}
	return nil
}

// repairIndex cuts a torn last line (no newline) off an index file.
func repairIndex(path string) error {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if len(b) == 0 || b[len(b)-1] == '\n' {
		return nil
	}
	return os.Truncate(path, int64(bytes.LastIndexByte(b, '\n')+1))
}

// ReadCustomerDay calls fn with each of a customer's events archived for
// day (YYYY-MM-DD, the day of receipt in UTC) once, segment by segment in
// path order and in file order within one. It reads only the members the
// day's index files list for the customer. A member whose index line a
// crash lost is not found here (its batch was archived again with one);
// ReadArchive reads everything.
func ReadCustomerDay(dir, day, customerID string, fn func(ev ingest.Event) error) error {
	if _, err := time.Parse("2006-01-02", day); err != nil {
		return fmt.Errorf("read archive: day %q is not YYYY-MM-DD", day)
	}
	idxs, err := filepath.Glob(filepath.Join(dir, day, "seg.*.idx"))
	if err != nil {
		return fmt.Errorf("read archive: %w", err)
	}
	sort.Strings(idxs)
	fn = firstCopies(fn)
	for _, ip := range idxs {
		index, err := os.ReadFile(ip)
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		dp := strings.TrimSuffix(ip, ".idx") + ".jsonl.gz"
		if err := readIndexed(dp, index, customerID, fn); err != nil {
			return err
		}
	}
	return nil
}

// readIndexed reads the members of segment path that index lists for
// customerID.
func readIndexed(path string, index []byte, customerID string, fn func(ev ingest.Event) error) error {
	var f *os.File
	defer func() {
		if f != nil {
			f.Close()
		}
	}()
	for len(index) > 0 {
		line := index
		nl := bytes.IndexByte(index, '\n')
		if nl < 0 {
			break // a torn last line
		}
		line, index = index[:nl], index[nl+1:]
		fields := strings.Fields(string(line))
		if len(fields) < 3 || !slices.Contains(fields[2:], customerID) {
			continue
		}
		off, err1 := strconv.ParseInt(fields[0], 10, 64)
		n, err2 := strconv.ParseInt(fields[1], 10, 64)
		if err1 != nil || err2 != nil || off < 0 || n <= 0 {
			return fmt.Errorf("read archive: %s: bad index line %q", path, line)
		}
		if f == nil {
			var err error
			if f, err = os.Open(path); err != nil {
				return fmt.Errorf("read archive: %w", err)
			}
		}
		_, err := members(io.NewSectionReader(f, off, n), func(content []byte) error {
			return eachLine(path, content, func(ev ingest.Event) error {
				if ev.CustomerID != customerID {
					return nil
				}
				return fn(ev)
			})
		})
		if err != nil {
			if errors.Is(err, errTorn) {
				return fmt.Errorf("read archive: %s: indexed member at %d is not a complete gzip member", path, off)
			}
			return err
		}
	}
	return nil
}

// firstCopies passes on to fn only the first copy of each event id.
func firstCopies(fn func(ev ingest.Event) error) func(ev ingest.Event) error {
	seen := map[string]bool{}
	return func(ev ingest.Event) error {
		if seen[ev.ID] {
			return nil
		}
		seen[ev.ID] = true
		return fn(ev)
	}
}

// eachLine decodes the event lines of a member's content.
func eachLine(path string, content []byte, fn func(ev ingest.Event) error) error {
	for _, line := range bytes.Split(bytes.TrimSpace(content), []byte{'\n'}) {
		if len(line) == 0 {
			continue
		}
		var ev ingest.Event
		if err := ingest.Decode(line, &ev); err != nil {
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fn(ev); err != nil {
			return err
		}
	}
	return nil
}
