package main

import "github.com/spf13/cobra"

func newEventsCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "events",
		Short: "Ingested events: SMS parsing and more",
	}
	return cmd
}
