package artifact

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
)

// TODO(#2): replaced by the image sources.

func isOCILayoutDir(dir string) bool {
	_, err := os.Stat(filepath.Join(dir, "oci-layout"))
	return err == nil
}

func detectArchive(name string, lim Limits) (Kind, error) {
	return "", fmt.Errorf("%s: %w", name, ErrUnknownFormat)
}

func openImage(ctx context.Context, kind Kind, name string, opts Options) (Source, error) {
	return nil, fmt.Errorf("%s %s: not implemented yet", kind, name)
}
