package vulndb

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/pavesec/pave/internal/feed"
	"github.com/pavesec/pave/internal/osv"
)

func readRecords(t testing.TB) []osv.Record {
	t.Helper()
	files, _ := filepath.Glob("testdata/osv/*.json")
	if len(files) == 0 {
		t.Fatal("no testdata")
	}
	var out []osv.Record
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var r osv.Record
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		out = append(out, r)
	}
	return out
}

func testKey(t testing.TB) (*PrivateKey, *PublicKey) {
	t.Helper()
	priv, pub, id, err := GenerateKey()
	if err != nil {
		t.Fatal(err)
	}
	k, err := ParsePrivateKey(priv)
	if err != nil {
		t.Fatal(err)
	}
	p, err := ParsePublicKey(pub, "test")
	if err != nil {
		t.Fatal(err)
	}
	if k.ID != id || p.ID != id {
		t.Fatalf("key ids differ: %s %s %s", k.ID, p.ID, id)
	}
	return k, p
}

func buildDB(t testing.TB, key *PrivateKey) []byte {
	t.Helper()
	w := NewWriter(Meta{Built: time.Date(2026, 11, 26, 0, 0, 0, 0, time.UTC), Tool: "pave test"})
	for _, r := range readRecords(t) {
		if _, err := w.Advisory("osv", &r); err != nil {
			t.Fatal(err)
		}
	}
	w.KEV(&feed.KEV{CVE: "CVE-2021-33194", DateAdded: "2022-01-01"})
	w.EPSS(&feed.EPSS{CVE: "CVE-2021-33194", Score: 0.5, Percentile: 0.9})
	w.Score(&feed.Score{CVE: "CVE-2021-33194", Source: "nvd", Severity: []osv.Severity{{Type: osv.SeverityCVSSv3, Score: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H"}}})
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, key); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestRoundTrip(t *testing.T) {
	key, pub := testKey(t)
	data := buildDB(t, key)
	db, err := openBytes(data, OpenOptions{Keys: []PublicKey{*pub}})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Signer() == nil || db.Signer().ID != pub.ID {
		t.Errorf("signer = %v, want %s", db.Signer(), pub.ID)
	}
	m := db.Meta()
	if m.Counts.Advisories != 4 || m.Counts.CVEs != 1 || m.Counts.KEV != 1 || m.Counts.EPSS != 1 || m.Counts.Scores != 1 {
		t.Errorf("counts = %+v", m.Counts)
	}
	tests := []struct {
		eco, name string
		want      []string
	}{
		{"Go", "golang.org/x/net", []string{"GO-2020-0014", "GO-2021-0238"}},
		{"Go", "stdlib", []string{"GO-2021-0067"}},
		{"AlmaLinux:8", "gupnp", []string{"ALSA-2021:2363"}},
		{"AlmaLinux", "gupnp-devel", []string{"ALSA-2021:2363"}}, // a reference entry
		{"AlmaLinux:8", "gupnp-dev", nil},
		{"Go", "golang.org/x", nil}, // a prefix of a name is not the name
		{"PyPI", "golang.org/x/net", nil},
	}
	for _, tc := range tests {
		got, err := db.Advisories(tc.eco, tc.name)
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, a := range got {
			ids = append(ids, a.Record.ID)
			if a.Source != "osv" {
				t.Errorf("source %q", a.Source)
			}
		}
		if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
			t.Errorf("Advisories(%s, %s) = %v, want %v", tc.eco, tc.name, ids, tc.want)
		}
	}
	c, err := db.CVE("CVE-2021-33194")
	if err != nil || c == nil || c.KEV == nil || c.EPSS == nil || c.EPSS.Percentile != 0.9 || len(c.Scores) != 1 {
		t.Errorf("CVE = %+v, %v", c, err)
	}
	if c, err := db.CVE("CVE-2000-0001"); c != nil || err != nil {
		t.Errorf("missing CVE = %+v, %v", c, err)
	}
	n := 0
	if err := db.Each(func(Advisory) error { n++; return nil }); err != nil || n != 4 {
		t.Errorf("Each saw %d records (%v), want 4", n, err)
	}
}

func TestVerify(t *testing.T) {
	key, pub := testKey(t)
	_, other := testKey(t)
	signed := buildDB(t, key)
	unsigned := buildDB(t, nil)

	flip := func(b []byte, i int) []byte {
		c := bytes.Clone(b)
		c[i] ^= 1
		return c
	}
	resigned, err := Sign(unsigned, key)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
		opts OpenOptions
		want error // nil: opens
	}{
		{"signed, trusted", signed, OpenOptions{Keys: []PublicKey{*pub}}, nil},
		{"signed, trusted among others", signed, OpenOptions{Keys: []PublicKey{*other, *pub}}, nil},
		{"signed later with Sign", resigned, OpenOptions{Keys: []PublicKey{*pub}}, nil},
		{"signed, wrong key", signed, OpenOptions{Keys: []PublicKey{*other}}, ErrUntrusted},
		{"signed, no keys", signed, OpenOptions{}, ErrUntrusted},
		{"unsigned", unsigned, OpenOptions{Keys: []PublicKey{*pub}}, ErrUntrusted},
		{"unsigned, skip", unsigned, OpenOptions{SkipVerify: true}, nil},
		{"tampered block", flip(signed, 20), OpenOptions{Keys: []PublicKey{*pub}}, ErrUntrusted},
		{"tampered, skip", flip(signed, 20), OpenOptions{SkipVerify: true}, nil}, // opens, lookups may fail
		{"truncated", signed[:len(signed)-3], OpenOptions{Keys: []PublicKey{*pub}}, ErrFormat},
		{"not a db", []byte("hello, this is not a database at all!!!!!!!!"), OpenOptions{}, ErrFormat},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			db, err := openBytes(tc.data, tc.opts)
			if tc.want == nil {
				if err != nil {
					t.Fatalf("open: %v", err)
				}
				if tc.opts.SkipVerify && db.Signer() != nil && !bytes.Equal(tc.data, signed) {
					t.Error("skip-verify on untrusted data reports a signer")
				}
				return
			}
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if strings.Contains(err.Error(), "\n") {
				t.Errorf("multi-line error %q", err)
			}
		})
	}
}

func TestNormalizeName(t *testing.T) {
	tests := []struct{ eco, in, want string }{
		{"PyPI", "Flask_RESTx", "flask-restx"},
		{"PyPI", "zope.interface", "zope-interface"},
		{"PyPI", "a--_.b", "a-b"},
		{"crates.io", "Serde_JSON", "serde-json"},
		{"NuGet", "Newtonsoft.Json", "newtonsoft.json"},
		{"npm", "JSONStream", "JSONStream"},
		{"Debian:12", "glibc", "glibc"},
	}
	for _, tc := range tests {
		if got := NormalizeName(tc.eco, tc.in); got != tc.want {
			t.Errorf("NormalizeName(%s, %s) = %s, want %s", tc.eco, tc.in, got, tc.want)
		}
	}
}

func FuzzOpen(f *testing.F) {
	f.Add(buildDB(f, nil))
	f.Add([]byte(magicStart + strings.Repeat("\x00", 24) + magicMeta))
	f.Fuzz(func(t *testing.T, data []byte) {
		db, err := openBytes(data, OpenOptions{SkipVerify: true})
		if err != nil {
			return
		}
		defer db.Close()
		_ = db.Each(func(Advisory) error { return nil })
		_, _ = db.Advisories("Go", "stdlib")
		_, _ = db.CVE("CVE-2021-33194")
	})
}

func BenchmarkOpen(b *testing.B) {
	key, pub := testKey(b)
	data := buildDB(b, key)
	b.SetBytes(int64(len(data)))
	for b.Loop() {
		db, err := openBytes(data, OpenOptions{Keys: []PublicKey{*pub}})
		if err != nil {
			b.Fatal(err)
		}
		db.Close()
	}
}

// TestMergeSameID: feeds that publish one entry per package under one id
// (Alpine's secdb, Debian's tracker) keep every part; a later version of a
// record replaces an earlier one.
func TestMergeSameID(t *testing.T) {
	mk := func(pkg string, mod time.Time, fixed string) *osv.Record {
		return &osv.Record{ID: "ALPINE-CVE-2019-14697", Modified: mod, Upstream: []string{"CVE-2019-14697"},
			Affected: []osv.Affected{{Package: osv.Package{Ecosystem: "Alpine:v3.10", Name: pkg},
				Ranges: []osv.Range{{Type: osv.RangeEcosystem, Events: []osv.Event{{Introduced: "0"}, {Fixed: fixed}}}}}}}
	}
	var zero time.Time
	later := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	w := NewWriter(Meta{Built: later})
	for _, r := range []*osv.Record{mk("musl", zero, "1.1.22-r3"), mk("musl-utils", zero, "1.1.22-r3"), mk("musl", zero, "1.1.22-r3")} {
		if _, err := w.Advisory("alpine", r); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if _, err := w.WriteTo(&buf, nil); err != nil {
		t.Fatal(err)
	}
	db, err := openBytes(buf.Bytes(), OpenOptions{SkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, pkg := range []string{"musl", "musl-utils"} {
		got, err := db.Advisories("Alpine:v3.10", pkg)
		if err != nil || len(got) != 1 || len(got[0].Record.Affected) != 2 {
			t.Errorf("%s: %d advisories (%v); want 1 with both packages", pkg, len(got), err)
		}
	}

	// A newer version replaces; an older one is dropped.
	w = NewWriter(Meta{Built: later})
	w.Advisory("alpine", mk("musl", zero, "1.1.22-r3"))
	w.Advisory("alpine", mk("musl", later, "1.1.22-r4"))
	w.Advisory("alpine", mk("musl", zero, "1.1.22-r2"))
	buf.Reset()
	w.WriteTo(&buf, nil)
	db, _ = openBytes(buf.Bytes(), OpenOptions{SkipVerify: true})
	got, _ := db.Advisories("Alpine", "musl")
	if len(got) != 1 || got[0].Record.Affected[0].Ranges[0].Events[1].Fixed != "1.1.22-r4" || len(got[0].Record.Affected) != 1 {
		t.Errorf("got %+v, want only the later record", got)
	}
}
