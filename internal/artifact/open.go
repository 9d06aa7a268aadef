package artifact

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strings"
)

// Options configure Open.
type Options struct {
	// Platform selects an image from a multi-platform index ("linux/amd64");
	// empty means the machine's own, falling back to the only one present.
	Platform string
	// TempDir holds spooled downloads; empty means os.TempDir(). Open
	// creates its own subdirectory there and Close removes it.
	TempDir string
	// DockerHost is the Engine API address; empty means $DOCKER_HOST or
	// unix:///var/run/docker.sock.
	DockerHost string
	// Offline forbids network access (registry pulls).
	Offline bool
	// InsecureRegistryUnsafe allows plain HTTP and unverified TLS to the
	// registry. Named Unsafe because it removes transport authentication.
	InsecureRegistryUnsafe bool
	// Limits bound what hostile archives can make pave do.
	Limits Limits
	// Progress, when set, is told of long work (pulls, spooling).
	Progress func(ProgressEvent)
}

// ProgressEvent reports progress of a long step.
type ProgressEvent struct {
	Step  string // "pull", "spool", "layer"
	Name  string // layer digest or image name
	Done  int64  // bytes so far
	Total int64  // bytes in all, 0 if unknown
}

// Limits bound the work a hostile input can cause. Zero fields take the
// defaults of DefaultLimits.
type Limits struct {
	MaxEntries       int   // entries in all layers together
	MaxLayerBytes    int64 // uncompressed bytes of one layer
	MaxTotalBytes    int64 // uncompressed bytes of all layers
	MaxRatio         int64 // uncompressed / compressed bytes for one layer
	MaxMetadataBytes int64 // manifest, config, index JSON
	MaxPathLen       int   // bytes in one entry path
}

// DefaultLimits are generous for real images (the largest public images
// have ~300k files and ~20 GiB) and refuse bombs.
var DefaultLimits = Limits{
	MaxEntries:       500_000,
	MaxLayerBytes:    32 << 30,
	MaxTotalBytes:    64 << 30,
	MaxRatio:         200,
	MaxMetadataBytes: 8 << 20,
	MaxPathLen:       4096,
}

// WithDefaults returns l with zero fields set from DefaultLimits.
func (l Limits) WithDefaults() Limits {
	d := DefaultLimits
	if l.MaxEntries == 0 {
		l.MaxEntries = d.MaxEntries
	}
	if l.MaxLayerBytes == 0 {
		l.MaxLayerBytes = d.MaxLayerBytes
	}
	if l.MaxTotalBytes == 0 {
		l.MaxTotalBytes = d.MaxTotalBytes
	}
	if l.MaxRatio == 0 {
		l.MaxRatio = d.MaxRatio
	}
	if l.MaxMetadataBytes == 0 {
		l.MaxMetadataBytes = d.MaxMetadataBytes
	}
	if l.MaxPathLen == 0 {
		l.MaxPathLen = d.MaxPathLen
	}
	return l
}

// prefixes force a form; "dir:" and "rootfs:" force a directory kind.
var prefixes = []struct {
	prefix string
	kind   Kind
}{
	{"docker-archive:", DockerArchive},
	{"oci-archive:", OCIArchive},
	{"oci-layout:", OCILayout},
	{"oci:", OCILayout},
	{"docker:", Daemon},
	{"registry:", Registry},
	{"rootfs:", RootFS},
	{"dir:", Dir},
}

// ParseTarget splits an explicit prefix off target. kind is empty when
// there is none and the form must be detected.
func ParseTarget(target string) (kind Kind, name string) {
	for _, p := range prefixes {
		if rest, ok := strings.CutPrefix(target, p.prefix); ok {
			return p.kind, rest
		}
	}
	return "", target
}

// Open opens target. An explicit prefix ("docker:", "registry:",
// "docker-archive:", "oci-archive:", "oci:", "rootfs:", "dir:") forces the
// form; otherwise a path is inspected (directory with index.json and
// oci-layout → OCI layout; other directory → root filesystem or plain
// directory; tar with manifest.json → docker-archive; tar with index.json
// → OCI archive). A target that is not a path is not guessed to be a
// registry reference: say "registry:" so that pave never reaches the
// network unasked.
func Open(ctx context.Context, target string, opts Options) (Source, error) {
	opts.Limits = opts.Limits.WithDefaults()
	kind, name := ParseTarget(target)
	if name == "" {
		return nil, fmt.Errorf("empty target: %w", ErrUnknownFormat)
	}
	if kind == "" {
		var err error
		kind, err = Detect(name, opts.Limits)
		if err != nil {
			return nil, err
		}
	}
	switch kind {
	case RootFS, Dir, "":
		return openDir(name, kind)
	case Registry:
		if opts.Offline {
			return nil, fmt.Errorf("registry %s: network access forbidden by --offline", name)
		}
	}
	return openImage(ctx, kind, name, opts)
}

// Detect works out the form of the file or directory at name.
func Detect(name string, lim Limits) (Kind, error) {
	st, err := os.Stat(name)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("%s: no such file or directory (for an image in Docker or a registry, prefix it with docker: or registry:): %w", name, ErrNotFound)
		}
		return "", err
	}
	if st.IsDir() {
		if isOCILayoutDir(name) {
			return OCILayout, nil
		}
		return "", nil // openDir decides rootfs or dir
	}
	return detectArchive(name, lim)
}
