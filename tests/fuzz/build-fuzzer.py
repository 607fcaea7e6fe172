#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Builds a libFuzzer target with clang, whatever compiler the project uses.

  build-fuzzer.py lib OUT.a DEPFILE CLANG BUILDROOT SRCROOT SRC...
      the library's sources, instrumented (-fsanitize=fuzzer-no-link), into an archive
  build-fuzzer.py exe OUT DEPFILE CLANG BUILDROOT SRCROOT TARGET.c ARCHIVE
      one target linked with libFuzzer's main against that archive

meson's project compiler may be gcc: libFuzzer needs clang's coverage
instrumentation in the library itself, so the library is compiled again here.
"""
import concurrent.futures
import os
import shlex
import subprocess
import sys

PKGS = ['pciaccess', 'json-c', 'inih']
SAN = '-fsanitize=address,undefined'


def pkg_config(*args):
    try:
        out = subprocess.run(['pkg-config', *args, *PKGS], check=True,
                             capture_output=True, text=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return []
    return shlex.split(out)


def cflags(buildroot, srcroot):
    return ['-std=c11', '-D_GNU_SOURCE', '-g', '-O1', '-fno-omit-frame-pointer',
            SAN, '-fno-sanitize-recover=all',
            '-I' + buildroot, '-I' + os.path.join(srcroot, 'include'),
            '-I' + os.path.join(srcroot, 'lib'), *pkg_config('--cflags')]


def read_deps(path):
    """The prerequisites of a make-style depfile clang wrote."""
    with open(path) as f:
        text = f.read().replace('\\\n', ' ')
    return shlex.split(text.split(':', 1)[1]) if ':' in text else []


def write_depfile(depfile, out, deps):
    with open(depfile, 'w') as f:
        f.write(out.replace(' ', '\\ ') + ':')
        for d in sorted(set(deps)):
            f.write(' \\\n ' + d.replace(' ', '\\ '))
        f.write('\n')


def run(cmd):
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        sys.stderr.write(' '.join(shlex.quote(c) for c in cmd) + '\n' + r.stdout + r.stderr)
        raise SystemExit(1)


def main():
    mode, out, depfile, clang, buildroot, srcroot, *srcs = sys.argv[1:]
    flags = cflags(buildroot, srcroot)
    objdir = out + '.d'
    os.makedirs(objdir, exist_ok=True)
    deps = []
    if mode == 'lib':
        def compile_one(src):
            obj = os.path.join(objdir, os.path.basename(src) + '.o')
            run([clang, *flags, '-fsanitize=fuzzer-no-link', '-MD', '-MF', obj + '.dep',
                 '-c', src, '-o', obj])
            return obj, read_deps(obj + '.dep')
        with concurrent.futures.ThreadPoolExecutor(os.cpu_count() or 2) as ex:
            results = list(ex.map(compile_one, srcs))
        objs = [o for o, _ in results]
        for _, d in results:
            deps += d
        if os.path.exists(out):
            os.unlink(out)
        run(['ar', 'rcs', out, *objs])
    else:
        target, archive = srcs
        obj = os.path.join(objdir, os.path.basename(target) + '.o')
        run([clang, *flags, '-fsanitize=fuzzer', '-MD', '-MF', obj + '.dep',
             '-c', target, '-o', obj])
        deps += read_deps(obj + '.dep')
        run([clang, SAN, '-fsanitize=fuzzer', '-o', out, obj, archive,
             *pkg_config('--libs'), '-lpthread'])
    write_depfile(depfile, out, deps)


if __name__ == '__main__':
    main()
