package inventory

// Distro is the operating system an artifact carries, from os-release.
type Distro struct {
	ID              string   `json:"id"`                        // "debian", "alpine", "rhel"
	IDLike          []string `json:"idLike,omitempty"`          // "rhel fedora"
	VersionID       string   `json:"versionID,omitempty"`       // "12", "3.19.1"
	VersionCodename string   `json:"versionCodename,omitempty"` // "bookworm"
	PrettyName      string   `json:"prettyName,omitempty"`
	// EOL is the end of standard (security) support, "YYYY-MM-DD", when
	// known; EndOfLife says whether that date has passed at scan time.
	EOL       string `json:"eol,omitempty"`
	EndOfLife bool   `json:"endOfLife,omitempty"`
	// Source is the file the facts came from.
	Source string `json:"source,omitempty"`
}
