package artifact

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"sync/atomic"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/pavesec/pave/internal/inventory"
	"github.com/pavesec/pave/internal/safefs"
)

// imageSource is an opened image of any form: a config and layers whose
// blobs are opened on demand.
type imageSource struct {
	ref     Ref
	cfg     *v1.ConfigFile
	layers  []Layer
	closers []func() error
}

var (
	_ Source     = (*imageSource)(nil)
	_ Configured = (*imageSource)(nil)
)

func (s *imageSource) Ref() Ref                                { return s.ref }
func (s *imageSource) Config() *v1.ConfigFile                  { return s.cfg }
func (s *imageSource) Layers(context.Context) ([]Layer, error) { return s.layers, nil }

// Close releases files, removing spooled downloads. It may be called more
// than once.
func (s *imageSource) Close() error {
	var errs []error
	for i := len(s.closers) - 1; i >= 0; i-- {
		errs = append(errs, s.closers[i]())
	}
	s.closers = nil
	return errors.Join(errs...)
}

// openImage opens the image forms. name may end in ":REF" to choose one
// image of several in an archive or layout (see splitRef).
func openImage(ctx context.Context, kind Kind, name string, opts Options) (Source, error) {
	var (
		src *imageSource
		err error
	)
	switch kind {
	case DockerArchive, OCIArchive, OCILayout:
		path, ref := splitRef(name)
		src, err = openLocal(ctx, kind, path, ref, opts)
	case Daemon:
		src, err = openDaemon(ctx, name, opts)
	case Registry:
		src, err = openRegistry(ctx, name, opts)
	default:
		return nil, fmt.Errorf("%s: %w", kind, ErrUnknownFormat)
	}
	if err != nil {
		return nil, err
	}
	src.ref.Kind, src.ref.Name = kind, name
	return src, nil
}

// splitRef splits "file.tar:repo:tag" or "layout:ref" into the path and a
// reference choosing one image, when name itself does not exist but a
// prefix ending before a colon does.
func splitRef(name string) (path, ref string) {
	if _, err := os.Stat(name); err == nil {
		return name, ""
	}
	for i := 0; i < len(name); i++ {
		if name[i] != ':' {
			continue
		}
		if _, err := os.Stat(name[:i]); err == nil {
			return name[:i], name[i+1:]
		}
	}
	return name, ""
}

// classified is an error from safefs that also matches artifact's own
// sentinel, with safefs's message.
type classified struct{ err, kind error }

func (c classified) Error() string   { return c.err.Error() }
func (c classified) Unwrap() []error { return []error{c.err, c.kind} }

// wrapSafe maps safefs's sentinels onto ErrHostile and ErrCorrupt.
func wrapSafe(err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, ErrHostile) || errors.Is(err, ErrCorrupt):
		return err
	case errors.Is(err, safefs.ErrHostile):
		return classified{err, ErrHostile}
	case errors.Is(err, safefs.ErrCorrupt):
		return classified{err, ErrCorrupt}
	}
	return err
}

func safeLimits(l Limits) safefs.Limits {
	return safefs.Limits{MaxEntries: l.MaxEntries, MaxBytes: l.MaxLayerBytes, MaxRatio: l.MaxRatio, MaxPathLen: l.MaxPathLen}
}

// readAllLimit reads r whole, refusing more than limit bytes.
func readAllLimit(r io.Reader, limit int64, what string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", what, err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("%s is over the %d-byte metadata limit: %w", what, limit, ErrHostile)
	}
	return b, nil
}

func sha256Digest(b []byte) string {
	sum := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(sum[:])
}

// parseJSON decodes metadata strictly enough to catch damage.
func parseJSON(b []byte, v any, what string) error {
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("parse %s: %v: %w", what, err, ErrCorrupt)
	}
	return nil
}

// parseConfig parses an image configuration.
func parseConfig(b []byte) (*v1.ConfigFile, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("parse image config: %v: %w", err, ErrCorrupt)
	}
	return cfg, nil
}

// configPlatform returns "os/arch[/variant]" from the config.
func configPlatform(cfg *v1.ConfigFile) string {
	if cfg.OS == "" && cfg.Architecture == "" {
		return ""
	}
	p := cfg.OS + "/" + cfg.Architecture
	if cfg.Variant != "" {
		p += "/" + cfg.Variant
	}
	return p
}

// layerInfos maps the config onto n layers: DiffIDs from rootfs.diff_ids
// and CreatedBy from the history entries that made a layer (those without
// empty_layer), in order. When the history does not have exactly one such
// entry per layer the mapping is unknowable and CreatedBy is left empty
// rather than guessed.
func layerInfos(cfg *v1.ConfigFile, digests []string) ([]inventory.Layer, error) {
	n := len(digests)
	if len(cfg.RootFS.DiffIDs) != n {
		return nil, fmt.Errorf("image config lists %d diff ids for %d layers: %w", len(cfg.RootFS.DiffIDs), n, ErrCorrupt)
	}
	infos := make([]inventory.Layer, n)
	for i := range infos {
		infos[i] = inventory.Layer{Index: i, Digest: digests[i], DiffID: cfg.RootFS.DiffIDs[i].String()}
	}
	var made []v1.History
	for _, h := range cfg.History {
		if !h.EmptyLayer {
			made = append(made, h)
		}
	}
	if len(made) == n {
		for i, h := range made {
			infos[i].CreatedBy = h.CreatedBy
		}
	}
	return infos, nil
}

// hostPlatform is the platform chosen when Options.Platform is empty.
func hostPlatform() v1.Platform {
	p := v1.Platform{OS: "linux", Architecture: runtime.GOARCH}
	if runtime.GOARCH == "arm" {
		p.Variant = "v7"
	}
	return p
}

// isAttestation reports whether d is a build attestation, not an image.
func isAttestation(d v1.Descriptor) bool {
	if d.Annotations["vnd.docker.reference.type"] == "attestation-manifest" {
		return true
	}
	return d.Platform != nil && d.Platform.OS == "unknown" && d.Platform.Architecture == "unknown"
}

// refAnnotations name an image in an OCI index.
var refAnnotations = []string{"org.opencontainers.image.ref.name", "io.containerd.image.name"}

// matchesRef reports whether d is named ref ("latest", "repo:tag" or a
// full name ending in ref).
func matchesRef(d v1.Descriptor, ref string) bool {
	for _, k := range refAnnotations {
		v := d.Annotations[k]
		if v != "" && (v == ref || strings.HasSuffix(v, ":"+ref) || strings.HasSuffix(v, "/"+ref)) {
			return true
		}
	}
	return d.Digest.String() == ref
}

// pickManifest chooses one descriptor of an index: the one named ref when
// given, then the one for the platform asked for (or the host's), or the
// only image there is.
func pickManifest(im *v1.IndexManifest, platform, ref string) (v1.Descriptor, error) {
	var cands []v1.Descriptor
	for _, d := range im.Manifests {
		if isAttestation(d) || !(d.MediaType.IsImage() || d.MediaType.IsIndex() || d.MediaType == "") {
			continue
		}
		if ref != "" && !matchesRef(d, ref) {
			continue
		}
		cands = append(cands, d)
	}
	if len(cands) == 0 {
		if ref != "" {
			return v1.Descriptor{}, fmt.Errorf("no image named %q in the index: %w", ref, ErrNotFound)
		}
		return v1.Descriptor{}, fmt.Errorf("index holds no image: %w", ErrNotFound)
	}
	want := hostPlatform()
	if platform != "" {
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			return v1.Descriptor{}, fmt.Errorf("platform %q: %w", platform, err)
		}
		want = *p
	}
	if len(cands) == 1 && (platform == "" || cands[0].Platform == nil || cands[0].Platform.Satisfies(want)) {
		return cands[0], nil
	}
	var have []string
	for _, d := range cands {
		if d.Platform != nil && d.Platform.Satisfies(want) {
			return d, nil
		}
		if d.Platform != nil {
			have = append(have, d.Platform.String())
		}
	}
	if len(have) == 0 {
		return v1.Descriptor{}, fmt.Errorf("index holds %d images; name one (append :REF to the path): %w", len(cands), ErrNotFound)
	}
	return v1.Descriptor{}, fmt.Errorf("no %s image in the index (it has %s); choose one with --platform: %w",
		want.String(), strings.Join(have, ", "), ErrNotFound)
}

// tally bounds the uncompressed bytes of all layers of one source
// together. Each walk of a layer replaces that layer's count, so walking
// a layer twice does not count it twice.
type tally struct {
	max   int64
	per   []atomic.Int64
	total atomic.Int64
}

func newTally(max int64, layers int) *tally {
	return &tally{max: max, per: make([]atomic.Int64, layers)}
}

func (t *tally) start(i int) func(int64) error {
	t.total.Add(-t.per[i].Swap(0))
	return func(n int64) error {
		t.per[i].Add(n)
		if t.total.Add(n) > t.max {
			return fmt.Errorf("image holds more than %d bytes uncompressed: %w", t.max, safefs.ErrHostile)
		}
		return nil
	}
}
