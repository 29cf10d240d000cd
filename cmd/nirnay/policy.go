package main

import "github.com/spf13/cobra"

func newPolicyCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "policy",
		Short: "Write, test, lint, diff, evaluate and benchmark policies",
	}
	return cmd
}
