// Scores CVSS vectors with FIRST's own calculator code.
// usage: node oracle.js v4|v30|v31 < vectors > tsv
// v4 lines: vector, score, MacroVector; v3 lines: vector, base, temporal,
// environmental score. The FIRST files must sit beside this script.
const fs = require('fs'), vm = require('vm'), path = require('path');
const dir = __dirname;
const mode = process.argv[2];
const lines = fs.readFileSync(0, 'utf8').split('\n').filter(l => l.length);
const out = [];
if (mode === 'v4') {
  const ctx = {};
  vm.createContext(ctx);
  for (const f of ['cvss_lookup.js', 'max_composed.js', 'max_severity.js', 'metrics.js', 'cvss_score.js'])
    vm.runInContext(fs.readFileSync(path.join(dir, f), 'utf8'), ctx, {filename: f});
  vm.runInContext('lookup = cvssLookup_global; order = expectedMetricOrder;', ctx);
  for (const vec of lines) {
    const sel = {};
    for (const k of Object.keys(ctx.order)) sel[k] = 'X';
    const parts = vec.split('/');
    if (parts[0] !== 'CVSS:4.0') throw new Error('bad ' + vec);
    for (const p of parts.slice(1)) { const [k, v] = p.split(':'); sel[k] = v; }
    ctx.sel = sel;
    const macro = vm.runInContext('macroVector(sel)', ctx);
    const score = vm.runInContext('cvss_score(sel, lookup, maxSeverity, macroVector(sel))', ctx);
    out.push(vec + '\t' + score.toFixed(1) + '\t' + macro);
  }
} else {
  const ctx = {};
  vm.createContext(ctx);
  const f = mode === 'v30' ? 'cvsscalc30.js' : 'cvsscalc31.js';
  vm.runInContext(fs.readFileSync(path.join(dir, f), 'utf8') + '\nthis.C = ' + (mode === 'v30' ? 'CVSS' : 'CVSS31') + ';', ctx, {filename: f});
  for (const vec of lines) {
    const r = ctx.C.calculateCVSSFromVector(vec);
    if (!r.success) throw new Error('bad ' + vec + ' ' + JSON.stringify(r));
    out.push([vec, r.baseMetricScore, r.temporalMetricScore, r.environmentalMetricScore].join('\t'));
  }
}
process.stdout.write(out.join('\n') + '\n');
