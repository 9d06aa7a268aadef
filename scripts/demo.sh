#!/bin/sh
# Quick start: build a signed vulnerability database from the real records
# in testdata/vulndb (with a key made for the occasion), then scan the
# sample image with it. No network.
set -eu
cd "$(dirname "$0")/.."
pave=./bin/pave
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$pave db keygen -o "$tmp/demo" >/dev/null
inputs="osv=testdata/vulndb/go osv=testdata/vulndb/pypa osv=testdata/vulndb/ghsa ghsa-csv=testdata/vulndb/ghsa/advisories-npm.csv kev=testdata/vulndb/kev"
# shellcheck disable=SC2086
$pave db build --offline -o "$tmp/pave.db" --key "$tmp/demo.key" $inputs
$pave db info --db "$tmp/pave.db" --db-key "$tmp/demo.pub" | head -6
echo
$pave scan --offline --db "$tmp/pave.db" --db-key "$tmp/demo.pub" testdata/images/sample-debian.tar
