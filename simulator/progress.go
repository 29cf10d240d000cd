package simulator

import (
	"fmt"
	"io"
	"os"
	"strings"
	"sync"
	"time"
)

// IsTerminal reports whether f is a character device (a terminal).
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Progress draws a one-line progress bar, at most five times a second.
// Total may be 0 (unknown): the line then shows the count and rate only.
// Fraction, when set, gives the share done (e.g. bytes read of a file) in
// place of done/total. Safe for concurrent use.
type Progress struct {
	W        io.Writer
	Label    string
	Total    int64
	Fraction func() float64

	mu    sync.Mutex
	start time.Time
	last  time.Time
	drawn bool
}

// NewProgress starts a progress bar on w.
func NewProgress(w io.Writer, label string, total int64) *Progress {
	return &Progress{W: w, Label: label, Total: total, start: time.Now()}
}

// Update redraws the bar for done items unless it was drawn in the last
// 200 ms.
func (p *Progress) Update(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	now := time.Now()
	if p.drawn && now.Sub(p.last) < 200*time.Millisecond {
		return
	}
	p.draw(done, now)
}

func (p *Progress) draw(done int64, now time.Time) {
	p.last, p.drawn = now, true
	frac := -1.0
	switch {
	case p.Fraction != nil:
		frac = p.Fraction()
	case p.Total > 0:
		frac = float64(done) / float64(p.Total)
	}
	rate := 0.0
	if el := now.Sub(p.start).Seconds(); el > 0 {
		rate = float64(done) / el
	}
	if frac < 0 {
		fmt.Fprintf(p.W, "\r%s %d customers  %.0f/s   ", p.Label, done, rate)
		return
	}
	frac = min(max(frac, 0), 1)
	const width = 30
	fill := int(frac * width)
	fmt.Fprintf(p.W, "\r%s [%s%s] %3.0f%%  %d customers  %.0f/s   ", p.Label,
		strings.Repeat("=", fill), strings.Repeat(" ", width-fill), frac*100, done, rate)
}

// Done draws the final state and ends the line.
func (p *Progress) Done(done int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.Fraction != nil || p.Total > 0 {
		p.Fraction, p.Total = nil, max(done, 1)
	}
	p.draw(done, time.Now())
	fmt.Fprintln(p.W)
}
