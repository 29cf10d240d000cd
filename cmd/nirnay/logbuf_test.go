package main

import (
	"bytes"
	"context"
	"errors"
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
	t.Parallel()
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

// TestServiceLoggerMasksPII: the logger the service builds masks personal
// data in messages, attributes and errors, in both formats.
func TestServiceLoggerMasksPII(t *testing.T) {
	t.Parallel()
	for _, format := range []string{"json", "text"} {
		var out syncBuffer
		cfg := config{LogLevel: "info", LogFormat: format}
		log, buf := cfg.newBufferedLogger(&out)
		log.With("request_id", "kyc-234567890124").Warn("lookup of ABCDE1234F failed",
			"err", errors.New("no match for +91 98765 43210"), "email", "ravi@example.com", "customer_id", "C00000004")
		_ = buf.Flush()
		got := out.String()
		for _, raw := range []string{"234567890124", "ABCDE1234F", "98765 43210", "ravi@"} {
			if strings.Contains(got, raw) {
				t.Errorf("%s log holds %q: %s", format, raw, got)
			}
		}
		for _, kept := range []string{"XXXXXXXX0124", "XXXXXX234F", "XXXXXX3210", "XXXX@example.com", "C00000004"} {
			if !strings.Contains(got, kept) {
				t.Errorf("%s log lacks %q: %s", format, kept, got)
			}
		}
	}
}
