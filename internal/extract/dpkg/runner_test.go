package dpkg

import (
	"context"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pavesec/pave/internal/artifact"
	"github.com/pavesec/pave/internal/extract"
	"github.com/pavesec/pave/internal/inventory"
)

// TestRunner runs the extractor under the real runner over the testdata
// root filesystems: the runner must hand Finish the .list, .md5sums and
// copyright files Wants claims, with the same result as scanRoot.
func TestRunner(t *testing.T) {
	for _, root := range []string{"debian12", "distroless"} {
		t.Run(root, func(t *testing.T) {
			src, err := artifact.Open(context.Background(), "rootfs:testdata/"+root, artifact.Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			res, err := extract.NewRunner(extract.Config{Extractors: []extract.Extractor{New()}}).Run(context.Background(), src)
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Errors) > 0 {
				t.Errorf("file errors: %v", res.Errors)
			}
			want := scanRoot(t, "testdata/"+root)
			got := res.Packages
			for i := range got {
				for j := range got[i].Locations {
					got[i].Locations[j].Layer = nil
				}
			}
			byPkg := func(a, b inventory.Package) int { return inventory.Compare(&a, &b) }
			slices.SortFunc(want, byPkg)
			slices.SortFunc(got, byPkg)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("runner vs direct (-want +got):\n%s", diff)
			}
		})
	}
}
