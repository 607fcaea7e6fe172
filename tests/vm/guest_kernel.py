# SPDX-License-Identifier: MIT
"""The guest's kernels and their initramfs, for tests/vm/run-in-guest: Debian's
own (tests/vm/fetch-kernel.sh) or the iommufd kernel built here
(tests/vm/build-iommufd-kernel.sh), each with an initramfs of tests/vm/init,
a static busybox and the kernel's modules, all cached; and how the harness
ends a run (Stop, skip)."""

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.realpath(__file__))
EXIT_FAIL, EXIT_SKIP, EXIT_ERROR = 1, 77, 99
KERNELS = ('debian', 'iommufd')


class Stop(Exception):
    """Ends the run with an exit status and a message."""

    def __init__(self, status, message):
        super().__init__(message)
        self.status = status
        self.message = message


def skip(reason):
    if os.environ.get('CI') == 'true':
        return Stop(EXIT_ERROR, reason + ' (a skip is an error under CI=true)')
    return Stop(EXIT_SKIP, reason)


def say(msg):
    sys.stderr.write('run-in-guest: %s\n' % msg)
    sys.stderr.flush()


def is_static_elf(path):
    """True for an ELF executable without a program interpreter."""
    try:
        with open(path, 'rb') as f:
            hdr = f.read(64)
            if len(hdr) < 64 or hdr[:4] != b'\x7fELF' or hdr[4] != 2 or hdr[5] != 1:
                return False
            phoff = int.from_bytes(hdr[32:40], 'little')
            phentsize = int.from_bytes(hdr[54:56], 'little')
            phnum = int.from_bytes(hdr[56:58], 'little')
            for i in range(phnum):
                f.seek(phoff + i * phentsize)
                if int.from_bytes(f.read(4), 'little') == 3:  # PT_INTERP
                    return False
            return True
    except OSError:
        return False


def find_tool(name):
    """Looks in PATH, then in the sbin directories a user's PATH may lack."""
    path = os.environ.get('PATH', os.defpath) + ':/usr/sbin:/sbin'
    return shutil.which(name, path=path)


def default_cache():
    if os.environ.get('DP_VM_CACHE'):
        return os.environ['DP_VM_CACHE']
    base = os.environ.get('XDG_CACHE_HOME') or os.path.join(os.path.expanduser('~'), '.cache')
    return os.path.join(base, 'libdirectpath', 'vm')


def fetch_kernel(cache):
    env = dict(os.environ)
    env['PATH'] = env.get('PATH', os.defpath) + ':/usr/sbin:/sbin'
    proc = subprocess.run([os.path.join(HERE, 'fetch-kernel.sh'), cache],
                          stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          env=env, check=False)
    if proc.returncode == EXIT_SKIP:
        raise skip('the guest kernel cannot be had here (fetch-kernel.sh said why)')
    if proc.returncode != 0:
        raise Stop(EXIT_ERROR, 'fetch-kernel.sh failed (exit %d)' % proc.returncode)
    kdir = proc.stdout.decode().strip()
    for name in ('vmlinuz', 'modules.load', 'release', 'package'):
        if not os.path.isfile(os.path.join(kdir, name)):
            raise Stop(EXIT_ERROR, 'fetch-kernel.sh left no %s in %s' % (name, kdir))
    return {'name': 'debian', 'dir': kdir, 'image': os.path.join(kdir, 'vmlinuz'),
            'modules': os.path.join(kdir, 'modules.load'),
            'ids': [os.path.join(kdir, 'package'), os.path.join(kdir, 'modules.load')]}


def build_iommufd_kernel(cache):
    """The kernel with iommufd, built once per source version and config
    fragment (build-iommufd-kernel.sh): its messages go to stderr as they
    come, the last one is the reason for a skip."""
    env = dict(os.environ)
    env['PATH'] = env.get('PATH', os.defpath) + ':/usr/sbin:/sbin'
    script = os.path.join(HERE, 'build-iommufd-kernel.sh')
    last = ''
    with subprocess.Popen(['sh', script, cache], stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env) as proc:
        for raw in proc.stderr:
            line = raw.decode('utf-8', 'replace').rstrip('\n')
            if line.strip():
                last = line.strip()
            sys.stderr.write(line + '\n')
            sys.stderr.flush()
        out = proc.stdout.read()
    if proc.returncode == EXIT_SKIP:
        raise skip('the iommufd kernel cannot be built here (%s)' % last)
    if proc.returncode != 0:
        raise Stop(EXIT_ERROR, 'build-iommufd-kernel.sh failed (exit %d): %s'
                   % (proc.returncode, last))
    kdir = out.decode().strip()
    for name in ('bzImage', 'release', 'stamp'):
        if not os.path.isfile(os.path.join(kdir, name)):
            raise Stop(EXIT_ERROR, 'build-iommufd-kernel.sh left no %s in %s' % (name, kdir))
    return {'name': 'iommufd', 'dir': kdir, 'image': os.path.join(kdir, 'bzImage'),
            'modules': None, 'ids': [os.path.join(kdir, 'stamp')]}


def build_initrd(cache, kernel, busybox, cpio):
    """The initramfs for this kernel, init and busybox (and the kernel's
    modules, if it has any: modules/modules.load lists them), built once."""
    init = os.path.join(HERE, 'init')
    kdir = kernel['dir']
    modules = []
    if kernel['modules'] is not None:
        with open(kernel['modules']) as f:
            modules = f.read().split()
    with open(os.path.join(kdir, 'release')) as f:
        release = f.read().strip()
    digest = hashlib.sha256()
    for path in [init, busybox] + kernel['ids']:
        with open(path, 'rb') as f:
            digest.update(f.read())
    name = 'initrd-%s-%s.cpio' % (release, digest.hexdigest()[:16])
    initrd = os.path.join(cache, name)
    if os.path.isfile(initrd):
        os.utime(initrd)  # in use: see the clean-up below
        return initrd
    with open(os.path.join(cache, '.lock'), 'w') as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if os.path.isfile(initrd):
            return initrd
        stage = tempfile.mkdtemp(prefix='initrd.', dir=cache)
        try:
            os.makedirs(os.path.join(stage, 'bin'))
            shutil.copy(busybox, os.path.join(stage, 'bin', 'busybox'))
            shutil.copy(init, os.path.join(stage, 'init'))
            if kernel['modules'] is not None:
                os.makedirs(os.path.join(stage, 'modules'))
                for ko in modules:
                    shutil.copy(os.path.join(kdir, 'modules', ko),
                                os.path.join(stage, 'modules'))
                shutil.copy(kernel['modules'], os.path.join(stage, 'modules'))
            os.chmod(os.path.join(stage, 'bin', 'busybox'), 0o755)
            os.chmod(os.path.join(stage, 'init'), 0o755)
            files = []
            for root, dirs, names in os.walk(stage):
                dirs.sort()
                for n in dirs + sorted(names):
                    files.append(os.path.relpath(os.path.join(root, n), stage))
            tmp = initrd + '.tmp'
            with open(tmp, 'wb') as out:
                proc = subprocess.run([cpio, '-o', '-H', 'newc', '-R', '0:0', '--quiet'],
                                      cwd=stage, input=('\n'.join(files) + '\n').encode(),
                                      stdout=out, check=False)
            if proc.returncode != 0:
                os.unlink(tmp)
                raise Stop(EXIT_ERROR, 'cpio failed (exit %d)' % proc.returncode)
            os.rename(tmp, initrd)
        finally:
            shutil.rmtree(stage, ignore_errors=True)
        # Another init or busybox (an older tree) may still be booting with
        # its own: only what went unused for a day goes.
        for old in os.listdir(cache):
            path = os.path.join(cache, old)
            if (old.startswith('initrd-') and old != name
                    and time.time() - os.path.getmtime(path) > 86400):
                os.unlink(path)
    return initrd


def get_kernel(name, cache):
    """The kernel NAME (one of KERNELS) and its initramfs, from the cache
    directory CACHE or into it: (kernel, initrd)."""
    busybox = next((p for p in ('/bin/busybox', '/usr/bin/busybox', find_tool('busybox'))
                    if p and is_static_elf(p)), None)
    if busybox is None:
        raise skip('no static busybox (package busybox-static)')
    cpio = find_tool('cpio')
    if cpio is None:
        raise skip('cpio is missing (package cpio)')
    cache = os.path.abspath(cache or default_cache())
    os.makedirs(cache, exist_ok=True)
    if name == 'iommufd':
        kernel = build_iommufd_kernel(cache)
    else:
        if find_tool('modinfo') is None:
            raise skip('modinfo is missing (package kmod)')
        kernel = fetch_kernel(cache)
    return kernel, build_initrd(cache, kernel, busybox, cpio)
