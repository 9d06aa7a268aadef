package baseline

import (
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/jsonfile"
)

// Schema is the version string of the baseline file format.
const Schema = "pave.baseline/v1"

// Limits on one file, so a hostile or runaway file is an error, not a
// memory blow-up.
const (
	maxFileBytes = 16 << 20
	maxEntries   = 1 << 16 // per list
	maxItemLen   = 4096
)

// Baseline is what one image's containers normally do. The file holds one
// Baseline as indented JSON, every list sorted, so that it diffs well and
// can be reviewed and committed.
type Baseline struct {
	Schema string  `json:"schema"`
	Image  Image   `json:"image"`
	Learn  Learned `json:"learned"`
	// Exec are executed files, as paths inside the container; an entry may
	// be a glob (path.Match syntax, or dir/** for anything under dir).
	Exec []string `json:"exec"`
	// Connect are outbound peers: "addr:port/proto" (addr an IP, a CIDR
	// or *; port a number or *; proto tcp, udp or *), IPv6 in brackets,
	// or "unix:/path" for a unix socket.
	Connect []string `json:"connect"`
	// Listen are inbound ports from bind and accept: "port/proto" or
	// "unix:/path".
	Listen []string `json:"listen"`
	// Write are paths opened for writing, with globs as for Exec.
	Write []string `json:"write"`
}

// Image names the image a baseline is for. Digest is the repository
// digest, ID the image (config) digest; at least one is set, and Key
// names the file.
type Image struct {
	Ref    string `json:"ref,omitempty"`
	Digest string `json:"digest,omitempty"`
	ID     string `json:"id,omitempty"`
}

// Learned says how the baseline was learned: the window and how many
// events of each kind it saw. A hand-written baseline may leave it zero.
type Learned struct {
	// Window is the learning window asked for ("10m0s").
	Window  string    `json:"window,omitempty"`
	Start   time.Time `json:"start,omitzero"`
	End     time.Time `json:"end,omitzero"`
	Events  uint64    `json:"events"`
	Exec    uint64    `json:"exec"`
	Connect uint64    `json:"connect"`
	Listen  uint64    `json:"listen"`
	Write   uint64    `json:"write"`
}

var digestRE = regexp.MustCompile(`^sha256:[0-9a-f]{64}$`)

// Key is the image's key: the repository digest when known, else the
// image id.
func (im Image) Key() string {
	if im.Digest != "" {
		return im.Digest
	}
	return im.ID
}

// FileName is the baseline's file name in a directory: the key with ":"
// as "-", e.g. "sha256-3f1c….json".
func (im Image) FileName() string { return strings.ReplaceAll(im.Key(), ":", "-") + ".json" }

// Parse reads and validates a baseline. name appears in errors only, which
// are one line and name the offending entry.
func Parse(name string, data []byte) (*Baseline, error) {
	if len(data) > maxFileBytes {
		return nil, fmt.Errorf("baseline: %s: larger than %d bytes", name, maxFileBytes)
	}
	var b Baseline
	if err := jsonfile.Decode(data, &b); err != nil {
		return nil, fmt.Errorf("baseline: %s: %w", name, err)
	}
	if err := b.Validate(); err != nil {
		return nil, fmt.Errorf("baseline: %s: %w", name, err)
	}
	return &b, nil
}

// ReadFile reads and validates the baseline file at name.
func ReadFile(name string) (*Baseline, error) {
	data, err := jsonfile.Read(name, maxFileBytes)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	return Parse(name, data)
}

// Validate checks the schema, the image digests and every entry's syntax.
// Entries need not be sorted or unique (a person may append one by hand).
func (b *Baseline) Validate() error {
	if b.Schema != Schema {
		return fmt.Errorf("schema is %q, want %q", b.Schema, Schema)
	}
	if b.Image.Digest == "" && b.Image.ID == "" {
		return errors.New("image: neither digest nor id is set")
	}
	for _, d := range [...][2]string{{"digest", b.Image.Digest}, {"id", b.Image.ID}} {
		if d[1] != "" && !digestRE.MatchString(d[1]) {
			return fmt.Errorf("image.%s: %q is not sha256:<64 hex digits>", d[0], clip(d[1]))
		}
	}
	if strings.ContainsAny(b.Image.Ref, "\n\r") {
		return errors.New("image.ref: not one line")
	}
	if w := b.Learn.Window; w != "" {
		if _, err := time.ParseDuration(w); err != nil {
			return fmt.Errorf("learned.window: %q is not a duration", clip(w))
		}
	}
	if !b.Learn.End.IsZero() && b.Learn.End.Before(b.Learn.Start) {
		return errors.New("learned: end is before start")
	}
	lists := []struct {
		name  string
		items []string
		check func(string) error
	}{
		{"exec", b.Exec, checkPattern},
		{"connect", b.Connect, func(s string) error { _, err := parsePeer(s, false); return err }},
		{"listen", b.Listen, func(s string) error { _, err := parsePeer(s, true); return err }},
		{"write", b.Write, checkPattern},
	}
	for _, l := range lists {
		if len(l.items) > maxEntries {
			return fmt.Errorf("%s: %d entries, at most %d", l.name, len(l.items), maxEntries)
		}
		for i, s := range l.items {
			if len(s) > maxItemLen || strings.ContainsAny(s, "\x00\n\r") {
				return fmt.Errorf("%s[%d]: longer than %d bytes or not one line", l.name, i, maxItemLen)
			}
			if err := l.check(s); err != nil {
				return fmt.Errorf("%s[%d]: %w", l.name, i, err)
			}
		}
	}
	return nil
}

// checkPattern accepts an absolute path or glob.
func checkPattern(p string) error {
	if !strings.HasPrefix(p, "/") {
		return fmt.Errorf("%q is not an absolute path", clip(p))
	}
	if _, err := path.Match(strings.TrimSuffix(p, "/**"), ""); err != nil {
		return fmt.Errorf("%q: %w", clip(p), err)
	}
	return nil
}

// Marshal writes b as indented JSON with a final newline, every list
// sorted and unique and none null.
func (b *Baseline) Marshal() ([]byte, error) {
	out := *b
	for _, l := range []*[]string{&out.Exec, &out.Connect, &out.Listen, &out.Write} {
		*l = slices.Compact(slices.Sorted(slices.Values(*l)))
		if *l == nil {
			*l = []string{}
		}
	}
	data, err := json.MarshalIndent(&out, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("baseline: marshal: %w", err)
	}
	return append(data, '\n'), nil
}

// WriteFile writes b to name atomically (a temporary file renamed into
// place): a reader never sees half a baseline.
func (b *Baseline) WriteFile(name string) error {
	data, err := b.Marshal()
	if err != nil {
		return err
	}
	if err := jsonfile.WriteAtomic(name, data); err != nil {
		return fmt.Errorf("baseline: %w", err)
	}
	return nil
}

// LoadDir reads every *.json file in dir as a baseline. A missing
// directory holds none. Two files for the same image are an error.
func LoadDir(dir string) ([]*Baseline, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	slices.Sort(names)
	var out []*Baseline
	seen := map[string]string{}
	for _, n := range names {
		b, err := ReadFile(n)
		if err != nil {
			return nil, err
		}
		k := b.Image.Key()
		if prev, ok := seen[k]; ok {
			return nil, fmt.Errorf("baseline: %s: same image %s as %s", n, k, prev)
		}
		seen[k] = n
		out = append(out, b)
	}
	return out, nil
}

func clip(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}
