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
	"sort"
	"strings"
	"sync"

	"github.com/nirnay/nirnay/events/ingest"
)

// Archive keeps every ingested event raw for the long term: one file per
// customer and day of receipt (ReceivedAt, UTC; At when unset), so one
// upload of a customer's inbox lands in one file,
//
//	<dir>/<YYYY-MM-DD>/<customer>.jsonl.gz
//
// each a series of gzip members of JSON lines (one event envelope a line;
// `zcat` reads it). One batch appends one member per file in a single
// write. A member torn by a crash is cut off the next time this process
// appends to the file, before appending. Delivery is at least once, so a
// file may hold an event twice; ReadArchive drops repeated ids.
//
// Appends survive a kill -9 of the process once written (the page cache
// holds them); Sync makes them survive a power loss too, at a cost.
// Safe for concurrent use.
type Archive struct {
	dir  string
	Sync bool // fsync each file after appending

	mu      sync.Mutex
	checked map[string]bool     // files whose tail this process has verified
	open    map[string]*os.File // recently appended files, kept open
	zw      *gzip.Writer
	buf     bytes.Buffer
}

// NewArchive returns the archive rooted at dir (created when needed).
func NewArchive(dir string) (*Archive, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("event archive %s: %w", dir, err)
	}
	zw, _ := gzip.NewWriterLevel(io.Discard, gzip.BestSpeed)
	return &Archive{dir: dir, checked: map[string]bool{}, open: map[string]*os.File{}, zw: zw}, nil
}

// Dir is the archive's root directory.
func (a *Archive) Dir() string { return a.dir }

// fileName maps a customer id to a file name: ingest.ValidID ids keep
// letters, digits, '_' and '-'; any other byte becomes %XX, so two ids never
// share a file and no id escapes the directory.
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

// Handle appends the batch's events to their files.
func (a *Archive) Handle(ctx context.Context, events []ingest.Event) ([]Refusal, error) {
	groups := map[string][]int{}
	for i := range events {
		p := filepath.Join(archiveDay(&events[i]), fileName(events[i].CustomerID))
		groups[p] = append(groups[p], i)
	}
	paths := make([]string, 0, len(groups))
	for p := range groups {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, p := range paths {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		a.buf.Reset()
		a.zw.Reset(&a.buf)
		for _, i := range groups[p] {
			line := events[i].Raw
			if len(line) == 0 || bytes.IndexByte(line, '\n') >= 0 {
				var err error
				if line, err = json.Marshal(events[i]); err != nil {
					return nil, err
				}
			}
			a.zw.Write(line)
			a.zw.Write([]byte{'\n'})
		}
		if err := a.zw.Close(); err != nil {
			return nil, err
		}
		if err := a.append(filepath.Join(a.dir, p), a.buf.Bytes()); err != nil {
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

func (a *Archive) append(path string, member []byte) error {
	if !a.checked[path] {
		if err := os.MkdirAll(filepath.Dir(path), 0o750); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		if err := repairTail(path); err != nil {
			return fmt.Errorf("archive %s: %w", path, err)
		}
		if len(a.checked) > 100_000 {
			clear(a.checked)
		}
		a.checked[path] = true
	}
	f := a.open[path]
	if f == nil {
		if len(a.open) >= maxOpenFiles {
			a.closeFiles()
		}
		var err error
		if f, err = os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640); err != nil {
			return fmt.Errorf("archive: %w", err)
		}
		a.open[path] = f
	}
	if _, err := f.Write(member); err != nil {
		a.closeFiles()
		return fmt.Errorf("archive %s: %w", path, err)
	}
	if a.Sync {
		if err := f.Sync(); err != nil {
			a.closeFiles()
			return fmt.Errorf("archive %s: %w", path, err)
		}
	}
	return nil
}

// maxOpenFiles bounds the files an Archive keeps open between batches.
const maxOpenFiles = 256

func (a *Archive) closeFiles() {
	for p, f := range a.open {
		f.Close()
		delete(a.open, p)
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
	seen := map[string]bool{}
	for _, p := range files {
		f, err := os.Open(p)
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		_, err = members(f, func(content []byte) error {
			for _, line := range bytes.Split(bytes.TrimSpace(content), []byte{'\n'}) {
				if len(line) == 0 {
					continue
				}
				var ev ingest.Event
				if err := json.Unmarshal(line, &ev); err != nil {
					return fmt.Errorf("%s: %w", p, err)
				}
				if seen[ev.ID] {
					continue
				}
				seen[ev.ID] = true
				if err := fn(ev); err != nil {
					return err
				}
			}
			return nil
		})
		f.Close()
		if err != nil && !errors.Is(err, errTorn) {
			return err
		}
	}
	return nil
}
