#!/usr/bin/env bash
# accuracy.sh measures pave's vulnerability matching against osv-scanner's
# on exactly the same OSV records and the same inputs, finding by finding
# (docs/accuracy.md reports a run and judges every disagreement).
#
# 1. The OSV record trees under $DATA (Go vulndb, RustSec, PyPA, AlmaLinux,
#    GHSA samples) are written as osv.dev exports them,
#    $ACC/db/osv-scalibr/<ecosystem>/all.zip, the layout osv-scanner's
#    offline mode reads. Data osv-scanner can read only as OSV goes
#    through pave's own feed parsers into the zips: Debian's DSA/DLA/DTSA
#    lists, the GHSA CSV files (npm, Maven, NuGet) and RubySec's gem
#    advisories. pave's database is built from the same zips.
# 2. Inputs: manifests pinning every version the records name (acccmp
#    inputs), the real npm lockfile fixture, the sample image, and when
#    present the SBOM benchmark image ($BENCH_IMAGE, scripts/mkbenchimage.sh)
#    and a directory of Go binaries built with an old toolchain ($GOBINS).
# 3. Both tools scan each input offline; acccmp compares per package
#    version and alias group, and an independent evaluator (Python,
#    `packaging` for PEP 440) judges every disagreement and every
#    package either tool listed.
#
#   scripts/accuracy.sh                 # all inputs; prints the tables
#   INPUTS="boundary npm" scripts/accuracy.sh
#
# Needs: go, osv-scanner built from its repository ($OSVSCANNER, default
# /work/peers/bin/osv-scanner), /usr/bin/python3 with packaging (Debian's
# python3-packaging) for the evaluator (skipped without it).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
ACC=${ACC:-/var/tmp/acc}
DATA=${DATA:-/var/tmp/vulndata/extracted}
OSVSCANNER=${OSVSCANNER:-/work/peers/bin/osv-scanner}
BENCH_IMAGE=${BENCH_IMAGE:-/var/tmp/pave-bench/bench.tar}
GOBINS=${GOBINS:-/work/peers/gobins}
INPUTS=${INPUTS:-"boundary npm sample bench gobins"}
PY=${PY:-/usr/bin/python3}

log() { printf 'accuracy: %s\n' "$*" >&2; }

[[ -x $OSVSCANNER ]] || { log "no osv-scanner at $OSVSCANNER"; exit 1; }
mkdir -p "$ACC/bin" "$ACC/out"
OUT=$ACC/out
DB=$ACC/db/osv-scalibr

# pave and acccmp from a clean export of HEAD, so uncommitted work does
# not leak in.
PAVE_REV=$(git -C "$ROOT" rev-parse --short HEAD)
src=$(mktemp -d)
git -C "$ROOT" archive HEAD | tar -x -C "$src"
(cd "$src" && go build -trimpath -buildvcs=false -o "$ACC/bin/pave" ./cmd/pave &&
	go build -trimpath -buildvcs=false -o "$ACC/bin/acccmp" ./internal/accuracy/cmd/acccmp)
rm -rf "$src"
PAVE=$ACC/bin/pave
ACCCMP=$ACC/bin/acccmp
log "pave $PAVE_REV; $("$OSVSCANNER" --version 2>/dev/null | head -1)"

# 1. The same records for both.
rm -rf "$ACC/db"
"$ACCCMP" zips -o "$DB" "$DATA/golang-vulndb-proxy/data/osv" "$DATA/rustsec-osv/crates" \
	"$DATA/pypa/vulns" "$DATA/almalinux-osv" "$DATA/ghsa-osv-samples" >"$OUT/zips.tsv"
# Formats osv-scanner cannot read go in through pave's own parsers, as OSV.
"$ACCCMP" feed -o "$DB" debian-list "$DATA"/debian-dsa-dla-2023/data/{DSA,DLA,DTSA}/list >>"$OUT/zips.tsv"
"$ACCCMP" feed -o "$DB" ghsa-csv "$DATA"/ghsa-openrewrite-csv-2024/advisories-{npm,maven,nuget}.csv >>"$OUT/zips.tsv"
"$ACCCMP" feed -o "$DB" rubysec "$DATA/rubysec/gems" >>"$OUT/zips.tsv"
# osv-scanner's offline mode reports nothing at all when one ecosystem of
# the input has no zip: the others get an empty one.
"$ACCCMP" empty -o "$DB" Alpine Ubuntu Packagist Pub Hex CRAN Hackage ConanCenter SwiftURL GIT \
	"Red Hat" "Rocky Linux" openSUSE SUSE Wolfi Chainguard Bitnami >>"$OUT/zips.tsv"
cat "$OUT/zips.tsv" >&2
[[ -s $ACC/k.key ]] || "$PAVE" db keygen -o "$ACC/k" >/dev/null
feeds=()
for z in "$DB"/*/all.zip; do feeds+=("osv=$z"); done
"$PAVE" db build --offline -o "$ACC/pave.db" --key "$ACC/k.key" "${feeds[@]}" 2>&1 | tail -1 >&2

# 2. and 3. Each input through both tools.
OSV_FLAGS=(--offline --local-db-path "$ACC/db" --all-vulns --all-packages --no-call-analysis=all -f json)
pave_scan() { # name target
	"$PAVE" scan --db "$ACC/pave.db" --db-key "$ACC/k.pub" -f json "$2" >"$OUT/$1-pave.json" 2>"$OUT/$1-pave.log" || true
}
osv_source() { # name dir [extra flags]
	local name=$1 dir=$2
	shift 2
	"$OSVSCANNER" scan source -r "${OSV_FLAGS[@]}" "$@" --output-file "$OUT/$name-osv.json" "$dir" >"$OUT/$name-osv.log" 2>&1 || true
}
osv_image() { # name tar [extra flags]
	local name=$1 tar=$2
	shift 2
	"$OSVSCANNER" scan image --archive "${OSV_FLAGS[@]}" "$@" --output-file "$OUT/$name-osv.json" "$tar" >"$OUT/$name-osv.log" 2>&1 || true
}

# write_oracle writes the independent evaluator to $1.
write_oracle() {
	cat >"$1" <<'ORACLE'
#!/usr/bin/python3
"""Independent verdicts on pave's and osv-scanner's findings.

With `DBDIR` and acccmp's disagreement lines on stdin ("only-pave\t
matching\tECO/name@ver\tids"), says whether the version is affected by
any of the records. With `DBDIR inventory` and acccmp's inventory
(key, pave ids, osv-scanner ids) on stdin, judges every record that names
each package and prints where a tool differs from the verdict.

A version is affected when a record lists it, or when it lies in a
SEMVER or ECOSYSTEM range read as the OSV schema means it: intervals
[introduced, fixed) or [introduced, last_affected], paired in record
order, or, when the events do not pair up (or an interval ends before it
starts), the schema's sorted timeline walk. PyPI versions are ordered by `packaging` (PEP 440); the others by
SemVer 2.0.0. A version either ordering rejects is "undecided"; other
ecosystems (Maven, RubyGems, ...) are "n/a".
"""
import functools, glob, json, re, sys, zipfile

from packaging.version import InvalidVersion, Version


def semver_key(v):
    m = re.fullmatch(r'v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?', v)
    if not m:
        raise ValueError(v)
    return (int(m[1]), int(m[2]), int(m[3])), m[4]


def semver_cmp(a, b):
    (na, pa), (nb, pb) = semver_key(a), semver_key(b)
    if na != nb:
        return -1 if na < nb else 1
    if pa == pb:
        return 0
    if pa is None:
        return 1
    if pb is None:
        return -1
    xa, xb = pa.split('.'), pb.split('.')
    for x, y in zip(xa, xb):
        if x == y:
            continue
        dx, dy = x.isdigit(), y.isdigit()
        if dx and dy:
            return -1 if int(x) < int(y) else 1
        if dx != dy:
            return -1 if dx else 1
        return -1 if x < y else 1
    return (len(xa) > len(xb)) - (len(xa) < len(xb))


def pep440_cmp(a, b):
    va, vb = Version(a), Version(b)
    return (va > vb) - (va < vb)


def in_range(cmp, events, v):
    evs = [(k, x) for e in events for k, x in e.items()]
    limits = [x for k, x in evs if k == 'limit' and x != '*']
    if limits and not any(cmp(v, x) < 0 for x in limits):
        return False
    evs = [(k, x) for k, x in evs if k != 'limit']
    pairs, open_, ok = [], None, True
    for k, x in evs:
        if k == 'introduced':
            ok = ok and open_ is None
            open_ = x
        else:
            # An interval that ends before it starts does not pair up.
            ok = ok and open_ is not None and (open_ == '0' or cmp(open_, x) <= 0)
            pairs.append((open_, k, x))
            open_ = None
    if ok:
        if open_ is not None:
            pairs.append((open_, None, None))
        for lo, k, hi in pairs:
            if lo != '0' and cmp(v, lo) < 0:
                continue
            if k is None or k == 'fixed' and cmp(v, hi) < 0 or k == 'last_affected' and cmp(v, hi) <= 0:
                return True
        return False

    def order(a, b):
        if a == ('introduced', '0'):
            return -1
        if b == ('introduced', '0'):
            return 1
        return cmp(a[1], b[1])
    vuln = False
    for k, x in sorted(evs, key=functools.cmp_to_key(order)):
        if k == 'introduced' and (x == '0' or cmp(v, x) >= 0):
            vuln = True
        elif k == 'fixed' and cmp(v, x) >= 0:
            vuln = False
        elif k == 'last_affected' and cmp(v, x) > 0:
            vuln = False
    return vuln


def norm(eco, name):
    return re.sub(r'[-_.]+', '-', name).lower() if eco == 'PyPI' else name


def verdict(eco, name, ver, r):
    cmp = pep440_cmp if eco == 'PyPI' else semver_cmp
    out = 'not-affected'
    if r.get('withdrawn'):
        return out
    for a in r.get('affected', []):
        p = a.get('package', {})
        if p.get('ecosystem', '').split(':')[0] != eco or norm(eco, p.get('name', '')) != name:
            continue
        if ver in a.get('versions', []):
            return 'affected'
        for rg in a.get('ranges', []):
            if rg['type'] not in ('SEMVER', 'ECOSYSTEM'):
                continue
            try:
                if in_range(cmp, rg['events'], ver):
                    return 'affected'
            except (ValueError, InvalidVersion):
                out = 'undecided'
    return out


def split_key(key):
    eco, rest = key.split('/', 1)
    name, ver = rest.rsplit('@', 1)
    return eco, name, ver


recs = {}
for z in glob.glob(sys.argv[1] + '/*/all.zip'):
    with zipfile.ZipFile(z) as zf:
        for n in zf.namelist():
            recs.setdefault(n[:-5], zf.read(n))

if len(sys.argv) > 2 and sys.argv[2] == 'inventory':
    by_pkg = {}
    for i, raw in recs.items():
        for a in json.loads(raw).get('affected', []):
            eco = a.get('package', {}).get('ecosystem', '').split(':')[0]
            by_pkg.setdefault((eco, norm(eco, a.get('package', {}).get('name', ''))), set()).add(i)
    for line in sys.stdin:
        key, pave, osv = (line.rstrip('\n').split('\t') + ['', ''])[:3]
        eco, name, ver = split_key(key)
        if eco not in ('Go', 'PyPI', 'crates.io', 'npm'):
            continue
        pave, osv = set(filter(None, pave.split(','))), set(filter(None, osv.split(',')))
        for i in sorted(by_pkg.get((eco, name), ())):
            v = verdict(eco, name, ver, json.loads(recs[i]))
            p, o = i in pave, i in osv
            if v == 'affected' and p and o or v == 'not-affected' and not p and not o:
                continue
            print(v, 'pave' if p else '-', 'osv-scanner' if o else '-', key, i, sep='\t')
    sys.exit(0)

for line in sys.stdin:
    f = line.rstrip('\n').split('\t')
    if len(f) != 4 or not f[0].startswith('only-'):
        continue
    eco, name, ver = split_key(f[2])
    if eco not in ('Go', 'PyPI', 'crates.io', 'npm'):
        print('n/a', line.rstrip('\n'), sep='\t')
        continue
    out = 'not-affected'
    for i in f[3].split(','):
        if i in recs:
            v = verdict(eco, name, ver, json.loads(recs[i]))
            if v == 'affected' or v == 'undecided' and out == 'not-affected':
                out = v
    print(out, line.rstrip('\n'), sep='\t')
ORACLE
}

ran=()
for input in $INPUTS; do
	case $input in
	boundary)
		rm -rf "$ACC/inputs/boundary"
		"$ACCCMP" inputs -db "$DB" -o "$ACC/inputs/boundary" -listed 20 | sort >&2
		for e in go pypi cargo npm; do
			pave_scan "boundary-$e" "$ACC/inputs/boundary/$e"
			osv_source "boundary-$e" "$ACC/inputs/boundary/$e"
			ran+=("boundary-$e")
		done
		;;
	npm)
		mkdir -p "$ACC/inputs/npm-lockfile"
		cp "$DATA/fixtures/npm-lockfile/package-lock.json" "$ACC/inputs/npm-lockfile/"
		pave_scan npm-lockfile "$ACC/inputs/npm-lockfile"
		osv_source npm-lockfile "$ACC/inputs/npm-lockfile"
		ran+=(npm-lockfile)
		;;
	sample | bench)
		tar=$ROOT/testdata/images/sample-debian.tar
		[[ $input == bench ]] && tar=$BENCH_IMAGE
		if [[ ! -s $tar ]]; then
			log "no $tar: $input skipped (scripts/mkbenchimage.sh builds it)"
			continue
		fi
		pave_scan "$input" "$tar"
		# osv-scanner scans images for installed packages only; the
		# lockfile plugins make it read the lockfiles pave reads too.
		osv_image "$input-default" "$tar"
		osv_image "$input" "$tar" --experimental-plugins artifact --experimental-plugins lockfile
		ran+=("$input")
		;;
	gobins)
		if [[ ! -d $GOBINS ]]; then
			log "no $GOBINS: gobins skipped"
			continue
		fi
		pave_scan gobins "$GOBINS"
		osv_source gobins "$GOBINS" --experimental-plugins artifact
		ran+=(gobins)
		;;
	*) log "unknown input $input" && exit 2 ;;
	esac
done

# The comparison, per input and over all of them.
oracle=$OUT/oracle.py
write_oracle "$oracle"
have_oracle=false
"$PY" -c 'import packaging' 2>/dev/null && have_oracle=true
pj=() oj=()
for r in "${ran[@]}"; do
	printf '\n## %s\n\n' "$r"
	"$ACCCMP" compare -pave "$OUT/$r-pave.json" -osv "$OUT/$r-osv.json" -db "$DB" -grouping \
		-inventory "$OUT/$r-inventory.tsv" >"$OUT/$r-compare.txt"
	sed -n '1,/^$/p' "$OUT/$r-compare.txt"
	if $have_oracle; then
		grep -P '^only-[a-z-]+\t' "$OUT/$r-compare.txt" | "$PY" "$oracle" "$DB" >"$OUT/$r-verdicts.tsv" || true
		"$PY" "$oracle" "$DB" inventory <"$OUT/$r-inventory.tsv" >"$OUT/$r-oracle.tsv" || true
		echo "Evaluator on the disagreements (verdict, who reports it):"
		cut -f1,2 "$OUT/$r-verdicts.tsv" | sort | uniq -c
		echo "Evaluator on every package either tool listed (verdict, pave, osv-scanner), where it differs from a tool:"
		cut -f1-3 "$OUT/$r-oracle.tsv" | sort | uniq -c
	fi
	pj+=("$OUT/$r-pave.json") oj+=("$OUT/$r-osv.json")
done
if ((${#ran[@]} > 1)); then
	printf '\n## all inputs\n\n'
	"$ACCCMP" compare -pave "$(IFS=,; echo "${pj[*]}")" -osv "$(IFS=,; echo "${oj[*]}")" | sed -n '1,/^$/p'
fi
log "outputs in $OUT"
