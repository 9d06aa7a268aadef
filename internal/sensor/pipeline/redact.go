package pipeline

import (
	"strings"

	"github.com/pavesec/pave/internal/secret"
	"github.com/pavesec/pave/internal/sensor/event"
)

// Redactor masks credentials in command lines (mysql -pPASSWORD, curl -H
// "Authorization: Bearer ...") before any analyzer or output sees them:
// the stream, the findings, baselines and evidence never hold a secret in
// clear. A secret is replaced by secret.Mask's form, which is stable, so a
// baseline learnt on masked command lines still matches.
type Redactor struct {
	engine *secret.Engine
}

// NewRedactor uses the secret engine e (secret.Default() when nil).
func NewRedactor(e *secret.Engine) *Redactor {
	if e == nil {
		e = secret.Default()
	}
	return &Redactor{engine: e}
}

// Redact masks the secrets in ev's arguments in place; it reports whether
// it changed anything.
func (r *Redactor) Redact(ev *event.Event) bool {
	args := ev.Proc.Args
	if len(args) < 2 {
		return false
	}
	joined := strings.Join(args, " ")
	ms := r.engine.Scan([]byte(joined))
	if len(ms) == 0 {
		return false
	}
	// Map each match back onto the arguments it overlaps: the first
	// overlapped piece becomes the mask, the rest of the secret goes.
	out := make([]string, len(args))
	off := 0
	for i, a := range args {
		start, end := off, off+len(a)
		var b strings.Builder
		pos := start
		for _, m := range ms {
			if m.End <= start || m.Start >= end {
				continue
			}
			s, e := max(m.Start, start), min(m.End, end)
			b.WriteString(joined[pos:s])
			if s == m.Start {
				b.WriteString(m.Masked)
			}
			pos = e
		}
		b.WriteString(joined[pos:end])
		out[i] = b.String()
		off = end + 1
	}
	ev.Proc.Args = out
	return true
}
