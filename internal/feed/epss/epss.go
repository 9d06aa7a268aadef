// Package epss reads FIRST's Exploit Prediction Scoring System daily
// scores, the CSV published at
// https://epss.empiricalsecurity.com/epss_scores-current.csv.gz (formerly
// epss.cyentia.com), and reports one feed.EPSS per CVE.
//
// The format:
//
//	#model_version:v2025.03.14,score_date:2025-11-25T12:55:00Z
//	cve,epss,percentile
//	CVE-1999-0001,0.01141,0.77795
//
// The comment line gives the score date (feed.EPSS.Date takes its day);
// files before 2022 have no comment line and no percentile column, and
// both are optional here. Scores and percentiles must lie in [0, 1]; a
// row that breaks that, or whose CVE id is malformed, is named in the
// returned error and skipped. The model version is not kept.
//
// The file has about 300,000 rows: it is read line by line, never held.
package epss

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math"
	"path"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/pavesec/pave/internal/feed"
)

// CurrentURL is where the day's scores are published.
const CurrentURL = "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz"

// DefaultURLs returns the current scores.
func DefaultURLs() []string { return []string{CurrentURL} }

// Bounds: the real file is about 10 MB uncompressed.
const (
	maxBytes = 1 << 30
	maxLine  = 4 << 10
	maxRows  = 20_000_000
)

// Parser reads EPSS score files.
type Parser struct{}

var _ feed.Parser = (*Parser)(nil)

// New returns the EPSS parser.
func New() *Parser { return &Parser{} }

// Name implements feed.Parser.
func (*Parser) Name() string { return "epss" }

var reFile = regexp.MustCompile(`^epss_scores-[A-Za-z0-9_-]+\.csv$`)

// Match implements feed.Parser: epss_scores-current.csv,
// epss_scores-2025-11-25.csv.
func (*Parser) Match(p string) bool {
	return reFile.MatchString(path.Base(feed.TrimCompression(p)))
}

var reCVE = regexp.MustCompile(`^CVE-[0-9]{4}-[0-9]{4,19}$`)

// Parse implements feed.Parser.
func (*Parser) Parse(ctx context.Context, name string, r io.Reader, out feed.Sink) error {
	sc := bufio.NewScanner(feed.LimitReader(r, maxBytes))
	sc.Buffer(make([]byte, 0, maxLine), maxLine)
	prob := &feed.Problems{Prefix: "epss: " + name + ": "}
	var (
		date          string
		lineNo, rows  int
		header        bool
		hasPercentile bool
	)
	fail := func(format string, args ...any) error {
		return errors.Join(fmt.Errorf("epss: parse %s line %d: %s", name, lineNo, fmt.Sprintf(format, args...)), prob.Err())
	}
	for sc.Scan() {
		lineNo++
		line := strings.TrimRight(sc.Text(), "\r")
		if lineNo == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		if !header {
			switch {
			case strings.HasPrefix(line, "#"):
				if lineNo != 1 {
					return fail("comment line after the first line")
				}
				d, err := scoreDate(line)
				if err != nil {
					return fail("%v", err)
				}
				date = d
			case line == "cve,epss,percentile":
				header, hasPercentile = true, true
			case line == "cve,epss":
				header = true
			default:
				return fail("want the header \"cve,epss,percentile\", got %q: not an EPSS file", feed.Clip(line))
			}
			continue
		}
		if line == "" {
			continue
		}
		if rows++; rows > maxRows {
			return fail("more than %d rows", maxRows)
		}
		if rows%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		e, err := row(line, hasPercentile)
		if err != nil {
			prob.Add("line %d: %v; row skipped", lineNo, err)
			continue
		}
		e.Date = date
		if err := out.EPSS(&e); err != nil {
			return err
		}
	}
	if err := sc.Err(); err != nil {
		lineNo++
		return fail("%v", err)
	}
	if !header {
		return fail("no header: not an EPSS file")
	}
	return prob.Err()
}

// row reads "CVE-…,score[,percentile]".
func row(line string, hasPercentile bool) (feed.EPSS, error) {
	fields := strings.Split(line, ",")
	want := 2
	if hasPercentile {
		want = 3
	}
	if len(fields) != want {
		return feed.EPSS{}, fmt.Errorf("%d fields, want %d", len(fields), want)
	}
	cve := fields[0]
	if !reCVE.MatchString(cve) {
		return feed.EPSS{}, fmt.Errorf("%q is not a CVE id", feed.Clip(cve))
	}
	score, err := probability(fields[1])
	if err != nil {
		return feed.EPSS{}, fmt.Errorf("%s: epss %v", cve, err)
	}
	e := feed.EPSS{CVE: cve, Score: score}
	if hasPercentile {
		if e.Percentile, err = probability(fields[2]); err != nil {
			return feed.EPSS{}, fmt.Errorf("%s: percentile %v", cve, err)
		}
	}
	return e, nil
}

// probability parses a number in [0, 1].
func probability(s string) (float64, error) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(f) {
		return 0, fmt.Errorf("%q is not a number", feed.Clip(s))
	}
	if f < 0 || f > 1 {
		return 0, fmt.Errorf("%s is outside [0, 1]", s)
	}
	return f, nil
}

// scoreDate reads the day of "#model_version:…,score_date:2025-11-25T12:55:00Z"
// (older files: "…+0000"). A comment without score_date gives "".
func scoreDate(comment string) (string, error) {
	for _, kv := range strings.Split(strings.TrimPrefix(comment, "#"), ",") {
		k, v, _ := strings.Cut(kv, ":")
		if strings.TrimSpace(k) != "score_date" {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) < 10 {
			return "", fmt.Errorf("score_date %q is not a date", feed.Clip(v))
		}
		if _, err := time.Parse(time.DateOnly, v[:10]); err != nil {
			return "", fmt.Errorf("score_date %q is not a date", feed.Clip(v))
		}
		return v[:10], nil
	}
	return "", nil
}
