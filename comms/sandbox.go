package comms

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	"github.com/nirnay/nirnay/comms/templates"
)

func channelOf(s string) templates.Channel   { return templates.Channel(s) }
func categoryOf(s string) templates.Category { return templates.Category(s) }

// SandboxOutbox is the file, under the data dir, the sandbox provider
// appends every hand-off to (DESIGN §17, stable contract).
const SandboxOutbox = "comms/sandbox-outbox.jsonl"

// Sandbox is the provider of the embedded default: it hands nothing to a
// carrier and appends each message as one JSON line {"message_id",
// "campaign_id", "customer_id", "channel", "template", "language", "text"}
// to <data dir>/comms/sandbox-outbox.jsonl, written through (each line
// whole, fsynced before Send returns). Safe for concurrent use in one
// process; instances sharing a data dir append to one file.
type Sandbox struct {
	path string
	mu   sync.Mutex
}

// NewSandbox is the sandbox writing under dataDir.
func NewSandbox(dataDir string) (*Sandbox, error) {
	p := filepath.Join(dataDir, SandboxOutbox)
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		return nil, fmt.Errorf("comms sandbox: %w", err)
	}
	return &Sandbox{path: p}, nil
}

// Name is "sandbox".
func (*Sandbox) Name() string { return "sandbox" }

// Send appends the message's line; its reference is the message id.
func (s *Sandbox) Send(_ context.Context, m *Message) (string, error) {
	line, err := json.Marshal(map[string]any{"message_id": m.ID, "campaign_id": m.CampaignID, "customer_id": m.CustomerID,
		"channel": m.Channel, "template": m.Template, "language": m.Language, "text": m.Text})
	if err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	f, err := os.OpenFile(s.path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(append(line, '\n')); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return "", err
	}
	return "sandbox-" + m.ID, f.Close()
}
