package main

import (
	"bytes"
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to read while the flusher writes.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestBufferedLogger: info lines wait in the buffer; a warning writes them
// and itself at once; the periodic flush and the final one write the rest.
func TestBufferedLogger(t *testing.T) {
	var out syncBuffer
	cfg := config{LogLevel: "info", LogFormat: "json"}
	log, buf := cfg.newBufferedLogger(&out)
	log.Info("first")
	if out.String() != "" {
		t.Fatalf("an info line was written at once: %q", out.String())
	}
	log.With("k", "v").Warn("trouble")
	got := out.String()
	if !strings.Contains(got, `"msg":"first"`) || !strings.Contains(got, `"msg":"trouble"`) || !strings.Contains(got, `"k":"v"`) {
		t.Fatalf("a warning did not flush the buffer: %q", got)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { buf.Run(ctx); close(done) }()
	log.Info("later")
	deadline := time.Now().Add(2 * time.Second)
	for !strings.Contains(out.String(), `"msg":"later"`) {
		if time.Now().After(deadline) {
			t.Fatal("the periodic flush did not write an info line")
		}
		time.Sleep(10 * time.Millisecond)
	}
	log.Info("last")
	cancel()
	<-done
	if !strings.Contains(out.String(), `"msg":"last"`) {
		t.Fatal("the final flush did not write the last line")
	}
}
