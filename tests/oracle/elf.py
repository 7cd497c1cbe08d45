#!/usr/bin/env python3
"""tests/oracle/elf.py SAMPLE: expected values for formats/elf.struct, as JSON.

Parses `readelf -h -S -l -W` (GNU binutils; Debian package binutils, /usr/bin/readelf; any
binutils ≥ 2.30 prints this layout) with LC_ALL=C. readelf prints names for types; the tables
below turn them back into the numbers of the ELF gABI / the GNU extensions. Prints:
  class (32|64), data (little|big), ident_version, osabi (text), abi_version, e_type,
  e_machine, e_machine_name, e_version, e_entry, e_phoff, e_shoff, e_flags, e_ehsize,
  e_phentsize, e_phnum, e_shentsize, e_shnum, e_shstrndx,
  sections [{index, name, sh_type, sh_type_name, sh_addr, sh_offset, sh_size, sh_entsize,
  sh_flags (number), sh_flags_text (readelf's letters), sh_link, sh_info, sh_addralign}],
  segments [{p_type, p_type_name, p_offset, p_vaddr, p_paddr, p_filesz, p_memsz,
  p_flags (R=4 W=2 X=1), p_align}].
Only the standard library; needs readelf on PATH (or $READELF)."""
import json
import os
import re
import subprocess
import sys

E_TYPES = {'NONE': 0, 'REL': 1, 'EXEC': 2, 'DYN': 3, 'CORE': 4}
MACHINES = {'Intel 80386': 3, 'MIPS R3000': 8, 'PowerPC': 20, 'PowerPC64': 21, 'IBM S/390': 22,
            'ARM': 40, 'Advanced Micro Devices X86-64': 62, 'AArch64': 183, 'RISC-V': 243,
            'Sparc v9': 43, 'None': 0}
SH_TYPES = {'NULL': 0, 'PROGBITS': 1, 'SYMTAB': 2, 'STRTAB': 3, 'RELA': 4, 'HASH': 5, 'DYNAMIC': 6,
            'NOTE': 7, 'NOBITS': 8, 'REL': 9, 'SHLIB': 10, 'DYNSYM': 11, 'INIT_ARRAY': 14,
            'FINI_ARRAY': 15, 'PREINIT_ARRAY': 16, 'GROUP': 17, 'SYMTAB SECTION INDICES': 18,
            'RELR': 19, 'GNU_ATTRIBUTES': 0x6ffffff5, 'GNU_HASH': 0x6ffffff6, 'GNU_LIBLIST': 0x6ffffff7,
            'VERDEF': 0x6ffffffd, 'VERNEED': 0x6ffffffe, 'VERSYM': 0x6fffffff,
            'X86_64_UNWIND': 0x70000001, 'ARM_ATTRIBUTES': 0x70000003, 'RISCV_ATTRIBUTES': 0x70000003}
PT_TYPES = {'NULL': 0, 'LOAD': 1, 'DYNAMIC': 2, 'INTERP': 3, 'NOTE': 4, 'SHLIB': 5, 'PHDR': 6, 'TLS': 7,
            'GNU_EH_FRAME': 0x6474e550, 'GNU_STACK': 0x6474e551, 'GNU_RELRO': 0x6474e552,
            'GNU_PROPERTY': 0x6474e553, 'GNU_SFRAME': 0x6474e554}
SH_FLAGS = {'W': 0x1, 'A': 0x2, 'X': 0x4, 'M': 0x10, 'S': 0x20, 'I': 0x40, 'L': 0x80, 'O': 0x100,
            'G': 0x200, 'T': 0x400, 'C': 0x800, 'E': 0x80000000}


def num(text):
    text = text.strip()
    return int(text, 16) if text.startswith('0x') else int(text)


def hexnum(text):
    return int(text, 16)


def main(path):
    readelf = os.environ.get('READELF', 'readelf')
    text = subprocess.run([readelf, '-h', '-S', '-l', '-W', path], check=True, capture_output=True,
                          env=dict(os.environ, LC_ALL='C')).stdout.decode('utf-8')
    hdr = {}
    for line in text.split('Section Headers:')[0].split('\n'):
        if ':' in line:
            k, v = line.split(':', 1)
            hdr.setdefault(k.strip(), v.strip())   # first "Version" is e_ident's, the second e_version
    versions = re.findall(r'^\s+Version:\s+(.*)$', text, re.M)
    out = {'class': 64 if hdr['Class'] == 'ELF64' else 32,
           'data': 'little' if 'little' in hdr['Data'] else 'big',
           'ident_version': int(versions[0].split()[0]), 'osabi': hdr['OS/ABI'],
           'abi_version': int(hdr['ABI Version']), 'e_type': E_TYPES[hdr['Type'].split()[0]],
           'e_machine': MACHINES.get(hdr['Machine']), 'e_machine_name': hdr['Machine'],
           'e_version': num(versions[1]), 'e_entry': num(hdr['Entry point address']),
           'e_phoff': int(hdr['Start of program headers'].split()[0]),
           'e_shoff': int(hdr['Start of section headers'].split()[0]),
           'e_flags': num(hdr['Flags'].split(',')[0]),
           'e_ehsize': int(hdr['Size of this header'].split()[0]),
           'e_phentsize': int(hdr['Size of program headers'].split()[0]),
           'e_phnum': int(hdr['Number of program headers'].split()[0]),
           'e_shentsize': int(hdr['Size of section headers'].split()[0]),
           'e_shnum': int(hdr['Number of section headers'].split()[0]),
           'e_shstrndx': int(hdr['Section header string table index'].split()[0])}
    # the tail columns are fixed in kind; the name and type before them are split on blanks
    # (readelf pads a short name to 17 columns but lets a long one push the type right)
    sec_re = re.compile(r'^\s*\[\s*(\d+)\]\s+(.*?)\s+([0-9a-f]{8,16})\s([0-9a-f]{6,})\s([0-9a-f]{6,})\s'
                        r'([0-9a-f]{2,})\s([A-Za-z ]{3,})\s+(\d+)\s+(\d+)\s+(\d+)\s*$')
    sections = []
    for line in text.split('\n'):
        m = sec_re.match(line)
        if not m:
            continue
        g = m.groups()
        words = g[1].split()
        name, tname = ('', words[0]) if len(words) == 1 else (words[0], ' '.join(words[1:]))
        flags_text = g[6].strip()
        sections.append({'index': int(g[0]), 'name': name, 'sh_type': SH_TYPES.get(tname),
                         'sh_type_name': tname, 'sh_addr': hexnum(g[2]), 'sh_offset': hexnum(g[3]),
                         'sh_size': hexnum(g[4]), 'sh_entsize': hexnum(g[5]),
                         'sh_flags': sum(SH_FLAGS.get(c, 0) for c in flags_text), 'sh_flags_text': flags_text,
                         'sh_link': int(g[7]), 'sh_info': int(g[8]), 'sh_addralign': int(g[9])})
    assert len(sections) == out['e_shnum'], 'section table parse: %d of %d' % (len(sections), out['e_shnum'])
    seg_re = re.compile(r'^\s+([A-Z_0-9+x]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+'
                        r'0x([0-9a-f]+)\s+0x([0-9a-f]+)\s([RWE ]{3})\s0x([0-9a-f]+)\s*$')
    segments = []
    if 'Program Headers:' in text:
        for line in text.split('Program Headers:')[1].split('Section to Segment')[0].split('\n'):
            m = seg_re.match(line)
            if m:
                g = m.groups()
                f = g[6]
                segments.append({'p_type': PT_TYPES.get(g[0]), 'p_type_name': g[0], 'p_offset': hexnum(g[1]),
                                 'p_vaddr': hexnum(g[2]), 'p_paddr': hexnum(g[3]), 'p_filesz': hexnum(g[4]),
                                 'p_memsz': hexnum(g[5]),
                                 'p_flags': (4 if 'R' in f else 0) | (2 if 'W' in f else 0) | (1 if 'E' in f else 0),
                                 'p_align': hexnum(g[7])})
    assert len(segments) == out['e_phnum'], 'program header parse: %d of %d' % (len(segments), out['e_phnum'])
    out['sections'], out['segments'] = sections, segments
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2))
