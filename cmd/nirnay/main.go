// Command nirnay is the one binary of Nirnay: the decision service and the
// tools around it (policy, lending, simulate, events, lists, migrate).
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// exitError carries a specific exit code out of a command without printing
// anything more than its message.
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

func run(args []string) int {
	root := newRootCmd()
	root.SetArgs(args)
	if err := root.Execute(); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "nirnay:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(os.Stderr, "nirnay:", err)
		return 1
	}
	return 0
}

func newRootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "nirnay",
		Short:         "Nirnay: credit and fraud decision engine with an embedded lending core",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(
		newServeCmd(),
		newMigrateCmd(),
		newVersionCmd(),
		newPolicyCmd(),
		newLendingCmd(),
		newSimulateCmd(),
		newEventsCmd(),
		newLoadtestCmd(),
		newListsCmd(),
		newKYCCmd(),
		newCommsCmd(),
	)
	return root
}

// writeJSON prints v as JSON indented by two spaces, with a final newline.
func writeJSON(w io.Writer, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(append(b, '\n'))
	return err
}

// commandGroup is a command that only holds subcommands: run alone it
// prints its help.
func commandGroup(use, short string, subs ...*cobra.Command) *cobra.Command {
	cmd := &cobra.Command{Use: use, Short: short}
	cmd.AddCommand(subs...)
	return cmd
}
