#!/usr/bin/env python3
"""tests/oracle/run_all.py [--check] [OUTDIR]: runs every oracle on every sample it covers.

SAMPLES maps each file in samples/ to its format (= formats/<format>.struct and
tests/oracle/<format>.py); an integration test can import it. Without OUTDIR the results are
printed as one JSON object {sample: expected}; with OUTDIR each goes to OUTDIR/<sample>.json.
--check only reports the time each oracle took (each must stay well under a second)."""
import json
import os
import subprocess
import sys
import time

SAMPLES = {
    'tone.wav': 'wav', 'stereo_list.wav': 'wav', 'odd.wav': 'wav', 'float.wav': 'wav',
    'extensible.wav': 'wav', 'rifx.wav': 'wav',
    'tiny.bmp': 'bmp', 'pal8.bmp': 'bmp', 'v5.bmp': 'bmp', 'core.bmp': 'bmp', 'rle8.bmp': 'bmp',
    'tiny.png': 'png', 'gray.png': 'png', 'pal_trns.png': 'png',
    'tiny.gif': 'gif', 'anim.gif': 'gif',
    'hello.gz': 'gzip', 'noname.gz': 'gzip', 'comment.gz': 'gzip',
    'small.tar': 'tar', 'pax.tar': 'tar', 'gnu.tar': 'tar',
    'small.zip': 'zip', 'streamed.zip': 'zip', 'extras.zip': 'zip', 'zip64.zip': 'zip',
    'tiny.pcap': 'pcap', 'tiny_be.pcap': 'pcap', 'nsec.pcap': 'pcap',
    'tiny.sqlite': 'sqlite',
    'Hello.class': 'java_class',
    'hello.pyc': 'pyc', 'hello_hash.pyc': 'pyc',
    'hello-x86_64.elf': 'elf', 'hello-dyn-x86_64.elf': 'elf', 'hello-i386.elf': 'elf',
    'hello-ppc.elf': 'elf', 'hello-s390x.elf': 'elf', 'hello-s390x.o': 'elf',
}

HERE = os.path.dirname(os.path.abspath(__file__))
SAMPLE_DIR = os.path.join(HERE, '..', '..', 'samples')


def run(sample, fmt):
    start = time.monotonic()
    out = subprocess.run([sys.executable, os.path.join(HERE, fmt + '.py'), os.path.join(SAMPLE_DIR, sample)],
                         check=True, capture_output=True).stdout
    return json.loads(out), time.monotonic() - start


def main(args):
    check = '--check' in args
    args = [a for a in args if a != '--check']
    results = {}
    for sample, fmt in SAMPLES.items():
        value, took = run(sample, fmt)
        if check:
            print('%-22s %-10s %.3f s' % (sample, fmt, took))
        elif args:
            os.makedirs(args[0], exist_ok=True)
            with open(os.path.join(args[0], sample + '.json'), 'w') as f:
                json.dump(value, f, indent=2, ensure_ascii=False)
        else:
            results[sample] = value
    if not check and not args:
        print(json.dumps(results, indent=2, ensure_ascii=False))


if __name__ == '__main__':
    main(sys.argv[1:])
