#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""What a Kubernetes device plugin for libdirectpath would advertise, from
the admin tool's JSON: one extended resource per label, and each device in it
healthy or not.

  k8s-device-plugin.py [--directpath PATH] [--labels FILE] [--hw-version N]
                       [--memory SIZE] [--domain DOMAIN]
  k8s-device-plugin.py --from DIR [--labels FILE] [--domain DOMAIN]

Devices: with a labels file (directpath-labels(5); by default
/etc/directpath/labels.conf when it exists), each label is a resource,
DOMAIN/NAME, holding the functions its id and device lines name. Without one,
each marked function is in the resource DOMAIN/VVVV-DDDD of its vendor and
device IDs. DOMAIN is directpath.io.

Health: a device is Healthy when the policy allows a VM holding it alone
("directpath check --devices BDF --json" says allowed: marked, on vfio-pci,
its group viable, not leased by a running VM, not quarantined, ...), and
Unhealthy otherwise, with the error findings that say why.

Input: live, from "directpath list --json", "directpath show --json BDF"
(only for a label line with subsystem IDs) and "directpath check ... --json";
or, with --from DIR, from saved documents: DIR/list.json, DIR/show-BDF.json
and DIR/check-BDF.json. Every document must carry a schema_version of major
version 1 (directpath(8), JSON output): keys may be added within it, so
unknown keys are ignored.

Output: JSON on stdout, what the plugin registers (resourceName) and sends
in ListAndWatch (devices with ID and health), plus the reasons.
"""
import argparse
import json
import os
import re
import subprocess
import sys

SCHEMA_MAJOR = "1"
LABELS_DEFAULT = "/etc/directpath/labels.conf"


def die(msg):
    print(f"k8s-device-plugin: {msg}", file=sys.stderr)
    sys.exit(2)


def accept(doc, what):
    """doc, once each object in it says a schema version this script reads."""
    for x in doc if isinstance(doc, list) else [doc]:
        v = str(x.get("schema_version", ""))
        if v.split(".")[0] != SCHEMA_MAJOR:
            die(f"{what}: schema_version {v or '(none)'}, this script reads {SCHEMA_MAJOR}.x")
    return doc


def parse_labels(path):
    """{name: [("id", (v, d, sv, sd or None)) | ("device", bdf)]} from labels.conf."""
    labels, cur = {}, None
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            line = raw.strip()
            if not line or line[0] in "#;":
                continue
            m = re.fullmatch(r"\[label ([A-Za-z0-9][A-Za-z0-9_.-]{0,31})\]", line)
            if m:
                cur = labels.setdefault(m.group(1), [])
                continue
            m = re.fullmatch(r"(id|device)\s*=\s*(\S+)", line)
            if not m or cur is None:
                die(f"{path}:{n}: not a label line: {line}")
            key, val = m.groups()
            if key == "id":
                ids = val.lower().split(":")
                if len(ids) not in (2, 4) or not all(re.fullmatch(r"[0-9a-f]{4}", i) for i in ids):
                    die(f"{path}:{n}: an id is VVVV:DDDD or VVVV:DDDD:SSSS:ssss, not {val}")
                cur.append(("id", tuple(ids)))
            else:
                bdf = val.lower()
                cur.append(("device", bdf if bdf.count(":") == 2 else "0000:" + bdf))
    return labels


class Source:
    """The tool's documents, live or saved."""

    def __init__(self, args):
        self.args = args

    def doc(self, name, argv):
        if self.args.from_dir:
            path = os.path.join(self.args.from_dir, name + ".json")
            try:
                with open(path, encoding="utf-8") as f:
                    return accept(json.load(f), path)
            except OSError as e:
                die(f"{path}: {e.strerror}")
        p = subprocess.run([self.args.directpath] + argv, capture_output=True, text=True, check=False)
        if p.returncode not in (0, 1) or not p.stdout:  # check exits 1 for denied
            die(f"directpath {' '.join(argv)}: exit {p.returncode}: {p.stderr.strip()}")
        return accept(json.loads(p.stdout), "directpath " + argv[0])

    def list(self):
        return self.doc("list", ["list", "--json"])

    def show(self, bdf):
        return self.doc("show-" + bdf, ["show", "--json", bdf])

    def check(self, bdf):
        return self.doc("check-" + bdf, ["check", "--devices", bdf, "--hw-version", self.args.hw_version,
                                         "--memory", self.args.memory, "--json"])


def label_members(src, functions, lines):
    out = []
    for f in functions:
        for kind, val in lines:
            if kind == "device" and f["bdf"] == val:
                break
            if kind == "id" and (f["vendor_id"], f["device_id"]) == val[:2]:
                if len(val) == 2:
                    break
                s = src.show(f["bdf"])
                if (s["subsystem_vendor_id"], s["subsystem_id"]) == val[2:]:
                    break
        else:
            continue
        out.append(f["bdf"])
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--directpath", default="directpath", help="the admin tool (default: directpath on PATH)")
    ap.add_argument("--from", dest="from_dir", metavar="DIR", help="read saved documents from DIR instead")
    ap.add_argument("--labels", help=f"the labels file (default: {LABELS_DEFAULT} when it exists)")
    ap.add_argument("--hw-version", default="7", help="the VM's hardware version for the health check")
    ap.add_argument("--memory", default="1G", help="the VM's memory for the health check")
    ap.add_argument("--domain", default="directpath.io", help="the resources' domain")
    args = ap.parse_args()
    labels_path = args.labels or (LABELS_DEFAULT if os.path.exists(LABELS_DEFAULT) and not args.from_dir else None)

    src = Source(args)
    functions = src.list()
    if labels_path:
        groups = {name: label_members(src, functions, lines)
                  for name, lines in parse_labels(labels_path).items()}
    else:
        groups = {}
        for f in functions:
            if f["marked"]:
                groups.setdefault(f"{f['vendor_id']}-{f['device_id']}", []).append(f["bdf"])

    health = {}
    resources = []
    for name in sorted(groups):
        devices = []
        for bdf in groups[name]:
            if bdf not in health:
                report = src.check(bdf)
                health[bdf] = (report["allowed"],
                               [x["name"] for x in report["findings"] if x["severity"] == "error"])
            ok, why = health[bdf]
            d = {"ID": bdf, "health": "Healthy" if ok else "Unhealthy"}
            if not ok:
                d["reasons"] = why
            devices.append(d)
        resources.append({"resourceName": f"{args.domain}/{name}", "devices": devices})
    json.dump({"labels": labels_path is not None, "resources": resources}, sys.stdout, indent=2, sort_keys=True)
    print()


if __name__ == "__main__":
    main()
