#!/usr/bin/env python3
"""tests/oracle/java_class.py SAMPLE: expected values for formats/java_class.struct, as JSON.

Parses the output of `javap -v` (the JDK's class file disassembler: Debian package
openjdk-17-jdk-headless, /usr/lib/jvm/java-17-openjdk-amd64/bin/javap; any JDK ≥ 11 prints the
same layout). Prints:
  minor_version, major_version, access_flags (number), access_flag_names, this_class (index),
  this_class_name, super_class (index), super_class_name, interfaces_count, fields_count,
  methods_count, attributes_count, constant_pool_count (the stored count: highest index + 1,
  + 1 more when the last entry is a Long/Double), constant_pool [{index, tag (number), kind
  (javap's name), value (for Utf8, Integer, Long, Float, Double: javap's \\uXXXX escapes decoded;
  Float/Double as javap prints them, as text)}]: Long/Double occupy two indexes, the second
  never listed.
Only the standard library; needs javap on PATH (or $JAVAP)."""
import json
import os
import re
import subprocess
import sys

TAGS = {'Utf8': 1, 'Integer': 3, 'Float': 4, 'Long': 5, 'Double': 6, 'Class': 7, 'String': 8,
        'Fieldref': 9, 'Methodref': 10, 'InterfaceMethodref': 11, 'NameAndType': 12,
        'MethodHandle': 15, 'MethodType': 16, 'Dynamic': 17, 'InvokeDynamic': 18, 'Module': 19,
        'Package': 20}


def unescape(text):
    return re.sub(r'\\u([0-9a-fA-F]{4})', lambda m: chr(int(m.group(1), 16)), text)


def main(path):
    javap = os.environ.get('JAVAP', 'javap')
    # JVM start-up dominates (~0.5 s on 2 cores); these flags trim it a little
    text = subprocess.run([javap, '-J-Dsun.stdout.encoding=UTF-8', '-J-Dstdout.encoding=UTF-8',
                           '-J-XX:TieredStopAtLevel=1', '-J-XX:+UseSerialGC', '-J-XX:-UsePerfData', '-v',
                           os.path.abspath(path)], check=True, capture_output=True).stdout.decode('utf-8')
    out = {}
    m = re.search(r'minor version: (\d+)\s+major version: (\d+)\s+flags: \(0x([0-9a-f]+)\)(.*)', text)
    out['minor_version'], out['major_version'] = int(m.group(1)), int(m.group(2))
    out['access_flags'] = int(m.group(3), 16)
    out['access_flag_names'] = [f.strip() for f in m.group(4).split(',') if f.strip()]
    m = re.search(r'this_class: #(\d+)\s+// (\S+)', text)
    out['this_class'], out['this_class_name'] = int(m.group(1)), m.group(2)
    m = re.search(r'super_class: #(\d+)\s+// (\S+)', text)
    out['super_class'], out['super_class_name'] = (int(m.group(1)), m.group(2)) if m else (0, None)
    m = re.search(r'interfaces: (\d+), fields: (\d+), methods: (\d+), attributes: (\d+)', text)
    (out['interfaces_count'], out['fields_count'], out['methods_count'],
     out['attributes_count']) = map(int, m.groups())
    pool = []
    block = text.split('Constant pool:\n', 1)[1]
    for line in block.split('\n'):
        m = re.match(r'\s*#(\d+) = (\w+)\s+(.*)$', line)
        if not m:
            if line.startswith('{') or not line.startswith(' '):
                break
            continue
        idx, kind, rest = int(m.group(1)), m.group(2), m.group(3)
        e = {'index': idx, 'tag': TAGS[kind], 'kind': kind}
        if kind == 'Utf8':
            e['value'] = unescape(rest)
        elif kind in ('Integer', 'Long'):
            e['value'] = int(rest.rstrip('l'))
        elif kind in ('Float', 'Double'):
            e['value'] = rest.strip()
        pool.append(e)
    last = pool[-1]
    out['constant_pool_count'] = last['index'] + (2 if last['kind'] in ('Long', 'Double') else 1)
    out['constant_pool'] = pool
    return out


if __name__ == '__main__':
    print(json.dumps(main(sys.argv[1]), indent=2, ensure_ascii=False))
