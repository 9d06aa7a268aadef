package vulndb

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
	"github.com/pavesec/pave/internal/safefs"
)

// Input is one location to import for one feed.
type Input struct {
	Feed     string // a feed name
	Location string // a file, directory, zip or tar archive, or http(s) URL
}

// BuildOptions configure Build.
type BuildOptions struct {
	// Feeds are the known feeds; Inputs name them.
	Feeds []feed.Feed
	// Inputs to import. Empty: every feed from its default URLs.
	Inputs []Input
	// Offline forbids URLs.
	Offline bool
	Client  *http.Client
	// TempDir holds downloads while they are read; "" is os.TempDir.
	TempDir string
	Built   time.Time
	Tool    string
	// MaxDownload bounds one download; MaxFile one file handed to a
	// parser (after decompression). Zero: 4 GiB and 2 GiB.
	MaxDownload int64
	MaxFile     int64
	// Progress, when set, is told what is being read.
	Progress func(msg string)
}

// ErrOffline is returned when an input is a URL and Offline is set.
var ErrOffline = errors.New("network access is disabled (--offline)")

// Build imports every input into a Writer. Files that fail to parse are
// recorded in the source's metadata and do not stop the build; an input
// that cannot be read at all does.
func Build(ctx context.Context, o BuildOptions) (*Writer, error) {
	if o.MaxDownload <= 0 {
		o.MaxDownload = 4 << 30
	}
	if o.MaxFile <= 0 {
		o.MaxFile = 2 << 30
	}
	if o.Client == nil {
		o.Client = &http.Client{Timeout: 30 * time.Minute}
	}
	byName := map[string]feed.Feed{}
	for _, f := range o.Feeds {
		byName[f.Name] = f
	}
	inputs := o.Inputs
	if len(inputs) == 0 {
		for _, f := range o.Feeds {
			for _, u := range f.URLs {
				inputs = append(inputs, Input{Feed: f.Name, Location: u})
			}
		}
	}
	// Every input names a known feed, and is allowed, before any is read.
	for _, in := range inputs {
		if _, ok := byName[in.Feed]; !ok {
			names := make([]string, 0, len(o.Feeds))
			for _, f := range o.Feeds {
				names = append(names, f.Name)
			}
			return nil, fmt.Errorf("unknown feed %q (known: %s)", in.Feed, strings.Join(names, ", "))
		}
		if u, err := url.Parse(in.Location); err == nil && (u.Scheme == "http" || u.Scheme == "https") && o.Offline {
			return nil, fmt.Errorf("%s %s: %w", in.Feed, in.Location, ErrOffline)
		}
	}
	w := NewWriter(Meta{Built: o.Built.UTC(), Tool: o.Tool})
	for _, in := range inputs {
		f := byName[in.Feed]
		info, err := importInput(ctx, &o, w, f, in)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", in.Feed, in.Location, err)
		}
		w.AddSource(*info)
	}
	return w, nil
}

// sourceSink counts and forwards what one source's parsers report.
type sourceSink struct {
	w    *Writer
	info *SourceInfo
	// single is set while reading a file the user named itself (not a
	// member of a directory or archive): a feed with one parser reads it
	// whatever its name.
	single bool
}

func (s *sourceSink) newest(t time.Time) {
	if t.After(s.info.Newest) {
		s.info.Newest = t.UTC()
	}
}

func (s *sourceSink) Advisory(r *osv.Record) error {
	added, err := s.w.Advisory(s.info.Name, r)
	if err != nil {
		return err
	}
	if r.Withdrawn != nil {
		s.info.Counts.Withdrawn++
	}
	if added {
		s.info.Counts.Advisories++
	}
	s.newest(r.Modified)
	if r.Published != nil {
		s.newest(*r.Published)
	}
	return nil
}

func (s *sourceSink) Score(sc *feed.Score) error {
	if !strings.HasPrefix(sc.CVE, "CVE-") {
		return fmt.Errorf("score for %q: not a CVE id", sc.CVE)
	}
	s.w.Score(sc)
	s.info.Counts.Scores++
	s.newest(sc.Modified)
	return nil
}

func (s *sourceSink) KEV(k *feed.KEV) error {
	if !strings.HasPrefix(k.CVE, "CVE-") {
		return fmt.Errorf("KEV entry %q: not a CVE id", k.CVE)
	}
	s.w.KEV(k)
	s.info.Counts.KEV++
	if t, err := time.Parse(time.DateOnly, k.DateAdded); err == nil {
		s.newest(t)
	}
	return nil
}

func (s *sourceSink) EPSS(e *feed.EPSS) error {
	if !strings.HasPrefix(e.CVE, "CVE-") {
		return fmt.Errorf("EPSS entry %q: not a CVE id", e.CVE)
	}
	s.w.EPSS(e)
	s.info.Counts.EPSS++
	if t, err := time.Parse(time.DateOnly, e.Date); err == nil {
		s.newest(t)
	}
	return nil
}

const maxKeptErrors = 20

func (s *sourceSink) fileError(name string, err error) {
	s.info.ErrorCount++
	if len(s.info.Errors) < maxKeptErrors {
		msg := strings.ReplaceAll(err.Error(), "\n", " ")
		s.info.Errors = append(s.info.Errors, name+": "+msg)
	}
}

func importInput(ctx context.Context, o *BuildOptions, w *Writer, f feed.Feed, in Input) (*SourceInfo, error) {
	info := &SourceInfo{Name: f.Name, Location: in.Location}
	sink := &sourceSink{w: w, info: info}
	loc := in.Location
	if u, err := url.Parse(loc); err == nil && (u.Scheme == "http" || u.Scheme == "https") {
		if o.Offline {
			return nil, ErrOffline
		}
		if o.Progress != nil {
			o.Progress("downloading " + loc)
		}
		tmp, digest, err := download(ctx, o, loc)
		if err != nil {
			return nil, err
		}
		defer os.Remove(tmp)
		info.Digest = digest
		name := path.Base(u.Path)
		sink.single = true
		if err := importFile(ctx, o, f, sink, tmp, name); err != nil {
			return nil, err
		}
		return info, nil
	}
	st, err := os.Stat(loc)
	if err != nil {
		return nil, err
	}
	if o.Progress != nil {
		o.Progress("reading " + loc)
	}
	if st.IsDir() {
		d, err := importDir(ctx, o, f, sink, loc)
		if err != nil {
			return nil, err
		}
		info.Digest = d
		return info, nil
	}
	d, err := fileDigest(loc)
	if err != nil {
		return nil, err
	}
	info.Digest = d
	sink.single = true
	return info, importFile(ctx, o, f, sink, loc, filepath.Base(loc))
}

func download(ctx context.Context, o *BuildOptions, u string) (string, string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return "", "", err
	}
	req.Header.Set("User-Agent", "pave/"+strings.TrimPrefix(o.Tool, "pave "))
	resp, err := o.Client.Do(req)
	if err != nil {
		return "", "", err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return "", "", fmt.Errorf("download: HTTP %s", resp.Status)
	}
	tmp, err := os.CreateTemp(o.TempDir, "pave-feed-*")
	if err != nil {
		return "", "", err
	}
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(resp.Body, o.MaxDownload+1))
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil && n > o.MaxDownload {
		err = fmt.Errorf("download is over the %d-byte limit", o.MaxDownload)
	}
	if err == nil && resp.ContentLength > 0 && n != resp.ContentLength {
		err = fmt.Errorf("download: got %d of %d bytes", n, resp.ContentLength)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return "", "", err
	}
	return tmp.Name(), "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

func fileDigest(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil)), nil
}

// importDir reads every regular file below root in lexical order, and
// returns the digest of the list of (path, content digest).
func importDir(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, root string) (string, error) {
	list := sha256.New()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if d.IsDir() {
			if p != root && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir // .git and friends
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil // symlinks and devices are not followed
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		rel = filepath.ToSlash(rel)
		dg, err := fileDigest(p)
		if err != nil {
			return err
		}
		fmt.Fprintf(list, "%s\x00%s\n", rel, dg)
		return importFile(ctx, o, f, sink, p, rel)
	})
	return "sha256:" + hex.EncodeToString(list.Sum(nil)), err
}

// importFile reads one file: a zip or tar archive (compressed or not), or
// a single file (compressed or not) named name.
func importFile(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, p, name string) error {
	fh, err := os.Open(p)
	if err != nil {
		return err
	}
	defer fh.Close()
	var head [4]byte
	n, _ := io.ReadFull(fh, head[:])
	if _, err := fh.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if n == 4 && string(head[:]) == "PK\x03\x04" {
		st, err := fh.Stat()
		if err != nil {
			return err
		}
		return importZip(ctx, o, f, sink, fh, st.Size(), name)
	}
	return importStream(ctx, o, f, sink, fh, name, true)
}

func importZip(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, r io.ReaderAt, size int64, name string) error {
	sink.single = false
	z, err := safefs.OpenZip(r, size, safefs.ZipLimits{MaxEntries: 2_000_000, MaxFileBytes: o.MaxFile, MaxTotalBytes: 64 << 30})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	files := slices.Clone(z.Files())
	slices.SortFunc(files, func(a, b safefs.ZipFile) int { return strings.Compare(a.Name, b.Name) })
	for _, zf := range files {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if zf.File.FileInfo().IsDir() {
			continue
		}
		rc, err := z.Open(zf)
		if err != nil {
			sink.fileError(name+"!"+zf.Name, err)
			continue
		}
		err = importStream(ctx, o, f, sink, rc, zf.Name, false)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// importStream decompresses r if needed; a tar is walked when allowTar,
// anything else is one file for the feed's parsers.
func importStream(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, r io.Reader, name string, allowTar bool) error {
	dr, comp, err := safefs.Decompress(r)
	if err != nil {
		sink.fileError(name, err)
		return nil
	}
	defer dr.Close()
	plain := name
	if comp != safefs.None {
		for _, ext := range []string{".gz", ".tgz", ".zst", ".bz2"} {
			if strings.HasSuffix(plain, ext) {
				plain = strings.TrimSuffix(plain, ext)
				if ext == ".tgz" {
					plain += ".tar"
				}
				break
			}
		}
	}
	br := bufio.NewReaderSize(dr, 64<<10)
	if allowTar {
		if h, _ := br.Peek(512); len(h) == 512 && bytes.Equal(h[257:262], []byte("ustar")) {
			return importTar(ctx, o, f, sink, br, plain)
		}
	}
	return parseOne(ctx, o, f, sink, br, plain)
}

func importTar(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, r io.Reader, name string) error {
	sink.single = false
	tr, err := safefs.NewTarReader(ctx, r, safefs.TarOptions{Limits: safefs.Limits{MaxEntries: 2_000_000, MaxBytes: 64 << 30, MaxRatio: 1000, MaxPathLen: 4096}})
	if err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	defer tr.Close()
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if !h.Mode.IsRegular() || h.Hardlink {
			continue
		}
		if err := importStream(ctx, o, f, sink, tr, h.Name, false); err != nil {
			return err
		}
	}
}

// parseOne hands a file to the first of the feed's parsers that matches
// its path.
func parseOne(ctx context.Context, o *BuildOptions, f feed.Feed, sink *sourceSink, r io.Reader, name string) error {
	for _, p := range f.Parsers {
		if !p.Match(name) && !(sink.single && len(f.Parsers) == 1) {
			continue
		}
		sink.info.Files++
		lr := &limited{r: r, n: o.MaxFile}
		if err := p.Parse(ctx, name, lr, sink); err != nil {
			if ctx.Err() != nil {
				return ctx.Err()
			}
			sink.fileError(name, err)
		} else if lr.over {
			sink.fileError(name, fmt.Errorf("over the %d-byte file limit", o.MaxFile))
		}
		return nil
	}
	return nil
}

// limited fails reads past n bytes, so a parser sees an error rather than
// a silently truncated file.
type limited struct {
	r    io.Reader
	n    int64
	over bool
}

func (l *limited) Read(p []byte) (int, error) {
	if l.n <= 0 {
		var b [1]byte
		if k, err := l.r.Read(b[:]); k == 0 {
			return 0, err
		}
		l.over = true
		return 0, fmt.Errorf("file is over the size limit")
	}
	if int64(len(p)) > l.n {
		p = p[:l.n]
	}
	n, err := l.r.Read(p)
	l.n -= int64(n)
	return n, err
}
