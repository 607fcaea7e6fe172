#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every JSON document the admin tool prints, validated against
data/schema/directpath.schema.json (draft 2020-12) with python3-jsonschema.

  schema.py host TOOL SCHEMA NAMES DATA_DIR VERSION
      The schema itself: a valid draft 2020-12 schema whose version is
      VERSION (meson's dp_json_schema_version) and whose $defs/X_name enums
      are exactly the words the library's name functions give (NAMES, the
      tests/tools/schema-names program). Then this machine: host, list, show
      of every function, check of a VM holding each function alone, check of
      a VM without devices, features, policy and policy --compat, each
      validated and carrying schema_version.
  schema.py saved SCHEMA VERSION -- SCRIPT ARG...
      Runs a shell test of the tool (cli-fakesys.sh, cli-hostuse.sh: the
      synthetic trees) with DP_CLI_JSON_DIR set, so tests/tools/tap.sh's
      wrap_tool keeps every --json output it prints, then validates each of
      them. The shell test must run to its plan line (its own failures are
      its test's to report); none saved is a failure.

  schema.py files SCHEMA FILE...
      Validates saved documents, each by its file name: list.json,
      show-*.json, check-*.json, host.json, ... (examples' fixtures).

Exit status 0 passed, 1 failed, 77 skipped (python3-jsonschema missing, or
the shell test skipped).
"""
import json
import os
import shlex
import subprocess
import sys
import tempfile

try:
    import jsonschema
except ImportError:
    print("SKIP: python3-jsonschema is not installed (apt-get install python3-jsonschema)")
    sys.exit(77)

# The documents, by the command that prints them; what check does with an array.
DOCS = ("host", "list", "show", "check", "features", "policy", "policy_compat", "release",
        "handoff")
# Options that take a value (tools/directpath/cli.h CLI_OPTIONS).
VALUE_OPTS = {"--driverctl-dir", "--config-dir", "--run-dir", "--data-dir", "--vm", "--devices",
              "--hw-version", "--memory", "--reservation", "--name", "--features", "--policy",
              "--socket", "--backend"}

failures = []


def fail(what, why):
    failures.append(what)
    print(f"FAIL {what}: {why}")


def load_schema(path):
    with open(path, encoding="utf-8") as f:
        schema = json.load(f)
    jsonschema.Draft202012Validator.check_schema(schema)
    return schema


def validator(schema, doc):
    """A validator of one document: the schema with its root pointed at $defs/doc."""
    root = dict(schema)
    root.pop("anyOf", None)
    root["$ref"] = "#/$defs/" + doc
    return jsonschema.Draft202012Validator(root)


def doc_of(args):
    """The document a command line prints: host, list, ..., policy_compat."""
    skip = False
    for a in args:
        if skip:
            skip = False
        elif a in VALUE_OPTS:
            skip = True
        elif not a.startswith("-"):
            if a == "policy" and "--compat" in args:
                return "policy_compat"
            return a if a in DOCS else None
    return None


def versions_of(doc):
    """Every schema_version a document carries: its own, or each element's."""
    items = doc if isinstance(doc, list) else [doc]
    return [x.get("schema_version") for x in items if isinstance(x, dict)]


def check_doc(schema, version, what, args, text):
    doc_name = doc_of(args)
    if doc_name is None:
        fail(what, f"no document of the schema is printed by: {' '.join(args)}")
        return
    try:
        doc = json.loads(text)
    except ValueError as e:
        fail(what, f"not JSON: {e}")
        return
    errors = sorted(validator(schema, doc_name).iter_errors(doc), key=lambda e: list(e.absolute_path))
    for e in errors[:5]:
        fail(what, f"$defs/{doc_name} at /{'/'.join(str(p) for p in e.absolute_path)}: {e.message}")
    vs = versions_of(doc)
    if any(v != version for v in vs):
        fail(what, f"schema_version {sorted(set(map(str, vs)))}, want {version}")
    if not errors:
        print(f"ok {what} ($defs/{doc_name})")


def run(tool, args, allowed=(0,)):
    """The tool's output; under DP_CLI_WRAPPER (the valgrind setup) as cli.sh runs it."""
    wrapper = shlex.split(os.environ.get("DP_CLI_WRAPPER", ""))
    p = subprocess.run(wrapper + [tool] + args, capture_output=True, text=True, check=False)
    if p.returncode not in allowed:
        fail(" ".join(args), f"exit {p.returncode}: {p.stderr.strip()}")
        return None
    return p.stdout


def check_schema_itself(schema, names_prog, version):
    want = schema["$defs"]["schema_version"].get("const")
    if want != version:
        fail("schema version", f"the schema says {want}, meson's dp_json_schema_version says {version}")
    wrapper = shlex.split(os.environ.get("DP_CLI_WRAPPER", ""))
    p = subprocess.run(wrapper + [names_prog], capture_output=True, text=True, check=False)
    if p.returncode != 0:
        fail("schema-names", p.stderr.strip())
        return
    names = json.loads(p.stdout)
    for key, words in names.items():
        d = schema["$defs"].get(key + "_name")
        if d is None:
            fail(f"$defs/{key}_name", "missing: the schema has no enum of the library's words")
            continue
        got = d.get("enum", [])
        if sorted(got) != sorted(words):
            fail(f"$defs/{key}_name",
                 f"the library has {sorted(set(words) - set(got))} that the schema lacks, "
                 f"the schema has {sorted(set(got) - set(words))} that the library does not name")
        else:
            print(f"ok $defs/{key}_name: the library's {len(words)} words")


def host_main(tool, schema_path, names_prog, data, version):
    schema = load_schema(schema_path)
    check_schema_itself(schema, names_prog, version)
    dd = ["--data-dir", data]
    vm = ["--hw-version", "7", "--memory", "1G"]
    cases = [["host", "--json"], dd + ["features", "--json"], dd + ["policy", "--json"],
             dd + ["policy", "--compat", "--json"], dd + ["check"] + vm + ["--json"]]
    for args in cases:
        out = run(tool, args, (0, 1) if "check" in args else (0,))
        if out is not None:
            check_doc(schema, version, " ".join(args), args, out)
    out = run(tool, ["list", "--json"])
    bdfs = [d["bdf"] for d in json.loads(out)] if out else []
    if out:
        check_doc(schema, version, "list --json", ["list", "--json"], out)
    for bdf in bdfs:
        for args in (dd + ["show", "--json", bdf], dd + ["check", "--devices", bdf] + vm + ["--json"]):
            out = run(tool, args, (0, 1))
            if out is not None:
                check_doc(schema, version, " ".join(args[2:]), args, out)
    print(f"{len(bdfs)} functions on this host")


def saved_main(schema_path, version, script):
    schema = load_schema(schema_path)
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, DP_CLI_JSON_DIR=d)
        p = subprocess.run(script, env=env, capture_output=True, text=True, check=False)
        if "1..0 # SKIP" in p.stdout:
            print(p.stdout.strip())
            sys.exit(77)
        # Its own checks are its test's to report; a test that stopped early
        # would leave documents unchecked.
        failed = [l for l in p.stdout.splitlines() if l.startswith("not ok")]
        if failed:
            print(f"note: {len(failed)} of its own checks failed (its test reports them): {failed[:3]}")
        if "Bail out!" in p.stdout or p.returncode not in (0, 1) or not p.stdout.rstrip().splitlines()[-1:] \
                or not p.stdout.rstrip().splitlines()[-1].startswith("1.."):
            fail(os.path.basename(script[0]), f"the shell test did not run to its end (exit {p.returncode}):\n"
                 + p.stdout[-1500:] + p.stderr[-1500:])
        saved = sorted(f[:-5] for f in os.listdir(d) if f.endswith(".json"))
        count = 0
        for base in saved:
            with open(os.path.join(d, base + ".args"), encoding="utf-8") as f:
                args = f.read().split("\n")[:-1]
            with open(os.path.join(d, base + ".json"), encoding="utf-8") as f:
                text = f.read()
            if not text.strip():  # a usage or I/O error: nothing printed
                continue
            count += 1
            check_doc(schema, version, " ".join(a for a in args if not a.startswith("/")), args, text)
        if count == 0:
            fail("saved", "the shell test printed no JSON (is tap.sh's wrap_tool still used?)")
        print(f"{count} JSON documents validated")


def files_main(schema_path, paths):
    schema = load_schema(schema_path)
    version = schema["$defs"]["schema_version"]["const"]
    for path in paths:
        name = os.path.basename(path)[:-5].split("-")[0]
        if name.startswith("expected"):
            continue
        with open(path, encoding="utf-8") as f:
            check_doc(schema, version, os.path.basename(path), [name.replace("_", " ")], f.read())


if __name__ == "__main__":
    a = sys.argv[1:]
    if len(a) == 6 and a[0] == "host":
        host_main(a[1], a[2], a[3], a[4], a[5])
    elif len(a) >= 5 and a[0] == "saved" and a[3] == "--":
        saved_main(a[1], a[2], a[4:])
    elif len(a) >= 3 and a[0] == "files":
        files_main(a[1], a[2:])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
    if failures:
        print(f"{len(failures)} failure(s)")
        sys.exit(1)
