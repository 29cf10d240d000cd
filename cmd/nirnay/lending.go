package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/nirnay/nirnay/internal/india"
	"github.com/nirnay/nirnay/lending/loans"
	"github.com/nirnay/nirnay/lending/product"
	"github.com/nirnay/nirnay/lending/schedule"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/store"
)

func newLendingCmd() *cobra.Command {
	return commandGroup("lending", "Schedules, Key Fact Statements and the lending core",
		newLendingScheduleCmd(), newLendingKFSCmd(), newLendingReconcileCmd(), newLendingDayEndCmd())
}

// termsFlags are the loan-terms flags shared by `lending schedule` and
// `lending kfs`. They are taken as strings and parsed here so that every
// error names its flag.
type termsFlags struct {
	principal, rate, tenure, method, dayCount, start, firstDue string
}

func (f *termsFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.principal, "principal", "", "amount lent in rupees, e.g. 100000 or 100000.50 (required)")
	fl.StringVar(&f.rate, "annual-rate", "", "nominal annual rate in percent, e.g. 24 or 10.99 (required)")
	fl.StringVar(&f.tenure, "tenure", "", "number of monthly instalments, 1-600 (required)")
	fl.StringVar(&f.method, "method", "reducing", "reducing (EMI on the reducing balance) or flat")
	fl.StringVar(&f.dayCount, "day-count", "30/360", "30/360 or actual/365")
	fl.StringVar(&f.start, "start", "", "disbursal date YYYY-MM-DD (default today in India, Asia/Kolkata)")
	fl.StringVar(&f.firstDue, "first-due", "", "first due date YYYY-MM-DD (default one month after --start; another date makes a broken first period)")
}

// ist is India Standard Time (UTC+05:30, no daylight saving).
var ist = india.Zone

// terms parses the flags into schedule terms; now gives the default start.
func (f *termsFlags) terms(now time.Time) (schedule.Terms, error) {
	var t schedule.Terms
	var err error
	if f.principal == "" {
		return t, errors.New("--principal is required")
	}
	if t.Principal, err = money.ParseRupees(f.principal); err != nil {
		return t, fmt.Errorf("--principal: %q is not a rupee amount such as 100000 or 100000.50", f.principal)
	}
	if t.Principal <= 0 {
		return t, fmt.Errorf("--principal: must be greater than zero (got %s)", f.principal)
	}
	if f.rate == "" {
		return t, errors.New("--annual-rate is required")
	}
	if t.Rate, err = schedule.ParsePercent(f.rate); err != nil {
		return t, fmt.Errorf("--annual-rate: %q must be a percent from 0 to 100 such as 24 or 10.99", f.rate)
	}
	if f.tenure == "" {
		return t, errors.New("--tenure is required")
	}
	n, err := strconv.Atoi(f.tenure)
	if err != nil || n < 1 || n > schedule.MaxTenureMonths {
		return t, fmt.Errorf("--tenure: %q must be a whole number of months from 1 to %d", f.tenure, schedule.MaxTenureMonths)
	}
	t.Tenure = n
	if t.Method, err = schedule.ParseMethod(f.method); err != nil {
		return t, fmt.Errorf("--method: %q must be reducing or flat", f.method)
	}
	if t.DayCount, err = schedule.ParseDayCount(f.dayCount); err != nil {
		return t, fmt.Errorf("--day-count: %q must be 30/360 or actual/365", f.dayCount)
	}
	t.Start = schedule.DateOf(now.In(ist))
	if f.start != "" {
		if t.Start, err = schedule.ParseDate(f.start); err != nil {
			return t, fmt.Errorf("--start: %w", err)
		}
	}
	if f.firstDue != "" {
		if t.FirstDue, err = schedule.ParseDate(f.firstDue); err != nil {
			return t, fmt.Errorf("--first-due: %w", err)
		}
	}
	return t, nil
}

// flagError turns a schedule input error into one naming the flag.
func flagError(err error) error {
	var ie *schedule.InputError
	if errors.As(err, &ie) {
		return fmt.Errorf("--%s: %s", strings.ReplaceAll(ie.Field, "_", "-"), ie.Msg)
	}
	return err
}

func newLendingScheduleCmd() *cobra.Command {
	var f termsFlags
	cmd := &cobra.Command{
		Use:   "schedule",
		Short: "Print a repayment schedule as JSON",
		Long: `Print the repayment schedule of a loan as JSON:
{"emi", "total_interest", "instalments": [{"n", "due_date", "principal", "interest", "amount", "balance"}]}
Amounts are rupee strings with two decimals, exact to the paisa.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			t, err := f.terms(time.Now())
			if err != nil {
				return err
			}
			s, err := schedule.Generate(t)
			if err != nil {
				return flagError(err)
			}
			return writeJSON(cmd.OutOrStdout(), s)
		},
	}
	f.register(cmd)
	return cmd
}

func newLendingKFSCmd() *cobra.Command {
	var f termsFlags
	var feeArgs []string
	var html bool
	var productID string
	cmd := &cobra.Command{
		Use:   "kfs",
		Short: "Print a Key Fact Statement (JSON, or a printable HTML page with --html)",
		Long: `Print the Key Fact Statement of a loan: EMI, total interest, every fee,
net disbursed amount, total payable and the APR (RBI: the monthly IRR of the
net disbursed amount against the instalments, times 12). Each --fee NAME=AMOUNT
is an up-front fee in rupees, taken as given (tax included); all fees count in
the APR. With --product ID the shipped product (policies/products/ID.yaml)
sets the rate, method, day count and fees, and the amount and tenure must be
within its ranges; --fee adds further fees.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if productID != "" {
				for _, name := range []string{"annual-rate", "method", "day-count"} {
					if cmd.Flags().Changed(name) {
						return fmt.Errorf("--%s: not allowed with --product (the product sets it)", name)
					}
				}
				f.rate = "0" // replaced by the product's rate
			}
			t, err := f.terms(time.Now())
			if err != nil {
				return err
			}
			fees, err := parseFees(feeArgs)
			if err != nil {
				return err
			}
			var k schedule.KFS
			if productID != "" {
				k, err = productKFS(cmd, productID, t, fees)
			} else {
				k, err = schedule.NewKFS(t, fees)
			}
			if err != nil {
				return flagError(err)
			}
			if html {
				return schedule.WriteKFSHTML(cmd.OutOrStdout(), k)
			}
			return writeJSON(cmd.OutOrStdout(), k)
		},
	}
	f.register(cmd)
	cmd.Flags().StringArrayVar(&feeArgs, "fee", nil, "up-front fee NAME=AMOUNT in rupees, tax included (repeatable)")
	cmd.Flags().BoolVar(&html, "html", false, "print the printable HTML page instead of JSON")
	cmd.Flags().StringVar(&productID, "product", "", "shipped product id (personal-loan, credit-line) giving rate, method, day count and fees")
	return cmd
}

// productKFS builds the KFS of a shipped product for the amount, tenure and
// dates in t, with extra fees added to the product's.
func productKFS(cmd *cobra.Command, id string, t schedule.Terms, extra []schedule.Fee) (schedule.KFS, error) {
	cat, err := product.Default()
	if err != nil {
		return schedule.KFS{}, err
	}
	p, ok := cat.Get(id)
	if !ok {
		return schedule.KFS{}, fmt.Errorf("--product: unknown product %q (have %s)", id, strings.Join(cat.IDs(), ", "))
	}
	k, err := p.KFS(t.Principal, t.Tenure, t.Start, t.FirstDue, extra...)
	var te *product.TermsError
	if errors.As(err, &te) {
		flag := map[string]string{"amount": "principal", "tenure_months": "tenure"}[te.Field]
		return schedule.KFS{}, fmt.Errorf("--%s: %s (product %s)", flag, te.Msg, te.Product)
	}
	return k, err
}

// parseFees parses repeated --fee NAME=AMOUNT values.
func parseFees(args []string) ([]schedule.Fee, error) {
	fees := make([]schedule.Fee, 0, len(args))
	seen := map[string]bool{}
	for _, a := range args {
		name, amt, ok := strings.Cut(a, "=")
		name = strings.TrimSpace(name)
		if !ok || name == "" {
			return nil, fmt.Errorf("--fee: %q must be NAME=AMOUNT, e.g. processing_fee=2360", a)
		}
		if seen[name] {
			return nil, fmt.Errorf("--fee: %q is given twice", name)
		}
		seen[name] = true
		p, err := money.ParseRupees(amt)
		if err != nil || p < 0 {
			return nil, fmt.Errorf("--fee: %q must be a rupee amount of zero or more, e.g. %s=2360", amt, name)
		}
		fees = append(fees, schedule.Fee{Name: name, Amount: p})
	}
	return fees, nil
}

// onLoans makes c a command on the loan book of the service's database
// (see onDatabase), with no decision engine: the commands below never take
// a journey step.
func onLoans(c *cobra.Command, run func(cmd *cobra.Command, svc *loans.Service) error) *cobra.Command {
	return onDatabase(c, func(cmd *cobra.Command, _ *config, db *store.DB) error {
		cat, err := product.Default()
		if err != nil {
			return err
		}
		return run(cmd, loans.New(db, cat, nil, loans.Options{}))
	})
}

func newLendingReconcileCmd() *cobra.Command {
	return onLoans(&cobra.Command{
		Use:   "reconcile",
		Short: "Check every loan's ledger against its outstanding",
		Long: `Check every disbursed loan: every journal balances, the ledger's receivables
equal the loan's outstanding, and replaying the loan's events gives the same
outstanding and the same balance on every ledger account. Prints JSON
{"loans_checked": N, "differences": [...]} and exits 2 on any difference.`,
	}, func(cmd *cobra.Command, svc *loans.Service) error {
		n, diffs, err := svc.Reconcile(cmd.Context())
		if err != nil {
			return fmt.Errorf("reconcile: %w", err)
		}
		if diffs == nil {
			diffs = []loans.Difference{}
		}
		if err := writeJSON(cmd.OutOrStdout(), map[string]any{"loans_checked": n, "differences": diffs}); err != nil {
			return err
		}
		if len(diffs) > 0 {
			return &exitError{code: 2, msg: fmt.Sprintf("lending reconcile: %d difference(s) found", len(diffs))}
		}
		return nil
	})
}

func newLendingDayEndCmd() *cobra.Command {
	var (
		date string
		d    schedule.Date
	)
	cmd := onLoans(&cobra.Command{
		Use:   "day-end",
		Short: "Run the lending day-end for a date (billing, penal charges, DPD, asset classes)",
		PreRunE: func(*cobra.Command, []string) error {
			if date == "" {
				return errors.New("--date is required (YYYY-MM-DD)")
			}
			var err error
			if d, err = schedule.ParseDate(date); err != nil {
				return fmt.Errorf("--date: %v", err)
			}
			return nil
		},
	}, func(cmd *cobra.Command, svc *loans.Service) error {
		rep, err := svc.DayEnd(cmd.Context(), d)
		if err != nil {
			return fmt.Errorf("day-end %s: %w", d, err)
		}
		return writeJSON(cmd.OutOrStdout(), rep)
	})
	cmd.Flags().StringVar(&date, "date", "", "business date to close, YYYY-MM-DD (not after today in India)")
	return cmd
}
