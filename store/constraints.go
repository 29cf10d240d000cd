package store

import (
	"errors"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/nirnay/nirnay"
)

// Violation is a change the database refused because it breaks one of the
// schema's constraints (migration 00014 names them <table>_<what>). Translate
// wraps it in a *nirnay.Error: KindConflict for a foreign key (the change
// refers to a row that does not exist, or removes one another row refers
// to), KindUnprocessable for a CHECK or NOT NULL constraint.
type Violation struct {
	// Constraint names the constraint ("loans_status_known"); for NOT NULL
	// it is "<table>.<column>". It is "" where the database does not say:
	// SQLite reports a broken foreign key without naming it.
	Constraint string
	// Rule is what the constraint keeps true, in words ("" when unknown).
	Rule string
	Err  error // the driver's error
}

func (v *Violation) Error() string {
	return fmt.Sprintf("constraint %s violated: %v", v.Constraint, v.Err)
}

func (v *Violation) Unwrap() error { return v.Err }

// steps is the journey steps (DESIGN §3) as the CHECKs on step list them.
const steps = "signup, login, kyc, application, offer_accept, disbursal, repayment, collections or limit_increase"

// ConstraintRules says in words what each named constraint of the migrations keeps
// true; the message of a violation quotes it. Every constraint the
// migrations name has an entry (a test keeps them in step).
var ConstraintRules = map[string]string{
	// auth
	"api_keys_role_known": "an API key's role is service, analyst, approver, ops or admin",
	// decisions
	"step_ups_result_known":            "a step-up result is passed or failed",
	"step_ups_step_known":              "a step-up belongs to a journey step: " + steps,
	"decision_claims_request_present":  "a claim is for a non-empty request id",
	"decision_claims_decision_present": "a claim names the decision id it will give",
	// decisions (migration 16)
	"decisions_id_present":              "a decision has an id",
	"decisions_customer_present":        "a decision is of a customer",
	"decisions_step_known":              "a decision is of a journey step: " + steps,
	"decisions_outcome_known":           "a decision's outcome is approve, review, step_up or decline",
	"decisions_role_known":              "a decision's policy role is champion, challenger, shadow or manual (a reviewer's verdict)",
	"decisions_parent_when_shadow":      "a shadow evaluation names its acted-on decision and a reviewer's verdict the decision it reviews, and only they do",
	"decisions_policy_version_positive": "a decision's policy version is 1 or more",
	"decisions_body_object":             "a decision's body is a JSON object",
	"decision_rules_rule_present":       "a decision's rule row names the rule",
	"decision_rules_decision_present":   "a decision's rule row names the decision",
	"decision_claims_decision_unique":   "a decision id answers one request",
	"decision_claims_customer_present":  "a claim is of a customer",
	"decision_claims_hash_present":      "a claim records the request's fingerprint",
	"step_ups_action_length":            "a step-up challenge is named, in at most 64 bytes",
	"step_ups_customer_present":         "a step-up is of a customer",
	// governance
	"policies_id_step":                       "a policy keeps one journey step",
	"policies_step_known":                    "a policy belongs to a journey step: " + steps,
	"policy_versions_policy_fk":              "a policy version belongs to a stored policy, of the policy's journey step",
	"policy_versions_version_positive":       "a policy version number is 1 or more",
	"policy_versions_step_known":             "a policy version belongs to a journey step: " + steps,
	"policy_versions_status_known":           "a policy version is draft, submitted, approved or rejected",
	"policy_versions_submitted_unless_draft": "a version has a submission time exactly when it is no longer a draft",
	"policy_versions_reviewed_when_decided":  "a version has a reviewer exactly when it is approved or rejected",
	"policy_versions_review_complete":        "a review records its reviewer's id and name and its time together",
	"policy_versions_reason_when_rejected":   "a version has a rejection reason exactly when it is rejected",
	"policy_deployments_step_known":          "a deployment is of a journey step: " + steps,
	"policy_deployments_revision_positive":   "a deployment's revision is 1 or more",
	// lending
	"credit_lines_status_known":          "a credit line is declined, referred, offered or active",
	"credit_lines_limit_positive":        "a credit limit is more than zero",
	"credit_lines_rate_in_range":         "an annual rate is 0 to 10000 basis points",
	"credit_lines_account_when_active":   "an active credit line has the borrower's verified account",
	"loans_credit_line_fk":               "a draw belongs to a stored credit line",
	"loans_kind_known":                   "a loan is a term_loan or a draw",
	"loans_draw_on_line":                 "a loan is on a credit line exactly when it is a draw",
	"loans_status_known":                 "a loan is declined, referred, offered, accepted, active, closed, foreclosed, cancelled or written_off",
	"loans_asset_class_known":            "an asset class is standard, sma_0, sma_1, sma_2 or npa",
	"loans_amount_positive":              "a loan's amount is more than zero",
	"loans_tenure_positive":              "a loan's tenure is one month or more",
	"loans_rate_in_range":                "an annual rate is 0 to 10000 basis points",
	"loans_balances_non_negative":        "a loan's outstanding, principal outstanding and advance are not negative",
	"loans_principal_within_outstanding": "a loan's principal outstanding is part of its outstanding",
	"loans_dpd_non_negative":             "days past due are not negative",
	"loans_disbursed_when_live":          "a loan that is or was active has a disbursal date",
	"loans_account_when_accepted":        "an accepted loan has the borrower's verified account",
	"lending_events_seq_positive":        "a lending event's sequence number is 1 or more",
	"lending_events_type_known":          "a lending event is application, accepted, limit_increased, cancelled, disbursed, payment, bounce, day_end, foreclose, waive, write_off, referred, referral_approved, referral_declined, limit_increase_referred or limit_increase_declined",
	"referrals_kind_known":               "a referral is of an application, disbursal, draw or limit_increase",
	"referrals_status_known":             "a referral is referred, approved or declined",
	"referrals_resolved_whole":           "a referral has a resolution time exactly when it is no longer referred",
	"loan_payments_loan_fk":              "a payment belongs to a stored loan",
	"loan_payments_kind_known":           "a payment is a payment, foreclosure or cooling_off",
	"loan_payments_status_known":         "a payment is applied or bounced",
	"loan_payments_amount_positive":      "a payment's amount is more than zero",
	"loan_payments_bounce_time":          "a payment has a bounce time exactly when it bounced",
	"ledger_journals_id_loan":            "a journal is of one loan",
	"ledger_journals_loan_fk":            "a journal belongs to a stored loan",
	"ledger_journals_kind_known":         "a journal is a disbursal, payment, foreclosure, cooling_off, bounce, day_end, waiver or write_off",
	"ledger_lines_journal_fk":            "a ledger line belongs to a stored journal of the same loan",
	"ledger_lines_loan_fk":               "a ledger line belongs to a stored loan",
	"ledger_lines_line_positive":         "a ledger line number is 1 or more",
	"ledger_lines_account_known":         "a ledger line posts to one of the loan's ledger accounts",
	"ledger_lines_one_side":              "a ledger line either debits or credits: exactly one side is more than zero, the other zero",
	"borrowers_asset_class_known":        "an asset class is standard, sma_0, sma_1, sma_2 or npa",
	"borrowers_max_dpd_non_negative":     "days past due are not negative",
	// events
	"event_stream_seq_positive":              "a stream message's sequence number is 1 or more",
	"event_stream_groups_acked_non_negative": "a group's acknowledged watermark is not negative",
	"event_stream_acks_group_fk":             "an acknowledgement belongs to a stored consumer group",
	"event_stream_acks_message_fk":           "an acknowledgement is of a stored message",
	"event_journey_type_known":               "the journey indexes app_event and device_apps events",
	"event_sms_signals_kind_known":           "an SMS signal is salary, bounce, disbursal or balance",
	"event_sms_signals_amount_non_negative":  "an SMS signal's amount is not negative (a balance may be)",
	// cases
	"cases_decision_once":           "a decision has at most one case",
	"cases_verdict_once":            "a verdict decides one case",
	"cases_status_known":            "a case is open, assigned, awaiting_second or decided",
	"cases_outcome_known":           "a case's verdict is approve or decline",
	"cases_priority_range":          "a case's priority is 1 to 5",
	"cases_amount_paise":            "a case's amount is not negative",
	"cases_policy_version_positive": "a case's policy version is 1 or more",
	"cases_assigned_has_assignee":   "an assigned case has an assignee",
	"cases_open_unassigned":         "an open case has no assignee",
	"cases_decided_unassigned":      "a decided case has no assignee",
	"cases_assignment_whole":        "a case's assignee id, name and time are set together",
	"cases_second_after_first":      "a case awaiting its second review has its first",
	"cases_first_review_whole":      "a first review names its reviewer",
	"cases_decided_whole":           "a case is decided exactly when it has an outcome, a resolution, a verdict decision and a time",
	"case_events_case_fk":           "a case event belongs to a stored case",
	"case_events_action_known":      "a case event is opened, claimed, released, reassigned, reviewed or decided",
	// kyc
	"kyc_evidence_check_known":           "a KYC check is pan, aadhaar-offline, ckyc, bank-account, video or screening",
	"kyc_evidence_status_known":          "KYC evidence is verified, failed, pending or error",
	"kyc_evidence_verified_dated":        "KYC evidence has a verification time exactly when it is verified",
	"kyc_evidence_reason_when_failed":    "failed KYC evidence says why",
	"kyc_evidence_expiry_after":          "KYC evidence expires after it was recorded",
	"kyc_evidence_result_object":         "KYC evidence's result is a JSON object",
	"kyc_evidence_scores_object":         "KYC evidence's scores are a JSON object",
	"kyc_evidence_completes_fk":          "KYC evidence completes a stored pending record",
	"kyc_evidence_completed_once":        "a pending KYC record is completed once",
	"kyc_customers_risk_known":           "a customer's KYC risk category is low, medium or high",
	"kyc_customers_due_after_completion": "re-KYC is due, after the KYC completed, exactly when it completed",
	"kyc_tasks_customer_fk":              "a KYC task is of a customer whose KYC is recorded",
	"kyc_tasks_kind_known":               "a KYC task is a rekyc",
	"kyc_tasks_status_known":             "a KYC task is open or done",
	"kyc_tasks_done_dated":               "a KYC task has a completion time exactly when it is done",
	"kyc_tasks_once":                     "a re-KYC task is raised once per customer and due time",
	// kyc: sanctions screening (migration 21)
	"screening_lists_name_format":           "a screening list's name is a lower-case letter, then up to 31 lower-case letters, digits or underscores",
	"screening_lists_revision_non_negative": "a screening list's revision is not negative",
	"screening_lists_entries_non_negative":  "a screening list's entry count is not negative",
	"screening_lists_rescreened_within":     "a screening list is re-screened up to a revision it has had",
	"screening_entries_list_fk":             "a screening entry belongs to a stored screening list",
	"screening_entries_ref_present":         "a screening entry has a reference",
	"screening_entries_name_present":        "a screening entry has a name",
	"screening_entries_kind_known":          "a screening entry is an individual or an entity",
	"screening_entries_added_positive":      "a screening entry is added at revision 1 or later",
	"screening_entries_removal_after_add":   "a screening entry is removed at a revision after the one it was added at",
	"screening_entries_aliases_array":       "a screening entry's aliases are a JSON array",
	"screening_hits_once":                   "a customer's hit on a listed entry is recorded once",
	"screening_hits_list_fk":                "a screening hit is on a stored screening list",
	"screening_hits_customer_present":       "a screening hit is of a customer",
	"screening_hits_score_range":            "a screening hit's score is 0 to 1",
	"screening_hits_revision_positive":      "a screening hit is found at list revision 1 or later",
	// comms
	"links_token_shape":             "a tracked link's token is 8 to 32 characters",
	"links_target_https":            "a tracked link leads to an https address",
	"links_expiry_after":            "a tracked link expires after it was made",
	"link_clicks_link_fk":           "a click is on a stored tracked link",
	"messages_channel_known":        "a message goes by sms, email, push or whatsapp",
	"messages_category_known":       "a message is transactional, service, promotional or collections",
	"messages_status_known":         "a message is queued, deferred, sending, sent, failed or suppressed",
	"messages_reason_when_not_sent": "a failed or suppressed message says why",
	"messages_sent_dated":           "a message has a sending time exactly when it is sent",
	"messages_claimed_when_sending": "a message being sent has its claim's expiry, and only then",
	"messages_counts_non_negative":  "a message's segments and attempts are not negative",
	"messages_request_once":         "a customer's request id makes one message",
	"messages_campaign_once":        "a campaign reaches a customer once per channel",
	// lists
	"lists_revision_non_negative":          "a list's revision is not negative",
	"lists_entries_non_negative":           "a list's entry count is not negative",
	"list_entries_list_fk":                 "an entry belongs to a stored list",
	"list_entries_expiry_after_add":        "an entry expires after it was added",
	"list_entries_removal_after_add":       "an entry is removed no earlier than it was added",
	"list_entries_removed_by_when_removed": "an entry names who removed it exactly when it was removed",
}

// violation classifies err as a broken foreign key, CHECK or NOT NULL
// constraint on either backend; nil when it is none of those.
func violation(err error) *nirnay.Error {
	var (
		kind nirnay.Kind
		name string
	)
	var pgErr *pgconn.PgError
	var liteErr *sqlite.Error
	switch {
	case errors.As(err, &pgErr):
		switch pgErr.Code {
		case "23503":
			kind, name = nirnay.KindConflict, pgErr.ConstraintName
		case "23514":
			kind, name = nirnay.KindUnprocessable, pgErr.ConstraintName
		case "23502":
			kind, name = nirnay.KindUnprocessable, pgErr.TableName+"."+pgErr.ColumnName
		default:
			return nil
		}
	case errors.As(err, &liteErr):
		switch liteErr.Code() {
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			kind = nirnay.KindConflict // SQLite does not say which one
		case sqlite3.SQLITE_CONSTRAINT_CHECK:
			kind, name = nirnay.KindUnprocessable, after(liteErr.Error(), "CHECK constraint failed: ")
		case sqlite3.SQLITE_CONSTRAINT_NOTNULL:
			kind, name = nirnay.KindUnprocessable, after(liteErr.Error(), "NOT NULL constraint failed: ")
		default:
			return nil
		}
	default:
		return nil
	}
	v := &Violation{Constraint: name, Rule: ConstraintRules[name], Err: err}
	return &nirnay.Error{Kind: kind, Message: v.message(kind), Err: v}
}

// message is the client-safe text of the violation.
func (v *Violation) message(kind nirnay.Kind) string {
	var b strings.Builder
	switch {
	case kind == nirnay.KindConflict && v.Constraint == "":
		b.WriteString("the change refers to a row that does not exist, or removes a row another refers to")
	case kind == nirnay.KindConflict:
		b.WriteString("the change refers to a row that does not exist, or removes a row another refers to (" + v.Constraint + ")")
	case strings.Contains(v.Constraint, "."):
		b.WriteString(v.Constraint + " is required")
	default:
		b.WriteString("the change breaks the rule " + v.Constraint)
	}
	if v.Rule != "" {
		b.WriteString(": " + v.Rule)
	}
	return b.String()
}

// after returns what follows marker in msg, up to a " (" that begins the
// driver's code suffix; "" when marker is absent.
func after(msg, marker string) string {
	_, rest, ok := strings.Cut(msg, marker)
	if !ok {
		return ""
	}
	if i := strings.Index(rest, " ("); i >= 0 {
		rest = rest[:i]
	}
	return strings.TrimSpace(rest)
}

// hasKind reports whether err already carries a Nirnay error kind (it was
// translated, or made by the caller).
func hasKind(err error) bool {
	var e *nirnay.Error
	return errors.As(err, &e)
}
