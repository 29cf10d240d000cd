package main

import "github.com/spf13/cobra"

func newLendingCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "lending",
		Short: "Schedules, Key Fact Statements and the lending core",
	}
	return cmd
}
