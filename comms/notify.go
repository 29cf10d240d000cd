package comms

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/nirnay/nirnay"
	"github.com/nirnay/nirnay/comms/templates"
	"github.com/nirnay/nirnay/events/consume"
	"github.com/nirnay/nirnay/events/ingest"
)

// NotificationsFile is the shipped mapping of domain events to messages.
const NotificationsFile = "notifications.yaml"

// GroupNotifications is the consumer group that sends them.
const GroupNotifications = "notifications"

// Notification sends Template when an event of type Event arrives; each
// variable is a text in which {data.<field>} stands for a field of the
// event's data.
type Notification struct {
	Event    string            `yaml:"event"`
	Template string            `yaml:"template"`
	Vars     map[string]string `yaml:"vars"`
}

var dataRef = regexp.MustCompile(`\{data\.([a-z][a-z0-9_]*)\}`)

// ParseNotifications reads the mapping strictly and checks it against
// the templates: a known event type (ingest.Types), a known template, and
// a value for each of its input, offer and loan variables. Errors name the
// file and the entry.
func ParseNotifications(file string, data []byte, tmpl *templates.Catalog) ([]Notification, error) {
	var doc struct {
		Notifications []Notification `yaml:"notifications"`
	}
	dec := yaml.NewDecoder(strings.NewReader(string(data)))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	for i, n := range doc.Notifications {
		at := fmt.Sprintf("%s: notifications[%d]", file, i)
		if !slices.Contains(ingest.Types(), n.Event) {
			return nil, fmt.Errorf("%s: event %q is not an event type (%s)", at, n.Event, strings.Join(ingest.Types(), ", "))
		}
		t, ok := tmpl.Get(n.Template)
		if !ok {
			return nil, fmt.Errorf("%s: no template %q", at, n.Template)
		}
		for name, v := range t.Vars {
			if v.Source == "feature" || v.Source == "link" {
				continue
			}
			if _, ok := n.Vars[name]; !ok {
				return nil, fmt.Errorf("%s: template %s needs vars.%s", at, t.ID, name)
			}
		}
		for name := range n.Vars {
			if _, ok := t.Vars[name]; !ok {
				return nil, fmt.Errorf("%s: vars.%s is not a variable of template %s", at, name, t.ID)
			}
		}
	}
	return doc.Notifications, nil
}

// Notifier is the consumer (consume.Handler) that sends the notifications
// of the events it is handed: the message's request id is event/<event
// id>, so an event delivered again sends nothing more.
type Notifier struct {
	svc   *Service
	byEvt map[string][]Notification
}

// NewNotifier sends ns through svc.
func NewNotifier(svc *Service, ns []Notification) *Notifier {
	n := &Notifier{svc: svc, byEvt: map[string][]Notification{}}
	for _, x := range ns {
		n.byEvt[x.Event] = append(n.byEvt[x.Event], x)
	}
	return n
}

// Wants reports whether some notification follows events of type t.
func (n *Notifier) Wants(t string) bool { return len(n.byEvt[t]) > 0 }

// Handle sends each event's notifications. An event without a customer
// or whose data lacks a field a variable names is refused (a dead letter);
// a database failure fails the batch, which is retried.
func (n *Notifier) Handle(ctx context.Context, events []ingest.Event) ([]consume.Refusal, error) {
	var refused []consume.Refusal
	for _, ev := range events {
		for _, x := range n.byEvt[ev.Type] {
			vars, err := resolve(x.Vars, ev.Data)
			if err == nil && ev.CustomerID == "" {
				err = fmt.Errorf("the event names no customer")
			}
			if err != nil {
				refused = append(refused, consume.Refusal{Event: ev, Reason: fmt.Sprintf("notification %s: %v", x.Template, err)})
				continue
			}
			_, err = n.svc.Send(ctx, Request{CustomerID: ev.CustomerID, Template: x.Template, Vars: vars, RequestID: "event/" + ev.ID + "/" + x.Template})
			switch k := nirnay.KindOf(err); {
			case err == nil:
			case k == nirnay.KindInternal || k == nirnay.KindUnavailable:
				return nil, err
			default:
				refused = append(refused, consume.Refusal{Event: ev, Reason: fmt.Sprintf("notification %s: %v", x.Template, err)})
			}
		}
	}
	return refused, nil
}

// resolve fills each variable's {data.<field>} from the event's data.
func resolve(vars map[string]string, data json.RawMessage) (map[string]string, error) {
	var d map[string]any
	if err := json.Unmarshal(data, &d); err != nil {
		return nil, fmt.Errorf("the event's data is not a JSON object")
	}
	out := make(map[string]string, len(vars))
	var missing string
	for name, v := range vars {
		out[name] = dataRef.ReplaceAllStringFunc(v, func(m string) string {
			field := dataRef.FindStringSubmatch(m)[1]
			x, ok := d[field]
			if !ok || x == nil {
				missing = field
				return ""
			}
			return fmt.Sprint(x)
		})
	}
	if missing != "" {
		return nil, fmt.Errorf("the event's data has no %s", missing)
	}
	return out, nil
}
