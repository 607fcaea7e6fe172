#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""For man/meson.build. `names.py --pages DIR SECTION`: the pages of a section,
one a line. `names.py PAGE`: the names in an mdoc page's NAME section."""
import glob
import os
import re
import sys

if sys.argv[1] == '--pages':
    d, sec = sys.argv[2], sys.argv[3]
    pages = sorted(glob.glob(os.path.join(d, 'man' + sec, '*.' + sec)))
    print('\n'.join(os.path.relpath(p, d) for p in pages))
    sys.exit(0)

names = []
in_name = False
for line in open(sys.argv[1]):
    if line.startswith('.Sh '):
        in_name = line.strip() == '.Sh NAME'
        continue
    m = re.match(r'\.Nm\s+(\S+)', line) if in_name else None
    if m:
        names.append(m.group(1))
print('\n'.join(names))
