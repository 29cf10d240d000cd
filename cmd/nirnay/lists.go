package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	neturl "net/url"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/lists"
)

// newListsCmd is the analysts' command line for managed lists: each
// subcommand calls the API of a running service (docs/lists.md).
func newListsCmd() *cobra.Command {
	c := &listsClient{}
	cmd := &cobra.Command{
		Use:   "lists",
		Short: "Manage the block/allow lists rules read with in_list, through a running service's API",
		Long: `Manage the block/allow lists rules read with in_list(name, value), through
the API of a running service: --url (env NIRNAY_URL, default
http://localhost:8080) with an analyst, ops or admin key in --key (env
NIRNAY_API_KEY). A failed call exits non-zero with the service's problem
detail. Every change is in the audit log under list/<name>.`,
	}
	cmd.PersistentFlags().StringVar(&c.url, "url", "", "the service's base URL [env NIRNAY_URL] (default http://localhost:8080)")
	cmd.PersistentFlags().StringVar(&c.key, "key", "", "API key [env NIRNAY_API_KEY]")
	cmd.PersistentFlags().DurationVar(&c.timeout, "timeout", 5*time.Minute, "how long one call may take")
	cmd.AddCommand(newListsImportCmd(c), newListsLsCmd(c), newListsAddCmd(c), newListsCreateCmd(c), newListsRmCmd(c))
	return cmd
}

func newListsImportCmd(c *listsClient) *cobra.Command {
	var mode string
	var dryRun bool
	cmd := &cobra.Command{
		Use:   "import NAME FILE.csv",
		Short: "Apply a CSV file of entries (value,reason,expires_at) to a list",
		Long: `Apply a CSV file to the list NAME: one entry a row, columns value, reason and
expires_at (RFC 3339, or empty for never); reason and expires_at may be left
out, and a first row naming the columns is a header. At most 100,000 rows.

--mode add (the default) puts the file's entries on the list; --mode replace
also takes off every value the file does not name. --dry-run changes nothing
and prints what would change, with the first values of each kind: run it
before a replace. A bad row fails the whole file, naming its line.

Prints: added N, updated N, removed N, unchanged N.`,
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			if mode != string(lists.ModeAdd) && mode != string(lists.ModeReplace) {
				return fmt.Errorf("--mode %q: want add or replace", mode)
			}
			body, err := os.ReadFile(args[1])
			if err != nil {
				return err
			}
			q := neturl.Values{"mode": {mode}, "dry_run": {fmt.Sprint(dryRun)}}
			var r lists.ImportResult
			if err := c.call(cmd.Context(), "POST", listPath(args[0])+"/import?"+q.Encode(), "text/csv", body, &r); err != nil {
				return err
			}
			w := cmd.OutOrStdout()
			prefix := ""
			if r.DryRun {
				prefix = "dry run, nothing changed: would have "
			}
			fmt.Fprintf(w, "%sadded %d, updated %d, removed %d, unchanged %d\n", prefix, r.Added, r.Updated, r.Removed, r.Unchanged)
			if r.Sample != nil {
				for _, s := range []struct {
					mark   string
					values []string
				}{{"+", r.Sample.Add}, {"~", r.Sample.Update}, {"-", r.Sample.Remove}} {
					for _, v := range s.values {
						fmt.Fprintf(w, "  %s %s\n", s.mark, v)
					}
				}
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&mode, "mode", "add", "add, or replace (values not in the file are removed)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "change nothing; print what would change")
	return cmd
}

func newListsLsCmd(c *listsClient) *cobra.Command {
	return &cobra.Command{
		Use:   "ls [NAME]",
		Short: "List the lists with their entry counts, or the entries of one",
		Args:  cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			defer tw.Flush()
			if len(args) == 0 {
				fmt.Fprintln(tw, "NAME\tENTRIES\tUPDATED\tDESCRIPTION")
				return eachItem(cmd.Context(), c, "/v1/lists", func(l lists.List) error {
					fmt.Fprintf(tw, "%s\t%d\t%s\t%s\n", l.Name, l.Entries, l.UpdatedAt.Format(time.RFC3339), l.Description)
					return nil
				})
			}
			fmt.Fprintln(tw, "VALUE\tEXPIRES\tADDED\tREASON")
			return eachItem(cmd.Context(), c, listPath(args[0])+"/entries", func(e lists.Entry) error {
				exp := "never"
				if e.ExpiresAt != nil {
					exp = e.ExpiresAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", e.Value, exp, e.AddedAt.Format(time.RFC3339), e.Reason)
				return nil
			})
		},
	}
}

func newListsAddCmd(c *listsClient) *cobra.Command {
	var reason, expires string
	cmd := &cobra.Command{
		Use:   "add NAME VALUE...",
		Short: "Put values on a list",
		Long:  "Put the values on the list NAME, each with --reason and, with --expires-at (RFC 3339), until then. Prints: added N, updated N, unchanged N.",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			var exp *time.Time
			if expires != "" {
				t, err := time.Parse(time.RFC3339, expires)
				if err != nil {
					return fmt.Errorf("--expires-at %q: want an RFC 3339 time such as 2026-12-31T23:59:59+05:30", expires)
				}
				exp = &t
			}
			entries := make([]lists.NewEntry, 0, len(args)-1)
			for _, v := range args[1:] {
				entries = append(entries, lists.NewEntry{Value: v, Reason: reason, ExpiresAt: exp})
			}
			body, _ := json.Marshal(map[string]any{"entries": entries})
			var r lists.AddResult
			if err := c.call(cmd.Context(), "POST", listPath(args[0])+"/entries", "application/json", body, &r); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "added %d, updated %d, unchanged %d\n", r.Added, r.Updated, r.Unchanged)
			return nil
		},
	}
	cmd.Flags().StringVar(&reason, "reason", "", "why the values are on the list")
	cmd.Flags().StringVar(&expires, "expires-at", "", "when they leave the list (RFC 3339); default never")
	return cmd
}

func newListsCreateCmd(c *listsClient) *cobra.Command {
	var description string
	cmd := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a list (name [a-z0-9_]+), or update its description",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			body, _ := json.Marshal(map[string]string{"description": description})
			var l lists.List
			if err := c.call(cmd.Context(), "PUT", listPath(args[0]), "application/json", body, &l); err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "%s: %d entries\n", l.Name, l.Entries)
			return nil
		},
	}
	cmd.Flags().StringVar(&description, "description", "", "what the list is for")
	return cmd
}

func newListsRmCmd(c *listsClient) *cobra.Command {
	return &cobra.Command{
		Use:   "rm NAME VALUE...",
		Short: "Take values off a list (their history is kept)",
		Args:  cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, v := range args[1:] {
				if err := c.call(cmd.Context(), "DELETE", listPath(args[0])+"/entries/"+neturl.PathEscape(v), "", nil, nil); err != nil {
					return fmt.Errorf("%s: %w", v, err)
				}
				fmt.Fprintf(cmd.OutOrStdout(), "removed %s\n", v)
			}
			return nil
		},
	}
}

// listPath is the API path of the list name.
func listPath(name string) string { return "/v1/lists/" + neturl.PathEscape(name) }

// listsClient calls the lists API of a running service.
type listsClient struct {
	url, key string
	timeout  time.Duration
}

// call sends body (of contentType) and decodes a 2xx JSON answer into out
// (when non-nil). Any other answer is an error carrying the problem's
// detail and field.
func (c *listsClient) call(ctx context.Context, method, path, contentType string, body []byte, out any) error {
	base := c.url
	if base == "" {
		base = os.Getenv("NIRNAY_URL")
	}
	if base == "" {
		base = "http://localhost:8080"
	}
	u, err := neturl.Parse(base)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("--url %q: want http://host:port", base)
	}
	key := c.key
	if key == "" {
		key = os.Getenv("NIRNAY_API_KEY")
	}
	if key == "" {
		return fmt.Errorf("no API key: set --key or NIRNAY_API_KEY (an analyst, ops or admin key)")
	}
	ctx, cancel := context.WithTimeout(ctx, c.timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, strings.TrimRight(base, "/")+path, bytes.NewReader(body))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+key)
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %v", method, u.Host, err)
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 64<<20))
	if err != nil {
		return fmt.Errorf("reading the answer: %v", err)
	}
	if resp.StatusCode/100 != 2 {
		var p struct {
			Detail string `json:"detail"`
			Field  string `json:"field"`
		}
		if json.Unmarshal(raw, &p) != nil || p.Detail == "" {
			return fmt.Errorf("%s: %s", resp.Status, strings.TrimSpace(string(raw)))
		}
		if p.Field != "" {
			return fmt.Errorf("%s: %s (%s)", p.Field, p.Detail, resp.Status)
		}
		return fmt.Errorf("%s (%s)", p.Detail, resp.Status)
	}
	if out == nil || len(raw) == 0 {
		return nil
	}
	return json.Unmarshal(raw, out)
}

// eachItem calls fn with every item of a paged GET, decoded as a T.
func eachItem[T any](ctx context.Context, c *listsClient, path string, fn func(T) error) error {
	cursor := ""
	for {
		var page struct {
			Items      []json.RawMessage `json:"items"`
			NextCursor *string           `json:"next_cursor"`
		}
		p := path + "?limit=1000"
		if cursor != "" {
			p += "&cursor=" + neturl.QueryEscape(cursor)
		}
		if err := c.call(ctx, "GET", p, "", nil, &page); err != nil {
			return err
		}
		for _, raw := range page.Items {
			var it T
			if err := json.Unmarshal(raw, &it); err != nil {
				return err
			}
			if err := fn(it); err != nil {
				return err
			}
		}
		if page.NextCursor == nil {
			return nil
		}
		cursor = *page.NextCursor
	}
}
