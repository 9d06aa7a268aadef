package cicd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// maxRefsSize bounds a refs file.
const maxRefsSize = 32 << 20

// LoadRefs reads the tag data for tag-drift detection: a JSON object from
// action repository to an object from tag to the full commit SHA the tag
// points at now (for an annotated tag, the commit, not the tag object):
//
//	{"actions/checkout": {"v4": "<40-hex sha>", "v4.2.2": "<40-hex sha>"}}
//
// One way to produce it: `git ls-remote --tags https://github.com/OWNER/REPO`
// and keep the peeled (^{}) line of each annotated tag.
func LoadRefs(r io.Reader) (map[string]map[string]string, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxRefsSize+1))
	if err != nil {
		return nil, fmt.Errorf("refs: read: %w", err)
	}
	if len(b) > maxRefsSize {
		return nil, fmt.Errorf("refs: over the %d-byte limit", maxRefsSize)
	}
	var refs map[string]map[string]string
	if err := json.Unmarshal(b, &refs); err != nil {
		return nil, fmt.Errorf("refs: want {\"owner/repo\": {\"tag\": \"sha\"}}: %w", err)
	}
	for repo, tags := range refs {
		if strings.Count(repo, "/") != 1 {
			return nil, fmt.Errorf("refs: %q is not owner/repo", repo)
		}
		for tag, sha := range tags {
			if !shaRe.MatchString(sha) {
				return nil, fmt.Errorf("refs: %s tag %s: %q is not a 40-hex commit SHA", repo, tag, sha)
			}
		}
	}
	return refs, nil
}
