#!/usr/bin/env python3
"""Writes the cargo-auditable dependency JSON (format of rust-secure-code's
auditable-serde: packages sorted by name, version, source; "dependencies" are
indices; "kind" only for build dependencies; "root" only on the root crate)
for the packages of a Cargo.lock, zlib-compressed, to stdout.

Usage: mkauditable.py Cargo.lock ROOT_CRATE > dep-v0.bin
"""
import json, sys, tomllib, zlib

lock = tomllib.load(open(sys.argv[1], "rb"))
root = sys.argv[2]
pkgs = lock["package"]
def src(p):
    s = p.get("source", "")
    if not s:
        return "local"
    if s.startswith("registry+https://github.com/rust-lang/crates.io-index"):
        return "crates.io"
    return "git" if s.startswith("git+") else "registry"
pkgs.sort(key=lambda p: (p["name"], p["version"], src(p)))
index = {}
for i, p in enumerate(pkgs):
    index.setdefault(p["name"], []).append(i)
out = []
for p in pkgs:
    e = {"name": p["name"], "version": p["version"], "source": src(p)}
    deps = []
    for d in p.get("dependencies", []):
        name = d.split(" ")[0]
        cands = index.get(name, [])
        if len(d.split(" ")) > 1:
            cands = [i for i in cands if pkgs[i]["version"] == d.split(" ")[1]]
        deps.extend(cands[:1])
    if deps:
        e["dependencies"] = sorted(deps)
    if p["name"] == root:
        e["root"] = True
    out.append(e)
sys.stdout.buffer.write(zlib.compress(json.dumps({"packages": out}, separators=(",", ":")).encode(), 9))
