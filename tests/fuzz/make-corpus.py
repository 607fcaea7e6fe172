#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes the fuzz targets' seed corpora and regression inputs.

  tests/fuzz/make-corpus.py        (re)writes corpus/<target>/ and regress/<target>/

corpus/ holds small valid and near-valid inputs for each target to start
from; regress/ holds inputs that once broke a parser (issue 13's defects
among them), named after what they broke. Every file is made here: no
binary blob is checked in without this script. An input a fuzzer finds
goes into REGRESS below, with a name that says what it broke.
"""
import os
import shutil
import struct

HERE = os.path.dirname(os.path.abspath(__file__))

POLICY_OK = b"""# directpath-policy(5)
[policy]
max_devices_per_vm = 4
min_hw_version = 7
require_iommu = yes
require_interrupt_remapping = no ; the old hosts
require_viable_group: true
deny_bridges = On
memory_reservation = full
unlisted_devices = warn
no_reset_method = deny
"""

VM_OK = b"""[vm]
name = db-01
hw_version = 7
memory = 4G
reservation = 4096M
features = vmotion, snapshot_memory
[passthrough]
device = 0000:03:00.0
device = 03:00.1
"""

COMPAT_OK = b"""# directpath-compat(5)
8086:10fb supported Intel 82599 10GbE
15b3:* experimental Mellanox ConnectX
10de:1eb8 10de:12a2 unsupported NVIDIA T4 # not a comment
*:* 1234:5678\tsupported
"""


def rom_image(vendor, device, units, code=0, last=True, pcir_at=0x1c, rev=0, devlist=()):
    """An expansion ROM image (PCI Firmware Specification 3.x) of units 512-byte units."""
    im = bytearray(units * 512)
    im[0:2] = b'\x55\xaa'
    im[2] = units & 0xff
    if code == 3:
        im[4:8] = struct.pack('<I', 0x0ef1)
    im[0x18:0x1a] = struct.pack('<H', pcir_at)
    p = pcir_at
    im[p:p + 4] = b'PCIR'
    list_at = 0x40 if devlist else 0
    im[p + 4:p + 0x18] = struct.pack('<HHHHBBBBHHBBH', vendor, device, list_at, 0x18, rev,
                                     0, 0, 0xff, units, 0, code, 0x80 if last else 0, 0)
    for i, d in enumerate(tuple(devlist) + (0,)):
        im[p + list_at + 2 * i:p + list_at + 2 * i + 2] = struct.pack('<H', d)
    return bytes(im)


def rom_input(vendor, device, rom):
    return struct.pack('<HH', vendor, device) + rom


def cfg_space(size=256, caps=(), ext=(), status_caps=True, header_type=0, cap_ptr=None):
    """Config space: caps = [(pos, id, next, body bytes)], ext = [(pos, header dword, body)]."""
    c = bytearray(size)
    struct.pack_into('<HH', c, 0, 0x8086, 0x10fb)
    if status_caps:
        struct.pack_into('<H', c, 6, 0x0010)
    c[0x0e] = header_type
    first = cap_ptr if cap_ptr is not None else (caps[0][0] if caps else 0)
    c[0x14 if header_type == 2 else 0x34] = first
    for pos, cid, nxt, body in caps:
        c[pos] = cid
        c[pos + 1] = nxt
        c[pos + 2:pos + 2 + len(body)] = body
    for pos, hdr, body in ext:
        struct.pack_into('<I', c, pos, hdr)
        c[pos + 4:pos + 4 + len(body)] = body
    return bytes(c)


def ext_hdr(cid, ver, nxt):
    return cid | ver << 16 | nxt << 20


NVME_CAPS = [(0x40, 0x11, 0x50, struct.pack('<HII', 0x0040, 0x2000, 0x3000)),
             (0x50, 0x01, 0x60, struct.pack('<HH', 0x0003, 0x0008)),
             (0x60, 0x10, 0x70, struct.pack('<HI', 0x0002, 0x10008fc0)),
             (0x70, 0x05, 0x00, struct.pack('<H', 0x0184))]
NVME_EXT = [(0x100, ext_hdr(0x0001, 2, 0x150), b''),
            (0x150, ext_hdr(0x000d, 1, 0x1a0), b''),
            (0x1a0, ext_hdr(0x0015, 1, 0), b'')]


def vpci(flags, show, regions, irqs, cfg, ops=b''):
    """fuzz-vpci.c's input: setup, config bytes (a multiple of 256), operations."""
    assert len(cfg) % 256 == 0
    return bytes([flags, show | (len(cfg) // 256) << 4, regions, irqs]) + cfg + ops


def op_cfg_read(off, ln):
    return bytes([0]) + struct.pack('<HB', off, ln - 1)


def op_cfg_write(off, data):
    return bytes([1]) + struct.pack('<HB', off, len(data) - 1) + data


def op_bar_read(bar, off, ln):
    return bytes([2, bar]) + struct.pack('<IB', off, ln - 1)


def op_bar_write(bar, off, data):
    return bytes([3, bar]) + struct.pack('<IB', off, len(data) - 1) + data


def nvme_cfg():
    c = bytearray(cfg_space(4096, NVME_CAPS, NVME_EXT))
    struct.pack_into('<II', c, 0x10, 0xfc000004, 0)
    c[0x3d] = 1
    return bytes(c[:512])  # the extended list ends by 0x1a0


def edu_cfg():
    c = bytearray(cfg_space(256, [(0x40, 0x05, 0x00, struct.pack('<H', 0x0184))]))
    struct.pack_into('<II', c, 0x10, 0, 1)
    c[0x3d] = 1
    return bytes(c)


# regions byte: BAR0 size index bits 0-1 (0 none .. 5 1 MiB, mod 6), BAR2 bits 2-3,
# BAR4 bits 4-5, 0x40 a ROM, 0x80 a 256-byte config region.
NVME_REGIONS = 0x03          # BAR0 16 KiB
EDU_REGIONS = 0x80 | 0x40 | 0x02
PROGRAM_NVME = (op_cfg_write(0x10, struct.pack('<I', 0xffffffff)) + op_cfg_read(0x10, 4) +
                op_cfg_write(0x10, struct.pack('<I', 0xfe000000)) +
                op_cfg_write(0x04, struct.pack('<H', 0x0006)) +
                op_cfg_write(0x42, struct.pack('<H', 0x8000)) +
                op_bar_write(0, 0x2000, struct.pack('<I', 0xfee00000)) +
                op_bar_write(0, 0x2008, struct.pack('<I', 0x41)) +
                op_bar_write(0, 0x200c, struct.pack('<I', 0)) +
                op_bar_read(0, 0x3000, 8) + op_cfg_read(0x100, 4) + bytes([4, 0]))
PROGRAM_EDU = (op_cfg_write(0x04, struct.pack('<H', 0x0007)) +
               op_cfg_write(0x44, struct.pack('<I', 0xfee00000)) +
               op_cfg_write(0x4c, struct.pack('<H', 0x41)) +
               op_cfg_write(0x42, struct.pack('<H', 0x0185)) + op_cfg_read(0x40, 8) +
               op_bar_read(6, 0, 4) + op_bar_write(1, 0x10, b'\x01') + bytes([4, 1]))

# mountinfo (proc(5)) and /proc/net/route as the kernel prints them.
MOUNTINFO_HOST = (b"22 27 0:21 / /proc rw,relatime - proc proc rw\n"
                  b"23 27 0:22 / /sys rw,relatime - sysfs sysfs rw\n"
                  b"27 1 254:0 / / rw,relatime - ext4 /dev/vda rw,discard\n"
                  b"29 27 259:2 / /boot rw,relatime shared:7 - ext2 /dev/nvme0n1p2 rw\n"
                  b"30 29 259:1 / /boot/efi rw shared:8 master:1 - vfat /dev/nvme0n1p1 rw,fmask=0077\n"
                  b"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n")
ROUTE_HEADER = (b"Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
                + b" " * 55 + b"\n")


def route_line(ifname, dest, gw, flags, metric, mask):
    line = b"%s\t%08X\t%08X\t%04X\t0\t0\t%d\t%08X\t0\t0\t0" % (ifname, dest, gw, flags, metric, mask)
    return line + b" " * max(0, 127 - len(line)) + b"\n"


def handoff(body, fds=3, backend=b'type1', vm=b'web01', nfds=None, add=False):
    """A handoff message: how many fds travel with it, then its description."""
    head = b'directpath-handoff 1\nbackend ' + backend + b'\nvm ' + vm + (
        b'\nadd' if add else b'') + b'\nfds %d\n' % (fds if nfds is None else nfds)
    return bytes([fds]) + head + body + b'end\n'


CORPUS = {
    'handoff': {'type1': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n'),
                'type1-shared-group': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n'
                                              b'lease 0000:01:00.1\ngroup 9\n'
                                              b'lease 0000:03:00.0\n', fds=6),
                'iommufd': handoff(b'iommufd\ndevice 0000:01:00.0\nlease 0000:01:00.0\n'
                                   b'device 10000:00:1f.7\nlease 10000:00:1f.7\n', fds=5,
                                   backend=b'iommufd', vm=b'db 01 (test)'),
                'add-type1': handoff(b'group 9\nlease 0000:02:00.0\n', fds=2, add=True),
                'add-iommufd': handoff(b'device 0000:02:00.0\nlease 0000:02:00.0\n', fds=2,
                                       backend=b'iommufd', add=True)},
    'bdf': {'sysfs': b'0000:03:00.0', 'lspci': b'03:00.0', 'upper': b'0000:AF:1F.7',
            'domain8': b'ffffffff:00:00.0', 'dev-too-big': b'0000:00:20.0',
            'func-too-big': b'00:00.8', 'space': b'0000:03:00.0 ', 'prefix': b'0x00:00.0',
            'domain3': b'000:03:00.0'},
    'size': {'bytes': b'512', 'k': b'64K', 'gib': b'4 GiB', 'tb': b'16tb', 'mb': b'4096M',
             'bytes-b': b'512B', 'fraction': b'1.5G', 'range': b'16777216T',
             'max': b'18446744073709551615', 'max+1': b'18446744073709551616',
             'sign': b'+1', 'unit-b': b'4GB'},
    'policy': {'full': POLICY_OK, 'empty': b'', 'bom-crlf': b'\xef\xbb\xbf[policy]\r\nrequire_marked = no\r\n',
               'dup': b'[policy]\nrequire_iommu = yes\nrequire_iommu = no\n',
               'unknown-key': b'[policy]\nrequire_everything = yes\n',
               'outside': b'require_iommu = no\n[policy]\n',
               'count-range': b'[policy]\nmax_devices_per_vm = 4097\n',
               'indented': b'[policy]\n   deny_boot_vga = off\n\t; comment\n',
               # Issue 16: shared_reset and the per-device reset methods.
               'device-reset': b'[policy]\nshared_reset = warn\n\n[device 10DE:1b80]\nreset_method = bus, flr\n'
                               b'[device 1234:11e8]\nreset_method = none\n'
                               b'[device 8086:10fb]\nreset_method = pm af_flr device_specific acpi cxl_bus\n',
               'device-reset-bad-method': b'[device 10de:1b80]\nreset_method = flr slot\n',
               'device-reset-dup': b'[device 10de:1b80]\nreset_method = flr\n[device 10DE:1B80]\nreset_method = bus\n',
               'device-reset-none-and': b'[device 10de:1b80]\nreset_method = none bus\n',
               'device-header-bad': b'[device 10de:1b8]\n',
               # Issue 16: the ROM, host-use and release rules.
               'host-safety': b'[policy]\ninvalid_rom = deny\nhost_input_devices = allow\nhost_storage = warn\n'
                              b'host_boot_filesystem = warn\nhost_default_route = allow\nhost_console = deny\n'
                              b'direct_regions = warn\nrelease = quarantine\n',
               # Issue 17: the plan's rules.
               'plan': b'[policy]\nmmio_window = warn\nmemlock = deny\n',
               'release-bad': b'[policy]\nrelease = always\n',
               # Issue 22: the drivers ready for passthrough.
               'vfio-drivers': b'[policy]\nvfio_drivers = vfio-pci, *_vfio_pci nvidia:vfio-dev\n',
               'vfio-drivers-narrow': b'[policy]\nvfio_drivers = vfio-pci\n',
               'vfio-drivers-star': b'[policy]\nvfio_drivers = *\n',
               'vfio-drivers-dup': b'[policy]\nvfio_drivers = vfio-pci\nvfio_drivers = *:vfio-dev\n'},
    # Issue 22: vfio_drivers alone (lib/vfiodriver.c's grammar).
    'vfiodrivers': {'default': b'vfio-pci *_vfio_pci *:vfio-dev', 'narrow': b'vfio-pci',
                    'commas': b'vfio-pci, mlx5_vfio_pci,hisi_acc_vfio_pci', 'vendor': b'nvidia:vfio-dev',
                    'tabs': b'\tvfio-pci\t*_vfio_pci ', 'glob': b'*vfio*:vfio-dev mlx5*_pci',
                    'star': b'*', 'empty': b'', 'blank': b'  \t ', 'bad-condition': b'nvidia:cdev',
                    'bad-char': b'vfio/pci', 'dup': b'vfio-pci vfio-pci'},
    # Issue 17: labels.conf (directpath-labels(5)); up to a NUL, also a VM's device request.
    'labels': {'full': b'# GPUs\n[label gpu]\nid = 10de:1b80\nid = 10DE:1b81:1458:3702\n'
                       b'device = 03:00.0\n\n[label nic.a-1]\ndevice = 0000:05:00.1\n',
               'id-request': b'10de:1b80', 'subsystem-request': b'10de:1b80:1458:3702',
               'label-request': b'label:gpu', 'bdf-request': b'0000:03:00.0',
               'empty': b'', 'comment': b'; only\n',
               'bad-id': b'[label gpu]\nid = 10de\n', 'dup-label': b'[label a]\nid = 1234:11e8\n[label a]\n',
               'empty-label': b'[label a]\n', 'outside': b'id = 1234:11e8\n',
               'bad-name': b'[label -a]\nid = 1234:11e8\n'},
    'vmfile': {'full': VM_OK, 'noname': b'[vm]\nmemory = 1G\n',
               'badname': b'[vm]\nname = a"b\n', 'features-bad': b'[vm]\nname = x\nfeatures = warp\n',
               'dup': b'[vm]\nname = a\nname = b\n', 'size-range': b'[vm]\nname = a\nmemory = 16777216T\n',
               'device-long': b'[vm]\nname = a\n[passthrough]\ndevice = ' + b'0' * 64 + b'\n'},
    'compat': {'full': COMPAT_OK, 'empty': b'', 'badid': b'808:10fb supported\n',
               'nolevel': b'8086:10fb\n', 'badlevel': b'8086:10fb Supported\n',
               'sub-bad': b'8086:10fb 1:2 supported\n', 'comment': b'   # only\n\n'},
    'driverctl': {'vfio': b'vfio-pci\n', 'vfio-crlf': b'vfio-pci\r\n', 'other': b'nvme\n',
                  'variant': b'mlx5_vfio_pci\n', 'variant-only-suffix': b'_vfio_pci\n',
                  'empty': b'', 'spaces': b'  vfio-pci  \n', 'long': b'x' * 40 + b'\n'},
    'lease': {'record': b'vm=db-01\npid=4242\n', 'empty': b'', 'junk': b'vm\npid=x\n\n\nvm=',
              'long-name': b'vm=' + b'n' * 100 + b'\npid=1\n'},
    'sysfs': {'read': b'\x00hello\n', 'hex': b'\x09' + b'0x8086\n', 'dec': b'\x05' + b'42\n',
              'long': b'\x02' + b'-17\n', 'big': b'\x01' + b'18446744073709551616\n',
              'octal': b'\x01' + b'0777\n', 'neg-u64': b'\x05' + b'-1\n',
              'min': b'\x0a' + b'-9223372036854775808\n'},
    'pciconf': {'nvme': cfg_space(4096, NVME_CAPS, NVME_EXT), 'header-only': cfg_space(64),
                'no-caps': cfg_space(256, status_caps=False),
                'bridge': cfg_space(256, [(0x40, 0x10, 0, b'')], header_type=0x81),
                'cardbus': cfg_space(256, [(0x80, 0x01, 0, b'')], header_type=2, cap_ptr=0x80),
                'short-msix': cfg_space(256, [(0xf8, 0x11, 0, b'\xff\x07')])[:0xfc]},
    'resv': {'intel-usb': b'\x40' + b'0x000000008e800000 0x000000008e81ffff direct-relaxable\n'
                          b'0x00000000fee00000 0x00000000feefffff msi\n',
             'amd': b'\x40' + b'0x00000000fee00000 0x00000000feefffff msi\n'
                    b'0x000000fd00000000 0x000000ffffffffff reserved\n',
             'direct': b'\x02' + b'0x0000000000000000 0x0000000000ffffff direct\n',
             'empty': b'\x00'},
    'optionrom': {
        'x86': rom_input(0x1234, 0x11e8, rom_image(0x1234, 0x11e8, 4)),
        'x86-efi': rom_input(0x1234, 0x11e8, rom_image(0x1234, 0x11e8, 2, 0, False) +
                             rom_image(0x1234, 0x11e8, 4, 3)),
        'devlist': rom_input(0x8086, 0x10fb, rom_image(0x8086, 0x1000, 2, rev=3,
                                                       devlist=(0x10fb, 0x10fc))),
        'mismatch': rom_input(0x1234, 0x11e8, rom_image(0x1234, 0x0001, 1)),
        'blank': rom_input(0x1234, 0x11e8, b'\xff' * 2048)},
    'mountinfo': {'host': MOUNTINFO_HOST,
                  'proc5-example': b'36 35 98:0 /mnt1 /mnt2 rw,noatime master:1 - ext3 /dev/root rw,errors=continue\n',
                  'escapes': b'41 27 8:18 / /media/my\\040stick\\011\\012\\134 rw - exfat /dev/sdb1 rw\n',
                  'empty-source': b'42 27 0:50 / /mnt/x rw - tmpfs  rw\n',
                  'nsfs-root': b'43 24 0:4 net:[4026531840] /run/netns/a rw - nsfs nsfs rw\n',
                  'btrfs': b'27 1 0:31 /@ / rw,relatime shared:1 - btrfs /dev/nvme0n1p2 rw,ssd,subvol=/@\n',
                  'no-newline': b'27 1 8:2 / / rw - ext4 /dev/sda2 rw'},
    'route': {'host': ROUTE_HEADER + route_line(b'eth0', 0, 0x010200C0, 3, 0, 0) +
              route_line(b'eth0', 0x000200C0, 0, 1, 0, 0x00FFFFFF),
              'two-nics': ROUTE_HEADER + route_line(b'enp3s0f0', 0, 0x0101A8C0, 3, 100, 0) +
              route_line(b'enp3s0f1', 0x0002A8C0, 0, 1, 100, 0x00FFFFFF),
              'no-device': ROUTE_HEADER + route_line(b'*', 0, 0, 0x0201, -1, 0),
              'header-only': ROUTE_HEADER, 'empty': b''},
    'quarantine': {
        'failed': b'reason=did not come back from the reset at detach: BAR0 0xfea00000 -> 0x00000000\n'
                  b'time=1765015200\n'
                  b'before=1234 11e8 0103 00 fea00000 00000000 00000000 00000000 00000000 00000000 00000000\n',
        'policy': b'reason=held by policy release = quarantine\ntime=1765015200\n',
        'newer-key': b'reason=held by policy release = quarantine\ntime=0\nby_pid=42\n',
        'crlf': b'reason=x\r\ntime=1\r\n'},
    # Issue 17: the dma-costs file bench-dma writes (directpath-report(5)).
    'dmacosts': {'bench': b'# bench-dma: nanoseconds to make 1 GiB of guest RAM DMA-ready\n'
                          b'4k = 5690000000\nthp = 5861000000\nhugetlbfs = 2599000000\n',
                 'one': b'hugetlbfs = 2599000000\n', 'spaces': b'  4k=1 \r\n\n\t# x\n',
                 'later-key': b'4k = 1\n1g = 7\n', 'empty': b''},
    'vpci': {'nvme': vpci(0x0, 0, NVME_REGIONS, 0x01 | 0x40, nvme_cfg(), PROGRAM_NVME),
             'edu': vpci(0x1 | 0x4, 0, EDU_REGIONS, 0x01 | 0x08, edu_cfg(), PROGRAM_EDU),
             'vmm-decodes': vpci(0x8, 0xf, NVME_REGIONS, 0x40, nvme_cfg(),
                                 PROGRAM_NVME + bytes([4, 2]) + struct.pack('<I', 0xfe000) +
                                 bytes([4, 3]))},
}

# Inputs that once broke a parser: what issue 13 lists that a fuzzer can find.
REGRESS = {
    'handoff': {'version-2': b'\x03directpath-handoff 2\nbackend type1\n',
                'nul-in-line': handoff(b'container\ngroup 7\x00\nlease 0000:01:00.0\n'),
                'no-end': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n')[:-4],
                'after-end': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n') + b'x\n',
                'lease-without-device': handoff(b'iommufd\ndevice 0000:01:00.0\n'
                                                b'lease 0000:02:00.0\n', backend=b'iommufd'),
                'two-containers': handoff(b'container\ncontainer\ngroup 7\nlease 0000:01:00.0\n',
                                          fds=4),
                'group-leading-zero': handoff(b'container\ngroup 07\nlease 0000:01:00.0\n'),
                'bdf-upper-case': handoff(b'container\ngroup 7\nlease 0000:0A:00.0\n'),
                'fds-miscounted': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n', fds=5,
                                          nfds=3),
                'fds-too-many': handoff(b'container\n', nfds=254),
                'name-quote': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n', vm=b'a"b'),
                'oversize': b'\x03' + b'x' * 9000,
                # Found by fuzz-handoff: the VM name led the receiver's messages, so a
                # name starting "BUG" read as the library's misuse report.
                'vm-name-bug': handoff(b'iommufd\ndevice 0000:01:00.0\nlease 0000:01:00.0\n',
                                       fds=3, backend=b'iommufd', vm=b'BUGdb'),
                'add-with-container': handoff(b'container\ngroup 7\nlease 0000:01:00.0\n',
                                              add=True),
                'add-two-devices': handoff(b'group 7\nlease 0000:01:00.0\ngroup 8\n'
                                           b'lease 0000:02:00.0\n', fds=4, add=True),
                'add-twice': b'\x02directpath-handoff 1\nbackend type1\nvm a\nadd\nadd\n'
                             b'fds 2\ngroup 7\nlease 0000:01:00.0\nend\n'},
    'bdf': {'issue13-5-digit-domain-lookup': b'10000:00:00.0',
            'issue13-escape-echoed': b'\x1b[2J00:00.0'},
    'size': {'issue13-trailing-space': b'16 ', 'trailing-space-after-unit': b'4G '},
    'policy': {
        'issue13-nul-hides-line': b'[policy]\n#\x00' + b'A' * 1100 + b'require_iommu = no\n',
        'issue13-nul-truncates-value': b'[policy]\nrequire_iommu = yes\x00no\n',
        'issue13-198-crlf': b'[policy]\r\n' + b'require_iommu = yes' + b' ' * 179 + b'\r\n',
        'issue13-199-no-newline': b'[policy]\nrequire_iommu = yes' + b' ' * 180,
        'issue13-922-indented': b'[policy]\n' + b' ' * 900 + b'require_iommu = no\n',
        'issue13-section-junk': b'[policy] trailing junk\nrequire_iommu = no\n',
        'issue13-section-brackets': b'[policy]]]\nrequire_iommu = no\n',
        'unknown-section-alone': b'[policy]\nrequire_iommu = no\n[polcy]\n',
        'bom-after-white-space': b' \xef\xbb\xbf[policy]\xff\xff_version = q v\n',
        # Issue 16: a family of sections, judged at the header even with no key.
        'device-section-empty-name': b'[device ]\n',
        'device-section-alone-bad': b'[policy]\n[device zzzz:0000]\n',
        'device-method-twice': b'[device 1234:11e8]\nreset_method = flr,,flr\n',
        'device-key-colon': b'[device 1234:11e8]\nreset_method: bus\n',
        'device-value-empty': b'[device 1234:11e8]\nreset_method =   ; nothing\n',
    },
    'labels': {
        'label-257-entries': b'[label many]\n' + b''.join(b'id = 1234:%04x\n' % i for i in range(257)),
        'label-dup-id-case': b'[label a]\nid = 10de:1b80\nid = 10DE:1B80\n',
        'label-dup-device-forms': b'[label a]\ndevice = 03:00.0\ndevice = 0000:03:00.0\n',
        'label-name-33': b'[label ' + b'a' * 33 + b']\nid = 1234:11e8\n',
        'label-nul-in-id': b'[label a]\nid = 1234:11e8\x00\n',
        'request-id-trailing-colon': b'10de:1b80:',
        'request-label-utf8': b'label:\xc3\xa9',
        'request-bdf-no-function': b'0000:03:00',
    },
    'vmfile': {
        'issue13-1025-devices': b'[vm]\nname = big\n[passthrough]\n' +
        b''.join(b'device = 0000:%02x:%02x.%x\n' % (i >> 8, (i >> 3) & 0x1f, i & 7)
                 for i in range(1025)),
        'issue13-nul-in-name': b'[vm]\nname = a\x00b\n',
        'issue13-section-junk': b'[vm] x\nname = a\n',
    },
    'compat': {
        'issue13-nul-injects-entry': b'#\x00' + b'A' * 600 + b'8086:10fb supported\n',
        'issue13-nul-truncates-name': b'8086:10fb supported a\x00b\n',
        'long-line-513': b'8086:10fb supported ' + b'n' * 493 + b'\n',
    },
    'driverctl': {'nul': b'vfio-pci\x00\n', 'over-4k': b'vfio-pci' + b' ' * 4100},
    'lease': {'no-newline': b'vm=' + b'x' * 600},
    'sysfs': {'u64-leading-tab': b'\x01\t5\n', 'long-leading-newline': b'\x02\n5\n'},
    'pciconf': {
        'issue13-cap-loop': cfg_space(256, [(0x40, 0x05, 0x50, b''), (0x50, 0x11, 0x40, b'')]),
        'issue13-cap-self-loop': cfg_space(256, [(0x40, 0x01, 0x40, b'')]),
        'issue13-ext-loop': cfg_space(4096, [], [(0x100, ext_hdr(0x0d, 1, 0x200), b''),
                                                  (0x200, ext_hdr(0x01, 1, 0x100), b'')]),
        'ext-self-loop': cfg_space(4096, [], [(0x100, ext_hdr(0x0d, 1, 0x100), b'')]),
        'cap-into-header': cfg_space(256, [(0x40, 0x05, 0x08, b'')]),
        'cap-past-end': cfg_space(256, [(0xfc, 0x11, 0, b'')])[:0xfd],
    },
    # Found by fuzz-vpci: no MSI-X capability in config space while the device
    # reports 2048 MSI-X vectors (irqs byte 0xfb): dp_vpci_unref walked
    # msix_count vectors of a NULL msix_vec (SIGSEGV in msix_teardown).
    'resv': {'garbage-line': b'\x40' + b'0x1000 0x1fff msi\ngarbage\n',
             'start-above-end': b'\x40' + b'0x2000 0x1fff reserved\n',
             'no-newline': b'\x40' + b'0x1000 0x1fff msi',
             'too-many': b'\x01' + b'0x1 0x2 msi\n0x3 0x4 msi\n'},
    'optionrom': {'truncated': rom_input(0x1234, 0x11e8, rom_image(0x1234, 0x11e8, 4)[:1500]),
                  'pcir-out-of-range': rom_input(0x1234, 0x11e8,
                                                 rom_image(0x1234, 0x11e8, 1, pcir_at=0x1fc)),
                  'not-last': rom_input(0x1234, 0x11e8, rom_image(0x1234, 0x11e8, 1, last=False)),
                  # Issue 16 (the invalid_rom rule reads a ROM BAR whole): what
                  # a short read, a blank BAR or a wild pointer gives it.
                  'empty': rom_input(0x1234, 0x11e8, b''),
                  'one-byte': rom_input(0x1234, 0x11e8, b'\x55'),
                  'signature-only': rom_input(0x1234, 0x11e8, b'\x55\xaa'),
                  'pcir-pointer-ffff': rom_input(0x1234, 0x11e8,
                                                 rom_image(0x1234, 0x11e8, 1)[:0x18] + b'\xff\xff' +
                                                 rom_image(0x1234, 0x11e8, 1)[0x1a:]),
                  'second-image-truncated': rom_input(0x1234, 0x11e8,
                                                      rom_image(0x1234, 0x11e8, 1, last=False) +
                                                      rom_image(0x1234, 0x11e8, 2, 3)[:700])},
    # The hostile forms tests/test-hostuse.c feeds the reader, one a line.
    'mountinfo': {
        'garbage-lines': b'garbage\n\n36 35 98 /mnt1 /mnt2 rw - ext3 /dev/root rw\n',
        'mount-point-4096': b'1 1 8:1 / /' + b'a' * 4095 + b' rw - ext4 /dev/sda1 rw\n',
        'escape-short-at-end': b'1 1 8:1 / /m\\04',
        'escape-makes-nul': b'1 1 8:1 / /m\\000 rw - ext4 /dev/sda1 rw\n',
        'escape-past-a-byte': b'1 1 8:1 / /m\\400 rw - ext4 /dev/sda1 rw\n',
        'nul-in-line': b'1 1 8:1 / /m rw - ext4 /dev/sd\x00a1 rw\n',
        'separator-as-options': b'36 35 98:0 / /m - ext3 /dev/root rw\n',
        'many-optional-fields': b'1 1 8:1 / /m rw ' + b'shared:1 ' * 70 + b'- ext4 /dev/sda1 rw\n',
        'long-type-and-source': b'1 1 0:60 / /mnt rw - fuse.' + b'0' * 100 + b' server:/' + b'0' * 300 + b' rw\n',
        'devnum-overflow': b'36 35 4294967296:0 / /m rw - ext3 /dev/root rw\n',
    },
    'route': {
        'twelve-fields': b'eth0\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\t0\n',
        'name-of-16': b'abcdefghijklmnop\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
        'negative-use': b'eth0\t00000000\t00000000\t0003\t0\t-1\t0\t00000000\t0\t0\t0\n',
        'metric-overflow': b'eth0\t00000000\t00000000\t0003\t0\t0\t2147483648\t00000000\t0\t0\t0\n',
        'metric-minimum': b'eth0\t00000000\t00000000\t0003\t0\t0\t-2147483648\t00000000\t0\t0\t0\n',
        'nul-in-name': b'et\x00h\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
        'dot-dot': b'..\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
        'alias-colon': b'eth0:1\t00000000\t00000000\t0003\t0\t0\t0\t00000000\t0\t0\t0\n',
        'control-bytes': b'\x01\x02\n',
    },
    'quarantine': {
        'no-newline': b'reason=x\ntime=1',
        'empty-reason': b'reason=\ntime=1\n',
        'two-reasons': b'reason=a\nreason=b\ntime=1\n',
        'control-byte': b'reason=a\x1b[2Jb\ntime=1\n',
        'nul': b'reason=a\x00b\ntime=1\n',
        'time-negative': b'reason=a\ntime=-1\n',
        'time-overflow': b'reason=a\ntime=9223372036854775808\n',
        'time-plus': b'reason=a\ntime=+1\n',
        'before-short': b'reason=a\ntime=1\nbefore=1234 11e8\n',
        'before-long': b'reason=a\ntime=1\nbefore=1234 11e8 0103 00 fea00000 00000000 00000000 '
                       b'00000000 00000000 00000000 00000000 0\n',
        'before-two-spaces': b'reason=a\ntime=1\nbefore=1234  11e8 0103 00 fea00000 00000000 00000000 '
                             b'00000000 00000000 00000000 0000000\n',
        'reason-512': b'reason=' + b'r' * 512 + b'\ntime=1\n',
        'over-4k': b'reason=a\ntime=1\n' + b'x=' + b'y' * 4100 + b'\n',
        'no-key': b'=a\nreason=a\ntime=1\n',
        'upper-key': b'Reason=a\ntime=1\n',
        'empty': b''},
    'vpci': {'msix-vectors-without-capability': bytes([0xff, 0xfb, 0x00, 0xfb])},
    'vfiodrivers': {'empty-after-comma': b'vfio-pci,', 'empty-before-comma': b',vfio-pci',
                    'two-commas': b'vfio-pci,,x', 'colon-only': b':vfio-dev', 'stars-only': b'***',
                    'too-long': b'a' * 65, 'too-many': b' '.join(b'd%d' % i for i in range(33)),
                    'backtrack': b'*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*a*b:vfio-dev',
                    'two-colons': b'x:vfio-dev:vfio-dev', 'nul-ends-it': b'vfio-pci\x00 bogus'},
    'dmacosts': {'garbage': b'4k = 1\ngarbage\n', 'twice': b'thp = 1\nthp = 2\n',
                 'zero': b'4k = 0\n', 'over-max': b'4k = 1000000000001\n',
                 'overflow': b'4k = 99999999999999999999\n', 'sign': b'4k = +1\n',
                 'hex': b'4k = 0x10\n', 'unit': b'4k = 5s\n', 'no-key': b'= 1\n',
                 'nul': b'4k = 1\x00\n', 'line-long': b'4k = ' + b'1' * 200 + b'\n',
                 'no-newline': b'4k = 7'},
}


def write(kind, tree):
    for target, files in tree.items():
        d = os.path.join(HERE, kind, target)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        for name, data in files.items():
            with open(os.path.join(d, name), 'wb') as f:
                f.write(data)
        if not files:
            open(os.path.join(d, '.keep'), 'wb').close()


if __name__ == '__main__':
    write('corpus', CORPUS)
    write('regress', REGRESS)
