package main

import "github.com/spf13/cobra"

func newSimulateCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "simulate",
		Short: "Generate synthetic customers and replay them against policies",
	}
	return cmd
}
