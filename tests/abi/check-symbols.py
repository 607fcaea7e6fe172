#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The exports agree: the library's dynamic symbols, the version script and
the DP_EXPORT declarations in the public headers name the same functions;
every export carries a version; a symbol the baseline lacks sits in the
newest node of the version script."""
import glob
import os
import re
import subprocess
import sys


def sym_nodes(path):
    """[(node, [names])] in file order from a GNU ld version script."""
    text = re.sub(r'/\*.*?\*/', '', open(path).read(), flags=re.S)
    nodes = []
    for m in re.finditer(r'(DIRECTPATH_[0-9.]+)\s*\{(.*?)\}\s*[A-Z0-9_.]*\s*;', text, re.S):
        body = m.group(2)
        glob_part = body.split('local:')[0]
        glob_part = glob_part.replace('global:', '')
        names = [n.strip() for n in glob_part.split(';') if n.strip()]
        nodes.append((m.group(1), names))
    return nodes


def dyn_syms(lib):
    out = subprocess.run(['readelf', '--dyn-syms', '--wide', lib],
                         check=True, capture_output=True, text=True).stdout
    syms = {}
    for line in out.splitlines():
        f = line.split()
        if len(f) < 8 or not f[0].endswith(':'):
            continue
        typ, bind, ndx, name = f[3], f[4], f[6], f[7]
        if ndx in ('UND', 'ABS') or bind not in ('GLOBAL', 'WEAK') or typ not in ('FUNC', 'OBJECT'):
            continue
        base, _, ver = name.partition('@')
        syms[base] = ver.lstrip('@')
    return syms


def header_exports(incdir):
    names = set()
    for h in sorted(glob.glob(os.path.join(incdir, '**', '*.h'), recursive=True)):
        text = open(h).read()
        text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
        for m in re.finditer(r'^\s*DP_EXPORT\b([^;]*?)\b(dp_\w+)\s*\(', text, re.M):
            names.add(m.group(2))
    return names


def baseline_syms(path):
    if not path or not os.path.exists(path):
        return None
    return set(re.findall(r"<elf-symbol name='(\w+)'", open(path).read()))


def main():
    lib, symfile, incdir = sys.argv[1:4]
    baseline = sys.argv[4] if len(sys.argv) > 4 else None
    nodes = sym_nodes(symfile)
    errors = []
    if not nodes:
        errors.append(f'{symfile}: no DIRECTPATH_x.y node found')
    node_of = {}
    for node, names in nodes:
        for n in names:
            if n in node_of:
                errors.append(f'{n} is listed in {node_of[n]} and again in {node}')
            node_of[n] = node
    exported = dyn_syms(lib)
    declared = header_exports(incdir)
    listed = set(node_of)

    for n in sorted(listed - set(exported)):
        errors.append(f'{n}: in {os.path.basename(symfile)} but not exported by the library')
    for n in sorted(set(exported) - listed):
        errors.append(f'{n}: exported by the library but not in {os.path.basename(symfile)}')
    for n in sorted(listed - declared):
        errors.append(f'{n}: in {os.path.basename(symfile)} but not declared DP_EXPORT in include/')
    for n in sorted(declared - listed):
        errors.append(f'{n}: declared DP_EXPORT in include/ but not in {os.path.basename(symfile)}')
    for n, ver in sorted(exported.items()):
        if not ver:
            errors.append(f'{n}: exported without a symbol version')
        elif n in node_of and ver != node_of[n]:
            errors.append(f'{n}: exported as {ver}, listed in {node_of[n]}')

    base = baseline_syms(baseline)
    if base is not None and nodes:
        newest = nodes[-1][0]
        for n in sorted(listed - base):
            if node_of[n] != newest:
                errors.append(f'{n}: new since the ABI baseline but put in the released node '
                              f'{node_of[n]}; new symbols go in the newest node ({newest})')

    for e in errors:
        print('FAIL:', e)
    print(f'{len(exported)} exported, {len(listed)} listed, {len(declared)} declared, '
          f'{len(errors)} problems')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
