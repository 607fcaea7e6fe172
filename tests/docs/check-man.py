#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The docs suite: every page under man/ is lint-clean for mandoc, every
exported symbol is named in the NAME section of a section-3 page, and every
cross-reference to one of the project's own pages resolves."""
import glob
import os
import re
import subprocess
import sys


def names_of(page):
    names, in_name = [], False
    for line in open(page):
        if line.startswith('.Sh '):
            in_name = line.strip() == '.Sh NAME'
        elif in_name:
            m = re.match(r'\.Nm\s+(\S+)', line)
            if m:
                names.append(m.group(1))
    return names


def main():
    mandoc, mandir, symfile = sys.argv[1:4]
    pages = sorted(glob.glob(os.path.join(mandir, 'man[1-9]', '*.[1-9]')))
    errors = []
    if not pages:
        errors.append(f'no pages under {mandir}')
    named = {}  # (name, section) -> page
    for page in pages:
        r = subprocess.run([mandoc, '-Tlint', '-Wwarning', page],
                           capture_output=True, text=True)
        out = (r.stdout + r.stderr).strip()
        if r.returncode != 0 or out:
            errors.append(f'{page}: mandoc -Tlint -Wwarning:\n{out}')
        section = page.rsplit('.', 1)[1]
        for n in names_of(page):
            named[(n, section)] = page
        if not names_of(page):
            errors.append(f'{page}: no .Nm in its NAME section')

    text = re.sub(r'/\*.*?\*/', '', open(symfile).read(), flags=re.S)
    exports = re.findall(r'^\s*(dp_\w+)\s*;', text, re.M)
    for sym in exports:
        if (sym, '3') not in named:
            errors.append(f'{sym}: exported but named in no man3 page NAME section')

    for page in pages:
        for m in re.finditer(r'^\.Xr\s+(\S+)\s+(\d)', open(page).read(), re.M):
            n, sec = m.group(1), m.group(2)
            if (n.startswith('dp_') or n == 'directpath') and (n, sec) not in named:
                errors.append(f'{page}: .Xr {n} {sec} names no page of ours')

    for e in errors:
        print('FAIL:', e)
    print(f'{len(pages)} pages, {len(exports)} exports, {len(errors)} problems')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
