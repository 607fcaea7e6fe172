#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The JSON schema's abidiff: holds data/schema/directpath.schema.json to its
committed baseline, abi/schema/directpath.schema.json.

  schema-compat.py check BASELINE CURRENT
      Fails (exit 1) when CURRENT breaks a document that BASELINE describes
      and its major version is the baseline's: a $defs document or property
      removed (or renamed), a type narrowed (null dropped, string made
      integer), an enum word or const dropped, a pattern or bound changed or
      tightened, an object closed (additionalProperties false), or a property
      that was optional made required. Additions pass: new documents,
      properties, enum words, null. A major version above the baseline's
      passes and lists what it breaks; a version below the baseline's fails.
  schema-compat.py selftest DIR
      Runs check on each pair DIR/NAME.old.json, DIR/NAME.new.json: a NAME
      that starts with "break-" must fail, one that starts with "ok-" pass.

After a release that changed the schema, refresh the baseline:
  meson compile -C build schema-baseline
(a copy of data/schema/directpath.schema.json to abi/schema/).
Needs nothing but python3.
"""
import json
import os
import sys

MAX_DEPTH = 64


def version_of(schema):
    v = schema.get("$defs", {}).get("schema_version", {}).get("const", "")
    try:
        major, minor = (int(x) for x in v.split("."))
    except ValueError:
        raise SystemExit(f"schema-compat: no MAJOR.MINOR version in $defs/schema_version.const: {v!r}")
    return major, minor


def resolve(schema, node, depth=0):
    """node with its local $ref followed (a $ref beside other keywords is merged)."""
    while isinstance(node, dict) and "$ref" in node and depth < MAX_DEPTH:
        ref = node["$ref"]
        if not ref.startswith("#/"):
            raise SystemExit(f"schema-compat: only local references are understood, not {ref}")
        target = schema
        for part in ref[2:].split("/"):
            target = target[part]
        rest = {k: v for k, v in node.items() if k != "$ref"}
        node = dict(target, **rest) if rest else target
        depth += 1
    return node


def branches(schema, node, depth=0):
    """The alternatives a node accepts: anyOf and oneOf flattened, references followed."""
    node = resolve(schema, node)
    if node is True or node == {}:
        return [{}]
    if node is False:
        return []
    alts = node.get("anyOf") or node.get("oneOf")
    if alts and depth < MAX_DEPTH:
        base = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        out = []
        for a in alts:
            for b in branches(schema, a, depth + 1):
                out.append(dict(base, **b) if base else b)
        return out
    return [node]


def json_type(v):
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "boolean"
    if isinstance(v, int):
        return "integer"
    if isinstance(v, float):
        return "number"
    if isinstance(v, str):
        return "string"
    return "array" if isinstance(v, list) else "object"


ALL_TYPES = ("null", "boolean", "integer", "number", "string", "array", "object")


def types_of(b):
    """The JSON types a branch accepts (integer is also a number's)."""
    if "const" in b:
        return {json_type(b["const"])}
    if "enum" in b:
        return {json_type(v) for v in b["enum"]}
    t = b.get("type")
    if t is None:
        return set(ALL_TYPES)
    t = {t} if isinstance(t, str) else set(t)
    if "number" in t:
        t.add("integer")
    return t


def values_of(b):
    """The values a branch is limited to, or None when it is not."""
    if "const" in b:
        return [b["const"]]
    if "enum" in b:
        return list(b["enum"])
    return None


class Compare:
    def __init__(self, old, new):
        self.old, self.new = old, new
        self.breaks = []
        self.adds = []

    def brk(self, path, what):
        self.breaks.append(f"{path}: {what}")

    def node(self, path, o, n, depth=0):
        if depth > MAX_DEPTH:
            return
        if resolve(self.old, o) is self.old.get("$defs", {}).get("schema_version"):
            return  # its const is the version itself, compared on its own
        ob, nb = branches(self.old, o), branches(self.new, n)
        for t in ALL_TYPES:
            olds = [b for b in ob if t in types_of(b)]
            news = [b for b in nb if t in types_of(b)]
            if not olds:
                if news and depth > 0:
                    self.adds.append(f"{path}: now also {t}")
                continue
            if not news:
                self.brk(path, f"no longer accepts {t}")
                continue
            self.same_type(path, t, olds, news, depth)

    def same_type(self, path, t, olds, news, depth):
        # Values: every value the old accepted of this type, the new must accept.
        ov = [values_of(b) for b in olds]
        nv = [values_of(b) for b in news]
        if any(v is None for v in nv):
            new_values = None
        else:
            new_values = [x for v in nv for x in v if json_type(x) == t or (t == "number" and json_type(x) == "integer")]
        if new_values is not None:
            if any(v is None for v in ov):
                self.brk(path, f"{t} now limited to {sorted(map(str, new_values))}")
            else:
                lost = [x for v in ov for x in v if json_type(x) == t and x not in new_values]
                if lost:
                    self.brk(path, f"no longer accepts {sorted(map(str, lost))}")
        if t == "string":
            op = {b.get("pattern") for b in olds}
            np_ = {b.get("pattern") for b in news}
            if None not in np_ and op != np_:
                self.brk(path, f"pattern {sorted(map(str, op))} became {sorted(map(str, np_))}")
        if t in ("integer", "number"):
            for key, tighter in (("minimum", lambda a, b: b > a), ("maximum", lambda a, b: b < a)):
                olim = [b.get(key) for b in olds]
                nlim = [b.get(key) for b in news]
                if None in nlim:
                    continue
                if None in olim or any(tighter(min(olim) if key == "minimum" else max(olim), x) for x in nlim):
                    self.brk(path, f"{key} tightened to {nlim}")
        if t == "object":
            self.objects(path, olds[0], news[0], depth)
        if t == "array":
            oi, ni = olds[0].get("items", {}), news[0].get("items", {})
            self.node(path + "[]", oi, ni, depth + 1)

    def objects(self, path, o, n, depth):
        op, np_ = o.get("properties", {}), n.get("properties", {})
        oadd, nadd = o.get("additionalProperties", True), n.get("additionalProperties", True)
        for k in op:
            if k not in np_:
                if nadd is False:
                    self.brk(f"{path}/{k}", "removed (or renamed)")
                else:
                    self.brk(f"{path}/{k}", "no longer described (removed or renamed)")
                continue
            self.node(f"{path}/{k}", op[k], np_[k], depth + 1)
        for k in np_:
            if k not in op:
                self.adds.append(f"{path}/{k}: added")
        oreq, nreq = set(o.get("required", [])), set(n.get("required", []))
        for k in sorted(nreq - oreq):
            if k in op:
                self.brk(f"{path}/{k}", "was optional, now required")
        if nadd is False and oadd is not False:
            self.brk(path, "closed: additionalProperties is now false")
        elif isinstance(oadd, dict) and isinstance(nadd, dict):
            self.node(path + "/*", oadd, nadd, depth + 1)
        if "propertyNames" in o or "propertyNames" in n:
            self.node(path + "/(names)", o.get("propertyNames", {}), n.get("propertyNames", {}), depth + 1)

    def run(self):
        od, nd = self.old.get("$defs", {}), self.new.get("$defs", {})
        for name in od:
            if name not in nd:
                self.brk(f"$defs/{name}", "removed")
            else:
                self.node(f"$defs/{name}", od[name], nd[name])
        for name in nd:
            if name not in od:
                self.adds.append(f"$defs/{name}: added")
        return self


def check(baseline_path, current_path, quiet=False):
    with open(baseline_path, encoding="utf-8") as f:
        old = json.load(f)
    with open(current_path, encoding="utf-8") as f:
        new = json.load(f)
    ov, nv = version_of(old), version_of(new)
    c = Compare(old, new).run()
    say = (lambda *a: None) if quiet else print
    for a in c.adds:
        say(f"compatible: {a}")
    if nv < ov:
        say(f"FAIL: version {nv[0]}.{nv[1]} is below the baseline's {ov[0]}.{ov[1]}")
        return False
    if not c.breaks:
        say(f"ok: {nv[0]}.{nv[1]} keeps every document of the baseline {ov[0]}.{ov[1]}")
        return True
    if nv[0] > ov[0]:
        for b in c.breaks:
            say(f"breaks (allowed by major version {nv[0]}): {b}")
        return True
    for b in c.breaks:
        say(f"FAIL: {b}")
    say(f"{len(c.breaks)} incompatible change(s) without a major version bump "
        f"(baseline {ov[0]}.{ov[1]}, now {nv[0]}.{nv[1]}): only add properties, words and documents")
    return False


def selftest(d):
    names = sorted(f[:-9] for f in os.listdir(d) if f.endswith(".old.json"))
    bad = 0
    for name in names:
        want = not name.startswith("break-")
        got = check(os.path.join(d, name + ".old.json"), os.path.join(d, name + ".new.json"), quiet=True)
        print(f"{'ok' if got == want else 'FAIL'} {name}: {'passes' if got else 'fails'}")
        bad += got != want
    if len(names) < 4 or not any(n.startswith("break-") for n in names) or not any(n.startswith("ok-") for n in names):
        print("FAIL: too few pairs")
        bad += 1
    return bad == 0


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 3 and a[0] == "check":
        sys.exit(0 if check(a[1], a[2]) else 1)
    if len(a) == 2 and a[0] == "selftest":
        sys.exit(0 if selftest(a[1]) else 1)
    print(__doc__, file=sys.stderr)
    sys.exit(2)
