package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/events/sms"
)

func newEventsCmd() *cobra.Command {
	return commandGroup("events", "Ingested events: SMS parsing and more", newParseSMSCmd())
}

// maxSMSLine bounds one input line; a longer line is reported and skipped.
const maxSMSLine = 1 << 20

func newParseSMSCmd() *cobra.Command {
	var file string
	cmd := &cobra.Command{
		Use:   "parse-sms",
		Short: "Parse SMS given as JSON lines and print one parse per line",
		Long: `Reads JSON lines {"sender": "VM-HDFCBK", "body": "…", "received_at": "RFC3339"}
from --file (or stdin) and prints, in input order, one JSON line per message:
{"kind", "amount", "institution", "account_suffix", "balance"}. kind is one of
salary_credit, emi_debit, bounce, loan_disbursal, credit, debit, otp,
promotional, other; amount and balance are rupee strings with two places or
null. A line that is not a valid message is reported on stderr with its line
number and produces no output; the command then exits 1 after the rest.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			in := cmd.InOrStdin()
			if file != "" && file != "-" {
				f, err := os.Open(file)
				if err != nil {
					return err
				}
				defer f.Close()
				in = f
			}
			bad, err := parseSMSLines(in, cmd.OutOrStdout(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			if bad > 0 {
				return &exitError{code: 1, msg: fmt.Sprintf("events parse-sms: %d invalid line(s), see above", bad)}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&file, "file", "", "JSON lines file to read (default stdin)")
	return cmd
}

type smsInput struct {
	Sender     *string `json:"sender"`
	Body       *string `json:"body"`
	ReceivedAt *string `json:"received_at"`
}

// parseSMSLines streams in → out with constant memory, returning the number
// of invalid lines (each reported on errOut). Output is flushed whenever the
// input has nothing buffered, so an analyst typing lines sees answers at once.
func parseSMSLines(in io.Reader, out, errOut io.Writer) (bad int, err error) {
	r := bufio.NewReaderSize(in, 64*1024)
	w := bufio.NewWriterSize(out, 64*1024)
	defer func() {
		if ferr := w.Flush(); err == nil {
			err = ferr
		}
	}()
	var line, outBuf []byte
	n, tooLong := 0, false
	for {
		if r.Buffered() == 0 {
			if err := w.Flush(); err != nil {
				return bad, err
			}
		}
		chunk, rerr := r.ReadSlice('\n')
		if len(line)+len(chunk) > maxSMSLine {
			tooLong = true
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(rerr, bufio.ErrBufferFull) {
			continue
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return bad, rerr
		}
		if len(line) > 0 || tooLong {
			n++
			if msg := handleSMSLine(line, tooLong, &outBuf); msg != "" {
				bad++
				fmt.Fprintf(errOut, "nirnay: events parse-sms: line %d: %s\n", n, msg)
			} else if _, err := w.Write(outBuf); err != nil {
				return bad, err
			}
		}
		line, tooLong = line[:0], false
		if rerr != nil { // io.EOF
			return bad, nil
		}
	}
}

// handleSMSLine parses one input line into *out (one JSON line), or returns
// why the line is not a message. Blank lines produce nothing and no error.
func handleSMSLine(line []byte, tooLong bool, out *[]byte) string {
	*out = (*out)[:0]
	if tooLong {
		return fmt.Sprintf("line longer than %d bytes", maxSMSLine)
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return ""
	}
	var m smsInput
	if err := json.Unmarshal(line, &m); err != nil {
		return "invalid JSON: " + err.Error()
	}
	if m.Body == nil {
		return `missing "body"`
	}
	if m.ReceivedAt != nil && *m.ReceivedAt != "" {
		if _, err := time.Parse(time.RFC3339, *m.ReceivedAt); err != nil {
			return fmt.Sprintf(`"received_at" %q is not an RFC 3339 time`, *m.ReceivedAt)
		}
	}
	sender := ""
	if m.Sender != nil {
		sender = *m.Sender
	}
	*out = appendSMSResult(*out, sms.Parse(sender, *m.Body))
	return ""
}

// appendSMSResult writes the stable output shape; every key is always
// present, null when there is no value.
func appendSMSResult(b []byte, r sms.Result) []byte {
	b = append(b, `{"kind":`...)
	b = appendJSONString(b, r.Kind.String())
	b = append(b, `,"amount":`...)
	if r.HasAmount {
		b = appendJSONString(b, r.Amount.String())
	} else {
		b = append(b, "null"...)
	}
	b = append(b, `,"institution":`...)
	b = appendJSONOrNull(b, r.Institution)
	b = append(b, `,"account_suffix":`...)
	b = appendJSONOrNull(b, r.AccountSuffix)
	b = append(b, `,"balance":`...)
	if r.HasBalance {
		b = appendJSONString(b, r.Balance.String())
	} else {
		b = append(b, "null"...)
	}
	return append(b, "}\n"...)
}

func appendJSONOrNull(b []byte, s string) []byte {
	if s == "" {
		return append(b, "null"...)
	}
	return appendJSONString(b, s)
}

func appendJSONString(b []byte, s string) []byte {
	q, _ := json.Marshal(s) // never fails for a string
	return append(b, q...)
}
