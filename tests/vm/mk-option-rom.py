#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Writes a valid x86 PCI option ROM image for a test device (QEMU's
`-device edu,romfile=FILE`): the 0x55 0xAA signature, the size in 512-byte
units, a `retf` (0xCB) at the entry point (offset 3) so that SeaBIOS, which
calls every x86 option ROM it finds at boot, gets control straight back
(testing.md: without it the guest hangs in the BIOS), a PCI Data Structure
(PCIR) naming the vendor, device and class with the image length, code type
0 (x86) and the last-image flag, a recognisable filler, and a checksum byte
that makes all bytes sum to 0 mod 256.

usage: mk-option-rom.py [--vendor 0x1234] [--device 0x11e8] [--class 0x00ff00]
                        [--size 4096] [--pcir-vendor ID] [--pcir-device ID]
                        [--pcir-pointer OFFSET] [--truncate BYTES] [--blank]
                        [--file-size BYTES] OUTPUT

--file-size pads the file with zeros after the image: QEMU sizes the ROM
BAR from the file, so the image is then shorter than its BAR.

The last five make the bad images the library must refuse: PCIR IDs that
are not the device's (QEMU does not patch a romfile's IDs; SeaBIOS skips
such an image), a PCIR pointer out of the image, a file cut short of the
image length, and a blank ROM (all 0xff: no image at all).
"""

import argparse
import struct
import sys

PCIR_OFFSET = 0x20


def option_rom(vendor, device, klass, size):
    rom = bytearray(size)
    rom[0:2] = b'\x55\xaa'
    rom[2] = size // 512
    rom[3] = 0xCB  # retf: the initialisation entry point returns at once
    struct.pack_into('<H', rom, 0x18, PCIR_OFFSET)
    # PCI Firmware Specification 3.0, the PCI Data Structure.
    pcir = struct.pack('<4sHHHHB3sHHBBHHH',
                       b'PCIR', vendor, device,
                       0,               # device list pointer (3.0; VPD before)
                       0x1C,            # length of this structure
                       3,               # revision: 3.0
                       klass.to_bytes(3, 'little'),  # prog-if, sub-class, class
                       size // 512,     # image length, 512-byte units
                       1,               # revision level of the code
                       0,               # code type: x86 (PC-AT compatible)
                       0x80,            # indicator: the last image
                       size // 512,     # maximum run-time image length
                       0,               # configuration utility code header
                       0)               # DMTF CLP entry point
    assert len(pcir) == 0x1C
    rom[PCIR_OFFSET:PCIR_OFFSET + len(pcir)] = pcir
    text = b'libdirectpath test option ROM %04x:%04x\0' % (vendor, device)
    rom[0x40:0x40 + len(text)] = text
    # A filler no two offsets (mod 251) share, so a shifted or partial copy
    # shows; the last byte is the checksum.
    for i in range(0x40 + len(text), size - 1):
        rom[i] = (i * 7 + (i >> 8)) % 251
    rom[size - 1] = (-sum(rom[:size - 1])) & 0xFF
    assert sum(rom) % 256 == 0
    return bytes(rom)


def number(text):
    return int(text, 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    parser.add_argument('--vendor', type=number, default=0x1234)
    parser.add_argument('--device', type=number, default=0x11e8)
    parser.add_argument('--class', dest='klass', type=number, default=0x00ff00)
    parser.add_argument('--size', type=number, default=4096,
                        help='bytes, a multiple of 512 up to 127 KiB (default 4096)')
    parser.add_argument('--pcir-vendor', type=number,
                        help='the vendor ID the PCIR names (default: --vendor)')
    parser.add_argument('--pcir-device', type=number,
                        help='the device ID the PCIR names (default: --device)')
    parser.add_argument('--pcir-pointer', type=number,
                        help='the PCIR pointer at 0x18, the structure staying at 0x20')
    parser.add_argument('--truncate', type=number,
                        help='write only the first BYTES bytes of the image')
    parser.add_argument('--blank', action='store_true',
                        help='write --size bytes of 0xff: a ROM BAR without an image')
    parser.add_argument('--file-size', type=number,
                        help='pad the file with zeros to BYTES, at least --size')
    parser.add_argument('output')
    args = parser.parse_args()
    if args.size <= 0 or args.size % 512 or args.size // 512 > 0xFF:
        parser.error('--size must be a multiple of 512 up to %d' % (0xFF * 512))
    for name, value, top in (('vendor', args.vendor, 0xFFFF), ('device', args.device, 0xFFFF),
                             ('class', args.klass, 0xFFFFFF)):
        if not 0 <= value <= top:
            parser.error('--%s out of range' % name)
    for name, value in (('pcir-vendor', args.pcir_vendor), ('pcir-device', args.pcir_device),
                        ('pcir-pointer', args.pcir_pointer)):
        if value is not None and not 0 <= value <= 0xFFFF:
            parser.error('--%s out of range' % name)
    if args.truncate is not None and not 0 <= args.truncate <= args.size:
        parser.error('--truncate must be from 0 to --size')
    if args.blank:
        rom = b'\xff' * args.size
    else:
        rom = bytearray(option_rom(
            args.pcir_vendor if args.pcir_vendor is not None else args.vendor,
            args.pcir_device if args.pcir_device is not None else args.device,
            args.klass, args.size))
        if args.pcir_pointer is not None:
            struct.pack_into('<H', rom, 0x18, args.pcir_pointer)
            rom[-1] = (rom[-1] - sum(rom)) & 0xFF  # the checksum again
    if args.truncate is not None:
        rom = rom[:args.truncate]
    if args.file_size is not None:
        if args.file_size < len(rom):
            parser.error('--file-size is smaller than the image')
        rom = bytes(rom) + bytes(args.file_size - len(rom))
    with open(args.output, 'wb') as f:
        f.write(bytes(rom))
    return 0


if __name__ == '__main__':
    sys.exit(main())
