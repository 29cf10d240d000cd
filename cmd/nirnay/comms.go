package main

import (
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/policies"
)

func newCommsCmd() *cobra.Command {
	return commandGroup("comms", "Message templates: check them and render one", newCommsCheckCmd(), newCommsRenderCmd())
}

// loadTemplates loads the templates of dir (the shipped ones when empty),
// checking feature sources against the shipped catalog.
func loadTemplates(dir string) (*templates.Catalog, error) {
	cat, err := policies.Catalog()
	if err != nil {
		return nil, err
	}
	has := func(name string) bool { _, ok := cat.Lookup(name); return ok }
	if dir == "" {
		return templates.Load(policies.FS, templates.Dir, has)
	}
	return templates.Load(os.DirFS(dir), ".", has)
}

func newCommsCheckCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "check [DIR]",
		Short: "Check every template of DIR (default the shipped policies/templates)",
		Long: `Loads every *.yaml template of DIR as the service does and prints one line
per problem, file:line: field: message (exit 1), or the templates and their
languages.`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			dir := ""
			if len(args) == 1 {
				dir = args[0]
			}
			c, err := loadTemplates(dir)
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			for _, id := range c.IDs() {
				t, _ := c.Get(id)
				fmt.Fprintf(cmd.OutOrStdout(), "%s\t%s\t%s\t%s\n", id, t.Channel, t.Category, strings.Join(t.Languages(), ","))
			}
			return nil
		},
	}
}

func newCommsRenderCmd() *cobra.Command {
	var dir, lang string
	var vars []string
	cmd := &cobra.Command{
		Use:   "render TEMPLATE",
		Short: "Render a template as a customer would receive it",
		Long: `Renders TEMPLATE in --lang (en when it has no such variant) with --var name=value
for each of its variables, and prints the text, the SMS encoding, units and
segments and the DLT template it goes under; or why it would not be sent
(a missing value, the DLT pattern not matched, a link not whitelisted).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := loadTemplates(dir)
			if err != nil {
				return &exitError{code: 1, msg: err.Error()}
			}
			t, ok := c.Get(args[0])
			if !ok {
				return fmt.Errorf("no template %q (have %s)", args[0], strings.Join(c.IDs(), ", "))
			}
			vals := map[string]string{}
			for _, kv := range vars {
				k, v, ok := strings.Cut(kv, "=")
				if !ok {
					return fmt.Errorf("--var %q: want name=value", kv)
				}
				vals[k] = v
			}
			r, err := templates.Render(t, lang, vals, templates.AllowedHosts)
			if err != nil {
				return &exitError{code: 1, msg: "not sent: " + err.Error()}
			}
			return writeJSON(cmd.OutOrStdout(), r)
		},
	}
	cmd.Flags().StringVar(&dir, "dir", "", "templates directory (default the shipped policies/templates)")
	cmd.Flags().StringVar(&lang, "lang", "en", "the customer's language")
	cmd.Flags().StringArrayVar(&vars, "var", nil, "a variable's value, name=value (repeatable)")
	return cmd
}
