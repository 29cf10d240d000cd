package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"
)

// runCapture runs the CLI in-process and returns its exit code, stdout and stderr.
func runCapture(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	stdout, stderr, err := execute(args...)
	if err != nil {
		stderr += err.Error()
	}
	return exitCode(err), stdout, stderr
}

// execute runs `nirnay ARGS…` in process and returns what it wrote to
// stdout and stderr, and the error it returned.
func execute(args ...string) (stdout, stderr string, err error) {
	root := newRootCmd()
	var out, errOut bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errOut.String(), err
}

// exitCode is the status `nirnay` exits with after err.
func exitCode(err error) int {
	var ee *exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	}
	return 1
}

func TestServeBadSettingsExitWithOneLine(t *testing.T) {
	t.Parallel()
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	dir := t.TempDir()
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"bad database url", []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--database-url", "mysql://x"}, "NIRNAY_DATABASE_URL"},
		{"unreachable database", []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--database-url", "postgres://u@127.0.0.1:1/x?connect_timeout=2"}, "NIRNAY_DATABASE_URL: cannot connect"},
		{"bad redis url", []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--redis-url", "foo://"}, "NIRNAY_REDIS_URL"},
		{"unreachable redis", []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", dir, "--redis-url", "redis://127.0.0.1:1/0"}, "NIRNAY_REDIS_URL: cannot connect"},
		{"unwritable data dir", []string{"serve", "--http-addr", "127.0.0.1:0", "--data-dir", "/proc/nirnay"}, "NIRNAY_DATA_DIR"},
		{"port in use", []string{"serve", "--http-addr", busy.Addr().String(), "--data-dir", dir}, "NIRNAY_HTTP_ADDR"},
		{"address without a port", []string{"serve", "--http-addr", "bogus", "--data-dir", dir}, `NIRNAY_HTTP_ADDR "bogus": address bogus: missing port in address`},
		{"bad log level", []string{"serve", "--log-level", "loud"}, "NIRNAY_LOG_LEVEL"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			code, _, stderr := runCapture(t, c.args...)
			if code == 0 {
				t.Fatalf("%v: exit 0, want non-zero", c.args)
			}
			if !strings.HasPrefix(stderr, c.want) || strings.Count(strings.TrimSpace(stderr), "\n") > 0 || strings.Contains(stderr, "<nil>") {
				t.Fatalf("%v: stderr %q; want one line starting %q", c.args, stderr, c.want)
			}
		})
	}
}

func TestEnvironmentConfiguresServe(t *testing.T) {
	t.Setenv("NIRNAY_LOG_FORMAT", "yaml")
	code, _, stderr := runCapture(t, "serve")
	if code == 0 || !strings.HasPrefix(stderr, "NIRNAY_LOG_FORMAT") {
		t.Fatalf("exit %d, stderr %q; want NIRNAY_LOG_FORMAT rejected", code, stderr)
	}
	// A flag wins over the environment.
	var cfg config
	cmd := &cobra.Command{Use: "serve"}
	cfg.bind(cmd.Flags())
	t.Setenv("NIRNAY_HTTP_ADDR", "127.0.0.1:9999")
	if err := cmd.Flags().Parse([]string{"--http-addr", "127.0.0.1:7777", "--log-format", "json"}); err != nil {
		t.Fatal(err)
	}
	if err := cfg.load(cmd); err != nil {
		t.Fatal(err)
	}
	if cfg.HTTPAddr != "127.0.0.1:7777" || cfg.DataDir != "./var" {
		t.Fatalf("got addr %q data dir %q; want the flag's 127.0.0.1:7777 and the default ./var", cfg.HTTPAddr, cfg.DataDir)
	}
}

func TestServeDemoAnswersReadyzAndStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	cfg := config{HTTPAddr: addr, DataDir: filepath.Join(dir, "var"), LogLevel: "error", LogFormat: "json",
		ShutdownTimeout: 5 * time.Second, MaxBodyBytes: 1 << 20, AdminKey: "boot-admin"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out bytes.Buffer
	go func() {
		cmd := newServeCmd()
		cmd.SetOut(&out)
		done <- serve(ctx, cfg, true, cmd)
	}()
	var resp *http.Response
	for i := 0; i < 100; i++ {
		resp, err = http.Get("http://" + addr + "/readyz")
		if err == nil {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("readyz never answered: %v", err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var ready struct {
		Status string            `json:"status"`
		Checks map[string]string `json:"checks"`
	}
	if err := json.Unmarshal(body, &ready); err != nil || resp.StatusCode != 200 || ready.Checks["database"] != "ok" {
		t.Fatalf("readyz: %d %s; want 200 with database ok", resp.StatusCode, body)
	}
	if _, err := os.Stat(filepath.Join(dir, "var", "nirnay.db")); err != nil {
		t.Fatalf("embedded database not created under the data dir: %v", err)
	}
	if !strings.Contains(out.String(), "Bearer demo-admin-key") {
		t.Fatalf("demo output does not print the keys: %q", out.String())
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("serve returned %v after cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("serve did not stop after cancel")
	}
}

func TestShutdownDrainsInFlightRequests(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	started := make(chan struct{})
	handler := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		close(started)
		time.Sleep(300 * time.Millisecond)
		io.WriteString(w, "finished")
	})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- serveHTTP(ctx, ln, handler, 5*time.Second, slog.New(slog.NewTextHandler(io.Discard, nil)))
	}()
	type result struct {
		body string
		err  error
	}
	res := make(chan result, 1)
	go func() {
		resp, err := http.Get("http://" + ln.Addr().String() + "/slow")
		if err != nil {
			res <- result{err: err}
			return
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		res <- result{body: string(b)}
	}()
	<-started
	cancel() // SIGTERM arrives while the request is in flight
	r := <-res
	if r.err != nil || r.body != "finished" {
		t.Fatalf("in-flight request: body %q, err %v; want it to finish", r.body, r.err)
	}
	if err := <-done; err != nil {
		t.Fatalf("serveHTTP: %v", err)
	}
	if _, err := http.Get("http://" + ln.Addr().String() + "/slow"); err == nil {
		t.Fatal("server still accepts requests after shutdown")
	}
}

// TestREADMEListsEverySetting: the README's configuration table names every
// setting with its variable and flag.
func TestREADMEListsEverySetting(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	var cfg config
	for _, s := range cfg.settings() {
		row := "| `" + s.env + "` | `--" + s.flag + "` |"
		if !strings.Contains(string(readme), row) {
			t.Errorf("README.md has no configuration row starting %s", row)
		}
	}
}
