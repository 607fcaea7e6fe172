#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""The docs suite: every page under man/ is lint-clean for mandoc, every
exported symbol is named in the NAME section of a section-3 page, every
cross-reference to one of the project's own pages resolves, and every
SYNOPSIS prototype (.Ft/.Fn, or .Ft/.Fo/.Fa/.Fc) is the header's, so the
pages cannot drift from include/directpath/."""
import glob
import os
import re
import shlex
import subprocess
import sys


def norm_type(t):
    """One spelling of a C type or parameter: single spaces, 'char **p'."""
    t = ' '.join(t.replace('\n', ' ').split())
    t = re.sub(r'\s*(\*+)\s*', r' \1', t)
    return t.strip()


def norm_params(params):
    params = [norm_type(p) for p in params if p.strip()]
    return [] if params == ['void'] else params


def split_params(text):
    """Splits a parameter list at the commas outside parentheses."""
    out, depth, cur = [], 0, ''
    for c in text:
        if c == ',' and depth == 0:
            out.append(cur)
            cur = ''
            continue
        depth += c == '('
        depth -= c == ')'
        cur += c
    out.append(cur)
    return out


def header_prototypes(headers):
    """name -> (return type, [parameters]) of every DP_EXPORT function."""
    protos = {}
    for h in headers:
        text = re.sub(r'/\*.*?\*/', ' ', open(h).read(), flags=re.S)
        text = re.sub(r'^\s*#.*$', ' ', text, flags=re.M)
        for m in re.finditer(r'\bDP_EXPORT\s+([^;{]*?)\b(dp_\w+)\s*\(', text):
            depth, i = 1, m.end()
            while depth:
                depth += {'(': 1, ')': -1}.get(text[i], 0)
                i += 1
            protos[m.group(2)] = (norm_type(m.group(1)),
                                  norm_params(split_params(text[m.end():i - 1])))
    return protos


def page_prototypes(page):
    """[(name, return type, [parameters], line)] from the SYNOPSIS section."""
    out, in_syn, ft, fo = [], False, None, None
    for n, line in enumerate(open(page), 1):
        line = line.rstrip('\n')
        if line.startswith('.Sh '):
            in_syn = line.strip() == '.Sh SYNOPSIS'
            continue
        if not in_syn:
            continue
        words = line.split(None, 1)
        if not words:
            continue
        macro, rest = words[0], (words[1] if len(words) > 1 else '')
        if macro == '.Ft':
            ft = ' '.join(shlex.split(rest))
        elif macro == '.Fn':
            args = shlex.split(rest)
            out.append((args[0], norm_type(ft or ''), norm_params(args[1:]), n))
            ft = None
        elif macro == '.Fo':
            fo = (shlex.split(rest)[0], norm_type(ft or ''), [], n)
            ft = None
        elif macro == '.Fa' and fo:
            fo[2].extend(norm_params(shlex.split(rest)))
        elif macro == '.Fc' and fo:
            out.append(fo)
            fo = None
    return out


def check_synopses(pages, headers):
    errors = []
    protos = header_prototypes(headers)
    if not protos:
        return [f'no DP_EXPORT prototypes found in {", ".join(headers)}'], 0
    shown = {}
    for page in pages:
        if not page.endswith('.3'):
            continue
        for name, ret, params, line in page_prototypes(page):
            where = f'{page}:{line}: {name}'
            if name not in protos:
                errors.append(f'{where}: in the SYNOPSIS but not exported by the header')
                continue
            shown.setdefault(name, where)
            hret, hparams = protos[name]
            if ret != hret:
                errors.append(f'{where}: SYNOPSIS returns "{ret}", the header "{hret}"')
            if params != hparams:
                errors.append(f'{where}: SYNOPSIS parameters ({", ".join(params)}) '
                              f'differ from the header\'s ({", ".join(hparams)})')
    for name in sorted(set(protos) - set(shown)):
        errors.append(f'{name}: exported by the header but in no SYNOPSIS')
    return errors, len(protos)


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
    incdir = (sys.argv[4] if len(sys.argv) > 4 else
              os.path.join(os.path.dirname(os.path.abspath(mandir)), 'include', 'directpath'))
    headers = sorted(glob.glob(os.path.join(incdir, '*.h')))
    if not headers:
        print(f'FAIL: no headers under {incdir}')
        return 1
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

    syn_errors, n_protos = check_synopses(pages, headers)
    errors += syn_errors

    for e in errors:
        print('FAIL:', e)
    print(f'{len(pages)} pages, {len(exports)} exports, {n_protos} prototypes checked, '
          f'{len(errors)} problems')
    return 1 if errors else 0


if __name__ == '__main__':
    sys.exit(main())
