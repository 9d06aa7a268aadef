#!/usr/bin/env bash
# bench-dbsize.sh measures the size of pave's vulnerability database against
# Trivy's and osv-scanner's offline zips for the same OSV records
# (docs/benchmarks.md, "Database size").
#
#   scripts/bench-dbsize.sh            # prints a markdown table
#
# Records: the Go vulndb, PyPA and RustSec trees under $DATA
# (/var/tmp/vulndata/extracted, see its MANIFEST.tsv).
#
# - pave: `pave db build` from the three trees, signed.
# - Trivy: trivy-db at $TRIVY_DB_COMMIT, from $TRIVY_DB_SRC (a git clone;
#   cloned from GitHub when absent). Two builds:
#   1. stock `trivy-db build --only-update govulndb` over the Go tree laid
#      out as vuln-list/govulndb/data/osv (trivy-db keeps only stdlib and
#      golang.org/x/* from it; it has no PyPA or RustSec source at all);
#   2. all three trees through trivy-db's own OSV loader (pkg/vulnsrc/osv,
#      the code its govulndb/ghsa/k8s/julia sources share) and its normal
#      build pipeline (vulndb.Build: insert, optimize, cleanup), driven by a
#      small helper written into the clone as cmd/dbsize. PyPA's YAML is
#      converted to JSON first (that loader reads *.json only), with pave's
#      acccmp zips converter; JSON records are copied byte for byte.
#   Both are also compacted as trivy-db's Makefile does for release
#   (bbolt compact, txMaxSize 65536).
# - osv-scanner offline: one all.zip per ecosystem made with `zip -9` of
#   the record files as they are (PyPA as YAML), and of the JSON osv.dev
#   would serve (PyPA converted).
# Each file is measured raw, `gzip -9` and `zstd -19`.
#
# Work goes to $WORK (default /work/peers/dbsize); nothing is written into
# the repository.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
DATA=${DATA:-/var/tmp/vulndata/extracted}
WORK=${WORK:-/work/peers/dbsize}
TRIVY_DB_SRC=${TRIVY_DB_SRC:-$WORK/trivy-db}
TRIVY_DB_COMMIT=${TRIVY_DB_COMMIT:-a0049d7ad12f983e2a14b3c74a0aa914de741af0}
log() { printf 'bench-dbsize: %s\n' "$*" >&2; }

GO=$DATA/golang-vulndb-proxy/data/osv
PY=$DATA/pypa/vulns
RS=$DATA/rustsec-osv/crates
mkdir -p "$WORK"
cd "$WORK"

# pave, from a clean export of HEAD.
PAVE_REV=$(git -C "$ROOT" rev-parse --short HEAD)
src=$(mktemp -d)
git -C "$ROOT" archive HEAD | tar -x -C "$src"
(cd "$src" && go build -trimpath -buildvcs=false -o "$WORK/pave" ./cmd/pave &&
	go build -trimpath -buildvcs=false -o "$WORK/acccmp" ./internal/accuracy/cmd/acccmp)
rm -rf "$src"
[[ -s k.key ]] || ./pave db keygen -o k >/dev/null
rm -f pave.db
./pave db build --offline -o pave.db --key k.key osv="$GO" osv="$PY" osv="$RS" 2>&1 | tail -1 >&2
PAVE_RECS=$(./pave db info --db-key k.pub --format json pave.db 2>/dev/null |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["advisories"])' 2>/dev/null ||
	./pave db info --db-key k.pub pave.db | sed -n 's/^contents *\([0-9]*\) advisories.*/\1/p')

# The same records as osv.dev JSON, one zip per ecosystem (PyPA converted).
rm -rf zips && ./acccmp zips -o zips "$GO" "$PY" "$RS" >zips.tsv

# trivy-db and the helper.
if [[ ! -d $TRIVY_DB_SRC/.git ]]; then
	git clone -q --no-checkout https://github.com/aquasecurity/trivy-db "$TRIVY_DB_SRC"
fi
# Testdata is left out: one blob there is missing from some mirrors.
git -C "$TRIVY_DB_SRC" checkout -q "$TRIVY_DB_COMMIT" -- . ':(exclude)**/testdata/**'
mkdir -p "$TRIVY_DB_SRC/cmd/dbsize"
cat >"$TRIVY_DB_SRC/cmd/dbsize/main.go" <<'EOF'
// Command dbsize (pave benchmark helper, not part of trivy-db) builds a Trivy
// DB from plain OSV trees with trivy-db's own OSV loader and build pipeline,
// compacts a Trivy DB as trivy-db's Makefile does, and counts its contents.
//
//	dbsize osvall CACHE OUTDIR   # CACHE/osv/** *.json -> OUTDIR/trivy.db
//	dbsize compact SRC DST       # bbolt compact (txMaxSize 65536, as the bbolt CLI)
//	dbsize count DB              # vulnerabilities, advisories per data source
package main

import (
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	bolt "go.etcd.io/bbolt"

	"github.com/aquasecurity/trivy-db/pkg/db"
	"github.com/aquasecurity/trivy-db/pkg/ecosystem"
	"github.com/aquasecurity/trivy-db/pkg/types"
	"github.com/aquasecurity/trivy-db/pkg/vulndb"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc"
	"github.com/aquasecurity/trivy-db/pkg/vulnsrc/osv"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "dbsize:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) < 2 {
		return fmt.Errorf("usage: dbsize osvall CACHE OUT | compact SRC DST | count DB")
	}
	switch args[0] {
	case "osvall":
		if err := db.Init(args[2]); err != nil {
			return err
		}
		const id = types.SourceID("osv")
		src := osv.New("osv", id, map[ecosystem.Type]types.DataSource{
			ecosystem.Go:    {ID: id, Name: "OSV Go (golang.org/x/vulndb)", URL: "https://pkg.go.dev/vuln/"},
			ecosystem.Pip:   {ID: id, Name: "OSV PyPI (pypa/advisory-database)", URL: "https://github.com/pypa/advisory-database"},
			ecosystem.Cargo: {ID: id, Name: "OSV crates.io (rustsec/advisory-db)", URL: "https://rustsec.org"},
		})
		vdb := vulndb.New(args[1], args[2], 24*time.Hour,
			vulndb.WithVulnSrcs(map[types.SourceID]vulnsrc.VulnSrc{id: src}))
		if err := vdb.Build([]string{string(id)}); err != nil {
			return err
		}
		return db.Close()
	case "compact":
		src, err := bolt.Open(args[1], 0o444, &bolt.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer src.Close()
		dst, err := bolt.Open(args[2], 0o644, nil)
		if err != nil {
			return err
		}
		if err := bolt.Compact(dst, src, 65536); err != nil {
			return err
		}
		return dst.Close()
	case "count":
		d, err := bolt.Open(args[1], 0o444, &bolt.Options{ReadOnly: true})
		if err != nil {
			return err
		}
		defer d.Close()
		return d.View(func(tx *bolt.Tx) error {
			var lines []string
			total, pkgs := 0, 0
			ids := map[string]bool{}
			err := tx.ForEach(func(name []byte, b *bolt.Bucket) error {
				n := string(name)
				if n == "vulnerability" || n == "data-source" || n == "trivy" {
					lines = append(lines, fmt.Sprintf("bucket\t%s\t%d keys", n, b.Stats().KeyN))
					return nil
				}
				np, na := 0, 0
				b.ForEachBucket(func(pk []byte) error {
					np++
					b.Bucket(pk).ForEach(func(k, _ []byte) error {
						na++
						ids[string(k)] = true
						return nil
					})
					return nil
				})
				total += na
				pkgs += np
				lines = append(lines, fmt.Sprintf("source\t%s\t%d packages\t%d advisories", n, np, na))
				return nil
			})
			sort.Strings(lines)
			fmt.Println(strings.Join(lines, "\n"))
			fmt.Printf("total\tpackages=%d\tadvisories=%d\tvuln_ids=%d\tused_bytes=%d\n", pkgs, total, len(ids), tx.Size())
			return err
		})
	}
	return fmt.Errorf("unknown command %q", args[0])
}
EOF
(cd "$TRIVY_DB_SRC" && go build -o "$WORK/trivy-db-bin" ./cmd/trivy-db && go build -o "$WORK/dbsize-bin" ./cmd/dbsize)

# 1. stock trivy-db, Go records only.
rm -rf vl-go out-go && mkdir -p vl-go/govulndb/data
cp -r "$GO" vl-go/govulndb/data/osv
./trivy-db-bin build --cache-dir vl-go --output-dir out-go --only-update govulndb 2>&1 | tail -1 >&2
# 2. all three trees through trivy-db's OSV loader.
rm -rf vl-osv out-osv
for e in Go PyPI crates.io; do mkdir -p "vl-osv/osv/$e" && unzip -q "zips/$e/all.zip" -d "vl-osv/osv/$e"; done
./dbsize-bin osvall vl-osv out-osv 2>osvall.log
for o in out-go out-osv; do
	./dbsize-bin compact "$o/trivy.db" "$o/trivy-compact.db"
	./dbsize-bin count "$o/trivy-compact.db" >"$o/count.txt"
done

# osv-scanner offline zips.
rm -rf osvzip-asis osvzip-json && mkdir -p osvzip-asis/{Go,PyPI,crates.io} osvzip-json
(cd "$GO" && zip -q -9 -X "$WORK/osvzip-asis/Go/all.zip" ./*.json)
(cd "$PY" && zip -q -9 -X -r "$WORK/osvzip-asis/PyPI/all.zip" . -i '*.yaml')
(cd "$RS" && zip -q -9 -X "$WORK/osvzip-asis/crates.io/all.zip" ./*.json)
for e in Go PyPI crates.io; do
	mkdir -p "osvzip-json/$e" && (cd "vl-osv/osv/$e" && zip -q -9 -X "$WORK/osvzip-json/$e/all.zip" ./*.json)
done
tar -cf osvzip-asis.tar -C osvzip-asis . && tar -cf osvzip-json.tar -C osvzip-json .
tar -cf records.tar -C "$DATA" golang-vulndb-proxy/data/osv pypa/vulns rustsec-osv/crates

adv() { sed -n 's/.*advisories=\([0-9]*\).*/\1/p' "$1"; }
row() { # name records file [per-record divisor]
	local raw gz zs
	raw=$(stat -c %s "$3")
	gz=$(gzip -9 -c "$3" | wc -c)
	zs=$(zstd -19 -T1 -q -c "$3" | wc -c)
	printf '| %s | %s | %s | %s | %s | %s |\n' "$1" "$2" "$raw" "$gz" "$zs" "$((raw / ${4:-$2}))"
}
NREC=$(find "$GO" "$RS" -name '*.json' | wc -l)
NREC=$((NREC + $(find "$PY" -name '*.yaml' | wc -l)))
echo "pave $PAVE_REV, trivy-db ${TRIVY_DB_COMMIT:0:8}, $(go version | cut -d' ' -f3)"
echo
echo '| file | records (Trivy: advisory entries) | raw bytes | gzip -9 | zstd -19 | raw bytes/record |'
echo '|---|--:|--:|--:|--:|--:|'
row "source records (tar of the three trees)" "$NREC" records.tar
row "pave.db" "$PAVE_RECS" pave.db
row "trivy.db, OSV loader, as built" "$(adv out-osv/count.txt)" out-osv/trivy.db "$PAVE_RECS"
row "trivy.db, OSV loader, compacted" "$(adv out-osv/count.txt)" out-osv/trivy-compact.db "$PAVE_RECS"
row "trivy.db, stock govulndb (Go std + x only), compacted" "$(adv out-go/count.txt)" out-go/trivy-compact.db
row "osv-scanner zips as is (tar of 3 all.zip)" "$NREC" osvzip-asis.tar
row "osv-scanner zips, PyPA as JSON (tar of 3 all.zip)" "$NREC" osvzip-json.tar
echo
cat out-osv/count.txt out-go/count.txt
