package cases_test

import (
	"strings"
	"testing"
	"time"

	"github.com/nirnay/nirnay/cases"
	"github.com/nirnay/nirnay/money"
	"github.com/nirnay/nirnay/rules"
)

func TestShippedQueues(t *testing.T) {
	qs, err := cases.DefaultQueues()
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range rules.Steps {
		if _, ok := qs.Get(step); !ok {
			t.Errorf("no queue for step %s", step)
		}
	}
	app, _ := qs.Get("application")
	if app.SLAHours != 8 || app.Priority != 2 || app.FourEyesAbove != money.Paise(20_000_000) || !app.MayDecide("ops") || app.MayDecide("service") {
		t.Errorf("application queue %+v; want 8 h, priority 2, four eyes above ₹2,00,000, ops decide, service not", app)
	}
	if !app.FourEyes(20_000_001) || app.FourEyes(20_000_000) {
		t.Errorf("four eyes at ₹2,00,000.01 and ₹2,00,000: want yes and no")
	}
	if f, _ := qs.Get("fraud"); f.MayDecide("ops") || !f.MayDecide("approver") || !f.MayDecide("admin") {
		t.Errorf("fraud queue deciders %v; want approver (and admin), not ops", f.Deciders)
	}
}

func TestQueuesFileErrors(t *testing.T) {
	steps := func(skip string) string {
		var b strings.Builder
		for _, s := range rules.Steps {
			if s != skip {
				b.WriteString("  - {name: " + s + ", sla_hours: 8}\n")
			}
		}
		return b.String()
	}
	for _, tc := range []struct{ name, src, want string }{
		{"unknown top key", "colour: red\nqueues:\n" + steps(""), "q.yaml:1: colour: unknown field"},
		{"unknown queue key", "queues:\n  - {name: x, sla_hours: 1, colour: red}\n" + steps(""), "q.yaml:2: queues[0].colour: unknown field"},
		{"bad role", "queues:\n  - name: x\n    sla_hours: 1\n    deciders: [service]\n" + steps(""), `q.yaml:4: queues[0].deciders: role "service" may not review cases`},
		{"sla out of range", "queues:\n  - {name: x, sla_hours: 0}\n" + steps(""), `q.yaml:2: queues[0].sla_hours: "0" is not a whole number in 1..720`},
		{"missing sla", "queues:\n  - {name: x}\n" + steps(""), "q.yaml:2: queues[0].sla_hours: is required"},
		{"twice", "queues:\n  - {name: x, sla_hours: 1}\n  - {name: x, sla_hours: 1}\n" + steps(""), `q.yaml:3: queues[1].name: queue "x" is given twice`},
		{"bad name", "queues:\n  - {name: Fraud!, sla_hours: 1}\n" + steps(""), `queues[0].name: "Fraud!" is not a queue name`},
		{"no step queue", "queues:\n" + steps("kyc"), `q.yaml:1: queues: no queue for step "kyc"`},
		{"bad time", "business_hours: {open: \"9:30\"}\nqueues:\n" + steps(""), `q.yaml:1: business_hours.open: "9:30" is not a time of day HH:MM`},
		{"close before open", "business_hours: {open: \"18:00\", close: \"09:00\"}\nqueues:\n" + steps(""), "business_hours.close: must be after open"},
		{"bad day", "business_hours: {days: [monday]}\nqueues:\n" + steps(""), `business_hours.days: "monday" is not a day`},
		{"bad zone", "business_hours: {zone: Mars/Olympus}\nqueues:\n" + steps(""), `business_hours.zone: "Mars/Olympus" is not an IANA time zone`},
		{"bad holiday", "business_hours: {holidays: [26-01-2026]}\nqueues:\n" + steps(""), `business_hours.holidays: "26-01-2026" is not a date`},
		{"given twice", "queues: []\nqueues:\n" + steps(""), "q.yaml:2: queues: given twice"},
		{"four eyes negative", "queues:\n  - {name: x, sla_hours: 1, four_eyes_above_paise: -5}\n" + steps(""), "queues[0].four_eyes_above_paise"},
	} {
		_, err := cases.ParseQueues("q.yaml", []byte(tc.src))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.name, err, tc.want)
		}
	}
}

func TestBusinessHoursAdd(t *testing.T) {
	qs, err := cases.ParseQueues("q.yaml", []byte(`business_hours:
  zone: Asia/Kolkata
  days: [mon, tue, wed, thu, fri, sat]
  open: "09:30"
  close: "18:30"
  holidays: ["2026-11-28"]
queues:
`+func() string {
		var b strings.Builder
		for _, s := range rules.Steps {
			b.WriteString("  - {name: " + s + ", sla_hours: 8}\n")
		}
		return b.String()
	}()))
	if err != nil {
		t.Fatal(err)
	}
	ist := time.FixedZone("IST", 5*3600+30*60)
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, ist)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	for _, tc := range []struct {
		from  string
		hours time.Duration
		want  string
	}{
		{"2026-11-26 11:00", 4 * time.Hour, "2026-11-26 15:00"},  // Thursday, within the day
		{"2026-11-26 11:00", 8 * time.Hour, "2026-11-27 10:00"},  // 7.5 h left on Thursday, 30 min on Friday
		{"2026-11-26 07:00", 2 * time.Hour, "2026-11-26 11:30"},  // before opening: counts from 09:30
		{"2026-11-26 20:00", 1 * time.Hour, "2026-11-27 10:30"},  // after closing: from Friday's opening
		{"2026-11-27 18:00", 1 * time.Hour, "2026-11-30 10:00"},  // Saturday the 28th is a holiday, Sunday closed
		{"2026-11-29 12:00", 9 * time.Hour, "2026-11-30 18:30"},  // a Sunday start: all of Monday
		{"2026-11-26 11:00", 0, "2026-11-26 11:00"},              // no time
		{"2026-11-30 09:30", 18 * time.Hour, "2026-12-01 18:30"}, // two whole days
	} {
		if got := qs.Hours.Add(at(tc.from), tc.hours); !got.Equal(at(tc.want)) {
			t.Errorf("%s + %v business hours = %s, want %s", tc.from, tc.hours, got.In(ist).Format("2006-01-02 15:04 Mon"), tc.want)
		}
	}
}
