// Writes semver-oracle.json: for node-semver ranges (every
// vulnerable_versions of the advisories given as arguments, plus grammar
// cases below) and versions around each bound, whether node-semver says
// the version satisfies the range (loose, includePrerelease: the ordering
// OSV events have). Run from the repository root:
//
//   node internal/feed/npmadvisory/testdata/oracle.js \
//     /var/tmp/vulndata/extracted/nodejs-security-wg/vuln/npm/*.json
//
// SEMVER is node-semver's path; npm bundles it.
'use strict';
const fs = require('fs');
const path = require('path');
const semver = require(process.env.SEMVER || '/usr/lib/node_modules/npm/node_modules/semver');

const grammar = [
  '*', '', 'x', '1.x', '1.2.x', '1', '1.2', '=1.2', '1.2.3', 'v1.2.3', '=v1.2.3',
  '^1.2.3', '^0.2.3', '^0.0.3', '^1.2.x', '^0.0.x', '^0.0', '^1.x', '^0.x', '^1.2.3-beta.2',
  '~1.2.3', '~1.2', '~1', '~0.2.3', '~1.2.3-beta.2', '~>1.2.3',
  '>1', '>1.2', '>1.2.3', '>=1', '>=1.2', '<1', '<1.2', '<=1', '<=1.2', '<1.2.3-rc.1',
  '1.2.3 - 2.3.4', '1.2 - 2.3.4', '1.2.3 - 2.3', '1.2.3 - 2', '* - 2', '1.2.3-pre - 2.0.0-rc.1',
  '>= 1.0.0-beta', '<= 1.2.3 || >= 2.0.0 < 2.0.5', '<*', '>*', '>=*', '1.2.3+build', '>=0.0.0',
];

const ranges = new Set(grammar);
for (const f of process.argv.slice(2)) {
  const a = JSON.parse(fs.readFileSync(f, 'utf8'));
  if (a.vulnerable_versions) ranges.add(a.vulnerable_versions);
}

function around(v) {
  const out = [v.version, `${v.major}.${v.minor}.${v.patch + 1}`, `${v.major}.${v.minor + 1}.0`,
    `${v.major + 1}.0.0`, `${v.major}.${v.minor}.${v.patch}-0`, `${v.major}.${v.minor}.${v.patch + 1}-0`,
    `${v.major}.${v.minor + 1}.0-rc.1`, `${v.major + 1}.0.0-alpha`];
  if (v.prerelease.length) {
    out.push(v.version + '.0', v.version + '.1', `${v.major}.${v.minor}.${v.patch}`);
  } else {
    out.push(v.version + '-alpha.1');
  }
  if (v.patch > 0) out.push(`${v.major}.${v.minor}.${v.patch - 1}`);
  if (v.minor > 0) out.push(`${v.major}.${v.minor - 1}.0`);
  return out;
}

const cases = [];
for (const r of [...ranges].sort()) {
  const range = new semver.Range(r, { loose: true });
  const versions = new Set(['0.0.0', '0.0.1-0', '0.1.0', '1.0.0', '99.999.99999', '100.0.0']);
  for (const set of range.set) {
    for (const c of set) {
      if (c.semver !== semver.Comparator.ANY) around(c.semver).forEach(v => versions.add(v));
    }
  }
  const want = {};
  for (const v of [...versions].sort()) {
    want[v] = semver.satisfies(v, range, { loose: true, includePrerelease: true });
  }
  cases.push({ range: r, versions: want });
}
const out = path.join(__dirname, 'semver-oracle.json');
const pkg = require(path.join(path.dirname(require.resolve(process.env.SEMVER || '/usr/lib/node_modules/npm/node_modules/semver')), 'package.json'));
fs.writeFileSync(out, `{"node_semver": ${JSON.stringify(pkg.version)}, "cases": [\n` +
  cases.map(c => JSON.stringify(c)).join(',\n') + '\n]}\n');
console.log(`${cases.length} ranges -> ${out}`);
