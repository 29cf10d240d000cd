package decisionlog

import (
	"bufio"
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Segment files hold one record a line: "<crc32 hex> <header JSON>\t<body>\n",
// the header being the record without its body and the body its JSON as
// given (compact JSON holds no raw tab or newline), so neither writing nor
// reading re-parses a body. A line cut short by a crash (no newline, or a
// checksum that does not match) ends the readable part of a segment; the
// writer truncates it on open.

const (
	segPrefix = "seg-"
	segSuffix = ".log"
	// DefaultSegmentBytes is the size at which the writer starts a new segment.
	DefaultSegmentBytes = 32 << 20
)

var crcTable = crc32.MakeTable(crc32.Castagnoli)

func segName(n uint64) string { return fmt.Sprintf("%s%020d%s", segPrefix, n, segSuffix) }

func segNumber(name string) (uint64, bool) {
	if !strings.HasPrefix(name, segPrefix) || !strings.HasSuffix(name, segSuffix) {
		return 0, false
	}
	n, err := strconv.ParseUint(strings.TrimSuffix(strings.TrimPrefix(name, segPrefix), segSuffix), 10, 64)
	return n, err == nil
}

// listSegments returns the segment numbers in dir, ascending.
func listSegments(dir string) ([]uint64, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var nums []uint64
	for _, e := range entries {
		if n, ok := segNumber(e.Name()); ok {
			nums = append(nums, n)
		}
	}
	sort.Slice(nums, func(i, j int) bool { return nums[i] < nums[j] })
	return nums, nil
}

func encodeLine(r *Record) ([]byte, error) { return appendLine(nil, r) }

// appendLine appends the segment line of r to dst.
func appendLine(dst []byte, r *Record) ([]byte, error) {
	hdr := *r
	hdr.Body = nil
	head, err := json.Marshal(&hdr)
	if err != nil {
		return dst, err
	}
	body := r.Body
	if len(body) == 0 {
		body = json.RawMessage("null")
	}
	at := len(dst)
	dst = append(dst, "00000000 "...)
	dst = append(append(append(dst, head...), '\t'), body...)
	c := crc32.Checksum(dst[at+9:], crcTable)
	hex.Encode(dst[at:at+8], []byte{byte(c >> 24), byte(c >> 16), byte(c >> 8), byte(c)})
	return append(dst, '\n'), nil
}

var errTorn = errors.New("torn record")

// decodeLine parses one line without its newline.
func decodeLine(line []byte) (*Record, error) {
	if len(line) < 10 || line[8] != ' ' {
		return nil, errTorn
	}
	var sum [4]byte
	if _, err := hex.Decode(sum[:], line[:8]); err != nil {
		return nil, errTorn
	}
	payload := line[9:]
	want := uint32(sum[0])<<24 | uint32(sum[1])<<16 | uint32(sum[2])<<8 | uint32(sum[3])
	if crc32.Checksum(payload, crcTable) != want {
		return nil, errTorn
	}
	head, body, ok := bytes.Cut(payload, []byte{'\t'})
	if !ok {
		return nil, errTorn
	}
	var r Record
	if err := json.Unmarshal(head, &r); err != nil {
		return nil, errTorn
	}
	r.Body = json.RawMessage(bytes.Clone(body))
	return &r, nil
}

// readFrom reads whole, valid records from path starting at offset, at most
// max of them. It returns the records and the offset just past the last one.
// br, when not nil, is reused as the read buffer.
func readFrom(path string, offset int64, max int, br *bufio.Reader) ([]*Record, int64, error) {
	if max <= 0 {
		return nil, offset, nil
	}
	var out []*Record
	end, err := scanFrom(path, offset, br, func(r *Record, _ int64) bool {
		out = append(out, r)
		return len(out) < max
	})
	return out, end, err
}

// scanFrom calls fn with each whole, valid record of path from offset on,
// and the offset its line starts at, until fn returns false. It stops at
// the end of the file or at a torn line, and returns the offset just past
// the last record read. br, when not nil, is reused as the read buffer.
func scanFrom(path string, offset int64, br *bufio.Reader, fn func(r *Record, at int64) bool) (int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return offset, err
	}
	defer f.Close()
	if _, err := f.Seek(offset, io.SeekStart); err != nil {
		return offset, err
	}
	if br == nil {
		br = bufio.NewReaderSize(f, readBufferBytes)
	} else {
		br.Reset(f)
		defer br.Reset(nil)
	}
	for {
		line, err := br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			// A record longer than the buffer: read the rest of it.
			rest, err2 := br.ReadBytes('\n')
			if err2 != nil {
				break
			}
			line = append(append([]byte(nil), line...), rest...)
		} else if err != nil {
			break // EOF, or a line still being written
		}
		r, derr := decodeLine(bytes.TrimSuffix(line, []byte("\n")))
		if derr != nil {
			break
		}
		at := offset
		offset += int64(len(line))
		if !fn(r, at) {
			break
		}
	}
	return offset, nil
}

const readBufferBytes = 256 << 10

// Writer appends records to the active segment. It is safe for concurrent use.
type Writer struct {
	dir      string
	maxBytes int64

	mu     sync.Mutex
	f      *os.File
	num    uint64
	size   int64
	closed bool
	notify chan struct{}

	sealing sync.WaitGroup // syncs of sealed segments in flight
}

// OpenWriter opens dir (creating it), repairs a torn tail in the newest
// segment, and starts a fresh segment for this process.
func OpenWriter(dir string, maxBytes int64) (*Writer, error) {
	if maxBytes <= 0 {
		maxBytes = DefaultSegmentBytes
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("decision log dir %s: %w", dir, err)
	}
	nums, err := listSegments(dir)
	if err != nil {
		return nil, err
	}
	var next uint64 = 1
	if len(nums) > 0 {
		last := nums[len(nums)-1]
		if err := repairTail(filepath.Join(dir, segName(last))); err != nil {
			return nil, err
		}
		next = last + 1
	}
	w := &Writer{dir: dir, maxBytes: maxBytes, notify: make(chan struct{}, 1)}
	if err := w.openSegment(next); err != nil {
		return nil, err
	}
	return w, nil
}

// repairTail truncates a segment after its last whole, valid record.
func repairTail(path string) error {
	_, end, err := readFrom(path, 0, int(^uint(0)>>1), nil)
	if err != nil {
		return err
	}
	st, err := os.Stat(path)
	if err != nil {
		return err
	}
	if st.Size() != end {
		return os.Truncate(path, end)
	}
	return nil
}

func (w *Writer) openSegment(num uint64) error {
	f, err := os.OpenFile(filepath.Join(w.dir, segName(num)), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o640)
	if err != nil {
		return err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return err
	}
	if old := w.f; old != nil {
		// Sync the sealed segment off the append path: flushing tens of
		// megabytes takes milliseconds, and appends wait on w.mu.
		w.sealing.Add(1)
		go func() {
			defer w.sealing.Done()
			_ = old.Sync()
			old.Close()
		}()
	}
	w.f, w.num, w.size = f, num, st.Size()
	return nil
}

// ErrClosed is returned by Append after Close.
var ErrClosed = errors.New("decision log closed")

// linePool recycles the buffers appends encode their lines into.
var linePool = sync.Pool{New: func() any { b := make([]byte, 0, 8<<10); return &b }}

// Position is a place in the segments: a segment number and a byte offset.
type Position struct {
	Seg    uint64
	Offset int64
}

// Before reports whether p comes before q in the segments.
func (p Position) Before(q Position) bool {
	return p.Seg < q.Seg || p.Seg == q.Seg && p.Offset < q.Offset
}

// Append writes records to the active segment with one write, so they are in
// the operating system's hands (and survive a kill -9 of this process) when
// it returns. It rolls to a new segment past the size limit. written, when
// not nil, is called under the writer's lock (so in file order) with the
// position the write began after — the end of the previous write, in the
// previous segment if this write rolled — the position of its first line,
// and the position it ended at.
func (w *Writer) Append(written func(after, start, end Position), recs ...*Record) error {
	bp := linePool.Get().(*[]byte)
	buf := (*bp)[:0]
	defer func() {
		if cap(buf) <= 1<<20 {
			*bp = buf
			linePool.Put(bp)
		}
	}()
	for _, r := range recs {
		var err error
		if buf, err = appendLine(buf, r); err != nil {
			return fmt.Errorf("encode decision %s: %w", r.ID, err)
		}
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return ErrClosed
	}
	after := Position{w.num, w.size}
	if w.size > 0 && w.size+int64(len(buf)) > w.maxBytes {
		if err := w.openSegment(w.num + 1); err != nil {
			return fmt.Errorf("roll decision log segment: %w", err)
		}
	}
	start := Position{w.num, w.size}
	if _, err := w.f.Write(buf); err != nil {
		// Cut a partial line off, so later records are not stranded
		// behind it (readers stop at the first torn line).
		_ = w.f.Truncate(w.size)
		return fmt.Errorf("append decision log: %w", err)
	}
	w.size += int64(len(buf))
	if written != nil {
		written(after, start, Position{w.num, w.size})
	}
	select {
	case w.notify <- struct{}{}:
	default:
	}
	return nil
}

// active returns the number of the segment being written.
func (w *Writer) active() uint64 {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.num
}

// Notify is signalled (without blocking) after each append.
func (w *Writer) Notify() <-chan struct{} { return w.notify }

// Dir is the segment directory.
func (w *Writer) Dir() string { return w.dir }

// Close syncs and closes the active segment.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.closed {
		return nil
	}
	w.closed = true
	err := w.f.Sync()
	w.sealing.Wait()
	return errors.Join(err, w.f.Close())
}
