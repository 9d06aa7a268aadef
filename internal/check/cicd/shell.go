package cicd

import (
	"path"
	"regexp"
	"slices"
	"strings"
)

// maxDownloads bounds the downloads reported for one script.
const maxDownloads = 100

// cmdLine is one line of a shell script with where it is in the file.
type cmdLine struct {
	text      string
	line, col int
}

// scriptLines splits a scalar holding a script into located lines.
func scriptLines(n *node) []cmdLine {
	if n == nil || n.kind != scalarKind {
		return nil
	}
	var out []cmdLine
	off := 0
	lineAt := n.lineCounter()
	for _, l := range strings.Split(n.value, "\n") {
		ln := lineAt(off)
		col := n.col
		if n.literal {
			col = 0 // found from the file's line by the caller
		}
		out = append(out, cmdLine{text: l, line: ln, col: col})
		off += len(l) + 1
	}
	return out
}

var (
	// curl … | sh, wget -O- … | bash, bash <(curl …), sh -c "$(curl …)".
	pipeShellRe = regexp.MustCompile(`\b(curl|wget)\b[^|;&]*\|\s*(sudo\s+(-\S+\s+)*)?(env\s+\S+\s+)?(ba|z|k|da|a)?sh\b|\b(ba|z|k)?sh\s+(-s\s+)?<\(\s*(curl|wget)\b|\b(ba|z)?sh\s+-c\s+["']?\$\(\s*(curl|wget)\b`)
	// A download that writes a file.
	curlRe = regexp.MustCompile(`\bcurl\b`)
	wgetRe = regexp.MustCompile(`\bwget\b`)
	urlRe  = regexp.MustCompile(`https?://[^\s"'|;)]+`)
	// Integrity checks that make a download acceptable.
	verifyRe = regexp.MustCompile(`\b(sha(1|224|256|384|512)sum|shasum|b2sum|md5sum)\b|\bcosign\s+verify|\bgpg2?\s+(--\S+\s+)*--verify|\bgpgv\b|\bslsa-verifier\b|\bgh\s+attestation\s+verify|\bminisign\b|\bopenssl\s+dgst\b|\bsignify\b|--checksum|\bsha256:`)
	// Running or installing a file.
	execVerbRe = regexp.MustCompile(`\bchmod\s|\b(sudo\s+)?(ba|z)?sh\s|\bsource\s|\binstall\s|\bdpkg\s+-i|\brpm\s+-[iU]|\bapt(-get)?\s+install\s|\btar\s+[^;&|]*x|\bunzip\s|\bmv\s|\bcp\s|\b(python3?|ruby|perl|php|node|deno|pwsh)\s|\bnode\s|\bjava\s+-jar|\./`)
)

// pipeToShell finds a download piped into a shell.
func pipeToShell(lines []cmdLine) []cmdLine {
	var out []cmdLine
	for _, l := range lines {
		if !mentionsDownload(l) || strings.HasPrefix(strings.TrimSpace(l.text), "#") {
			continue
		}
		if pipeShellRe.MatchString(l.text) {
			out = append(out, l)
		}
	}
	return out
}

// mayVerify is a cheap filter run before verifyRe.
func mayVerify(s string) bool {
	for _, k := range []string{"sum", "verif", "gpg", "minisign", "dgst", "signify", "checksum", "sha256:"} {
		if strings.Contains(s, k) {
			return true
		}
	}
	return false
}

func mentionsDownload(l cmdLine) bool {
	return strings.Contains(l.text, "curl") || strings.Contains(l.text, "wget")
}

// download is a file fetched by curl or wget.
type download struct {
	at   cmdLine
	file string // base name of the file written
	idx  int    // of at in the script's lines
}

// unverifiedDownloads finds files downloaded and then run or installed
// with no checksum or signature check anywhere in the same script.
func unverifiedDownloads(lines []cmdLine) []download {
	if !slices.ContainsFunc(lines, mentionsDownload) {
		return nil // the common case, before any regexp
	}
	for _, l := range lines {
		if mayVerify(l.text) && verifyRe.MatchString(l.text) {
			return nil
		}
	}
	var cands []download
	for i, l := range lines {
		if len(cands) == maxDownloads {
			break
		}
		t := strings.TrimSpace(l.text)
		if !mentionsDownload(l) || strings.HasPrefix(t, "#") || pipeShellRe.MatchString(t) {
			continue
		}
		if f := downloadedFile(t); f != "" {
			cands = append(cands, download{at: l, file: f, idx: i})
		}
	}
	if len(cands) == 0 {
		return nil
	}
	// A download counts when a later command (or a later part of its own
	// line, after && or ;) runs or installs the file. Each line is matched
	// against the regexp at most once.
	runs := make([]int8, len(lines)) // 0 unknown, 1 yes, -1 no
	runsAt := func(j int) bool {
		if runs[j] == 0 {
			runs[j] = -1
			if execVerbRe.MatchString(lines[j].text) {
				runs[j] = 1
			}
		}
		return runs[j] == 1
	}
	var dls []download
	for _, d := range cands {
		if rest := afterDownload(strings.TrimSpace(d.at.text)); strings.Contains(rest, d.file) && execVerbRe.MatchString(rest) {
			dls = append(dls, d)
			continue
		}
		for j := d.idx + 1; j < len(lines); j++ {
			if strings.Contains(lines[j].text, d.file) && runsAt(j) {
				dls = append(dls, d)
				break
			}
		}
	}
	return dls
}

// afterDownload returns what follows the first && or ; on a line.
func afterDownload(t string) string {
	i := strings.IndexAny(t, ";&")
	if i < 0 {
		return ""
	}
	return t[i:]
}

// downloadedFile returns the base name of the file a curl or wget command
// on the line writes, or "".
func downloadedFile(t string) string {
	isCurl, isWget := curlRe.MatchString(t), wgetRe.MatchString(t)
	if !isCurl && !isWget {
		return ""
	}
	t = exprRe.ReplaceAllString(t, "EXPR") // ${{ runner.temp }}/x → EXPR/x
	fields := strings.Fields(t)
	url := urlRe.FindString(t)
	for i, f := range fields {
		switch {
		case isCurl && (f == "-o" || f == "--output") && i+1 < len(fields):
			return base(fields[i+1])
		case isCurl && strings.HasPrefix(f, "--output="):
			return base(strings.TrimPrefix(f, "--output="))
		case isCurl && strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "--") && strings.HasSuffix(f, "o") && i+1 < len(fields):
			return base(fields[i+1]) // -sSLo file
		case isCurl && strings.HasPrefix(f, "-") && !strings.HasPrefix(f, "--") && strings.Contains(f, "O") && url != "":
			return base(url) // -LO: the remote name
		case isWget && (f == "-O" || f == "--output-document") && i+1 < len(fields):
			if fields[i+1] == "-" {
				return ""
			}
			return base(fields[i+1])
		case isWget && strings.HasPrefix(f, "--output-document="):
			return base(strings.TrimPrefix(f, "--output-document="))
		}
	}
	if isWget && url != "" && !strings.Contains(t, "|") {
		return base(url)
	}
	return ""
}

func base(s string) string {
	s = strings.Trim(s, `"'`)
	if i := strings.IndexAny(s, "?#"); i >= 0 {
		s = s[:i]
	}
	b := path.Base(s)
	if b == "." || b == "/" || b == "-" || strings.ContainsAny(b, "$") && len(b) < 3 {
		return ""
	}
	return b
}
