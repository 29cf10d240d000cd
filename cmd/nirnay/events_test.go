package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"os"
	"strings"
	"testing"
)

const smsCorpus = "../../events/sms/testdata/corpus.jsonl"

// TestParseSMSCorpus runs the command over the labelled corpus: one output
// line per input line, in order, with the four contract keys always present
// and equal to the corpus's expected values.
func TestParseSMSCorpus(t *testing.T) {
	t.Parallel()
	in, err := os.ReadFile(smsCorpus)
	if err != nil {
		t.Fatal(err)
	}
	var out, errOut bytes.Buffer
	bad, err := parseSMSLines(bytes.NewReader(in), &out, &errOut)
	if err != nil || bad != 0 || errOut.Len() != 0 {
		t.Fatalf("parseSMSLines = %d bad, %v, stderr %q; want 0, nil, empty", bad, err, errOut.String())
	}
	inLines := strings.Split(strings.TrimSpace(string(in)), "\n")
	outLines := strings.Split(strings.TrimSpace(out.String()), "\n")
	if len(outLines) != len(inLines) {
		t.Fatalf("got %d output lines for %d input lines", len(outLines), len(inLines))
	}
	wrong := 0
	for i := range inLines {
		var want struct {
			Expect map[string]any `json:"expect"`
		}
		var got map[string]any
		if err := json.Unmarshal([]byte(inLines[i]), &want); err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal([]byte(outLines[i]), &got); err != nil {
			t.Fatalf("output line %d is not JSON: %v: %s", i+1, err, outLines[i])
		}
		for _, k := range []string{"kind", "amount", "institution", "account_suffix", "balance"} {
			if _, ok := got[k]; !ok {
				t.Fatalf("output line %d lacks key %q: %s", i+1, k, outLines[i])
			}
		}
		for _, k := range []string{"kind", "amount", "institution", "account_suffix"} {
			if got[k] != want.Expect[k] {
				wrong++
				t.Logf("line %d: %s = %v, want %v", i+1, k, got[k], want.Expect[k])
			}
		}
	}
	// The parser's accuracy is measured in events/sms; here the command must
	// agree with it field for field on nearly all of the corpus.
	if wrong > len(inLines)/50 {
		t.Errorf("%d field mismatches over %d messages", wrong, len(inLines))
	}
}

func TestParseSMSBadLines(t *testing.T) {
	t.Parallel()
	in := strings.Join([]string{
		`{"sender":"VM-HDFCBK","body":"Rs 10 debited from A/c XX1234"}`,
		`not json`,
		``,
		`{"sender":"VM-HDFCBK"}`,
		`{"sender":"VM-HDFCBK","body":"x","received_at":"yesterday"}`,
		`{"body":"123456 is your OTP","received_at":"2026-11-26T10:00:00+05:30"}`,
	}, "\n")
	var out, errOut bytes.Buffer
	bad, err := parseSMSLines(strings.NewReader(in), &out, &errOut)
	if err != nil {
		t.Fatal(err)
	}
	if bad != 3 {
		t.Errorf("bad = %d, want 3", bad)
	}
	wantOut := `{"kind":"debit","amount":"10.00","institution":"HDFC Bank","account_suffix":"1234","balance":null}` + "\n" +
		`{"kind":"otp","amount":null,"institution":null,"account_suffix":null,"balance":null}` + "\n"
	if out.String() != wantOut {
		t.Errorf("stdout = %q, want %q", out.String(), wantOut)
	}
	for _, want := range []string{"line 2: invalid JSON", `line 4: missing "body"`, "line 5: \"received_at\""} {
		if !strings.Contains(errOut.String(), want) {
			t.Errorf("stderr %q lacks %q", errOut.String(), want)
		}
	}
}

func TestParseSMSLongLineIsSkipped(t *testing.T) {
	t.Parallel()
	long := `{"body":"` + strings.Repeat("a", maxSMSLine) + `"}`
	in := long + "\n" + `{"body":"Rs 5 credited to A/c XX9876"}` + "\n"
	var out, errOut bytes.Buffer
	bad, err := parseSMSLines(strings.NewReader(in), &out, &errOut)
	if err != nil || bad != 1 {
		t.Fatalf("bad, err = %d, %v; want 1, nil", bad, err)
	}
	if !strings.Contains(errOut.String(), "line 1: line longer than") {
		t.Errorf("stderr = %q, want the long line 1 reported", errOut.String())
	}
	if !strings.Contains(out.String(), `"account_suffix":"9876"`) {
		t.Errorf("stdout = %q, want line 2 parsed", out.String())
	}
}

func TestEventsCommandExitCode(t *testing.T) {
	t.Parallel()
	f, err := os.CreateTemp(t.TempDir(), "sms*.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString("{bad\n")
	f.Close()
	if code := run([]string{"events", "parse-sms", "--file", f.Name()}); code != 1 {
		t.Errorf("exit code = %d, want 1 for a bad line", code)
	}
	good := f.Name() + ".good"
	if err := os.WriteFile(good, []byte(`{"sender":"VM-HDFCBK","body":"hello"}`+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if code := run([]string{"events", "parse-sms", "--file", good}); code != 0 {
		t.Errorf("exit code = %d, want 0 for a valid file", code)
	}
}

// BenchmarkParseSMSLines measures the command's whole path (JSON in, parse,
// JSON out) in messages/s.
func BenchmarkParseSMSLines(b *testing.B) {
	in, err := os.ReadFile(smsCorpus)
	if err != nil {
		b.Fatal(err)
	}
	lines := bytes.Count(in, []byte("\n"))
	b.ReportAllocs()
	n := 0
	for b.Loop() {
		if _, err := parseSMSLines(bufio.NewReader(bytes.NewReader(in)), io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		n += lines
	}
	b.ReportMetric(float64(n)/b.Elapsed().Seconds(), "msgs/s")
}
