#!/usr/bin/env python3
"""tests/oracle/compare.py [--unstruct PATH] [SAMPLE ...]: checks unstruct against the oracles.

For every sample (default: all of run_all.SAMPLES) runs
`unstruct -f formats/<format>.struct samples/<sample> -o json` and the oracle
`tests/oracle/<format>.py`, maps unstruct's JSON onto the oracle's facts (below, one function
per format) and prints each difference. Enum and flags names are turned back into numbers with
the declarations of formats/<format>.struct itself, so this does not restate the descriptors.
Exit status: 0 when everything matches, 1 otherwise. The unstruct binary defaults to
$UNSTRUCT, then target/release/unstruct, then target/debug/unstruct."""
import json
import os
import re
import shutil
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from run_all import SAMPLES, run as run_oracle  # noqa: E402


def declarations(fmt):
    """{enum or flags name: {member: value}} parsed from formats/<fmt>.struct."""
    text = open(os.path.join(ROOT, 'formats', fmt + '.struct')).read()
    text = re.sub(r'#[^\n]*', '', text)
    out = {}
    for m in re.finditer(r'\b(?:enum|flags)\s+(\w+)\s*:\s*\w+\s*\{([^}]*)\}', text):
        out[m.group(1)] = {k: int(v, 0) for k, v in re.findall(r'(\w+)\s*=\s*(0x[0-9A-Fa-f]+|\d+)', m.group(2))}
    return out


class Checker:
    def __init__(self, sample, fmt):
        self.sample, self.decl, self.diffs = sample, declarations(fmt), []

    def eq(self, path, got, want):
        if isinstance(got, float) or isinstance(want, float):
            ok = got is not None and want is not None and float(got) == float(want)
        else:
            ok = got == want
        if not ok:
            self.diffs.append('%s: %s: unstruct %r, oracle %r' % (self.sample, path, got, want))

    def num(self, enum, value):
        """An enum member name (or an unknown value's number) back to its number."""
        return value if isinstance(value, int) else self.decl[enum][value]

    def bits(self, flags, names):
        """A flags value (list of names, maybe a trailing number) back to its number."""
        return sum(n if isinstance(n, int) else self.decl[flags][n] for n in names)


def hexlen(value):
    return len(value) // 2 if isinstance(value, str) else len(value or [])


def check_wav(c, u, o):
    c.eq('magic', u['magic'], o['magic'])
    c.eq('size', u['size'], o['riff_size'])
    c.eq('form', u['form'], o['form'])
    c.eq('chunks', [{'id': k['id'], 'offset': k['offset'], 'size': k['size']} for k in u['chunks']], o['chunks'])
    for k in u['chunks']:
        b = k.get('body')
        if k['id'] == 'fmt ':
            c.eq('format', c.num('wave_format', b['format']), o['format_tag'])
            for f in ('channels', 'sample_rate', 'byte_rate', 'block_align', 'bits_per_sample'):
                c.eq(f, b[f], o[f])
            c.eq('cb_size', b.get('cb_size'), o.get('cb_size'))
            if 'extensible' in b:
                x = b['extensible']
                c.eq('valid_bits_per_sample', x['valid_bits_per_sample'], o['valid_bits_per_sample'])
                c.eq('channel_mask', c.bits('speakers', x['channel_mask']), o['channel_mask'])
                c.eq('sub_format', c.num('wave_format', x['sub_format']), int.from_bytes(bytes.fromhex(o['subformat'][:4]), 'little'))
        elif k['id'] == 'data':
            c.eq('data size', k['size'], o['data_size'])
            c.eq('data bytes', hexlen(b), o['data_size'])
        elif k['id'] == 'fact':
            c.eq('fact', b['sample_length'], o['fact_sample_length'])
        elif k['id'] == 'LIST' and b['list_type'] == 'INFO':
            c.eq('info', {i['id']: i['text'] for i in b['items']}, o['info'])


def check_bmp(c, u, o):
    for f in ('file_size', 'pixel_offset', 'header_size', 'width', 'height', 'planes', 'bit_count', 'image_size',
              'x_pels_per_meter', 'y_pels_per_meter', 'colors_used', 'colors_important', 'red_mask', 'green_mask',
              'blue_mask', 'alpha_mask', 'profile_data', 'profile_size'):
        c.eq(f, u.get(f), o.get(f))
    if 'compression' in o:
        c.eq('compression', c.num('compression', u['compression']), o['compression'])
    if 'cs_type' in o:
        c.eq('cs_type', c.num('color_space', u['cs_type']), o['cs_type'])
    if 'intent' in o:
        c.eq('intent', c.num('intent', u['intent']), o['intent'])
    c.eq('palette entries', len(u.get('color_table', [])), o['palette_entries'])
    row = (abs(o['width']) * o['bit_count'] + 31) // 32 * 4
    c.eq('pixels', hexlen(u['pixels']), o.get('image_size') or row * abs(o['height']))


def check_png(c, u, o):
    h = u['ihdr']['data']
    for f in ('width', 'height', 'bit_depth', 'compression', 'filter'):
        c.eq(f, h[f], o[f])
    c.eq('color_type', c.num('color_type', h['color_type']), o['color_type'])
    c.eq('interlace', c.num('interlace', h['interlace']), o['interlace'])
    chunks = [u['ihdr']] + u['chunks']
    c.eq('chunks', [{'type': k['type'], 'offset': k['offset'], 'length': k['length'], 'crc': k['crc']} for k in chunks],
         o['chunks'])
    c.eq('crc_ok', all(k['crc_ok'] for k in chunks), True)
    c.eq('text', {k['data']['keyword']: k['data']['text'] for k in chunks if k['type'] == 'tEXt'}, o['text'])
    c.eq('ztxt', {k['data']['keyword']: k['data']['compression'] for k in chunks if k['type'] == 'zTXt'}, o['ztxt'])
    got = []
    for d in (k['data'] for k in chunks if k['type'] == 'iTXt'):
        got.append({'keyword': d['keyword'], 'compressed': d['compressed'], 'method': d['compression'],
                    'language': d['language'], 'translated': d['translated_keyword']})
        if not d['compressed']:
            got[-1]['text'] = d['text']
    c.eq('itxt', got, [{k: v for k, v in i.items() if k != 'text' or not i['compressed']} for i in o['itxt']])
    c.eq('plte', sum(len(k['data']) for k in chunks if k['type'] == 'PLTE'), o['plte_entries'])
    trns = [k['data'] for k in chunks if k['type'] == 'tRNS']
    if 'trns' in o:
        c.eq('trns', bytes(trns[0]).hex() if trns and isinstance(trns[0], list) else trns, o['trns'])


def check_gif(c, u, o):
    c.eq('version', u['magic'] + u['version'], o['version'])
    s = u['screen']
    for f in ('width', 'height', 'color_resolution', 'gct_size', 'background_index', 'aspect_ratio'):
        c.eq(f, s[f], o[f])
    c.eq('gct_flag', int(s['gct_flag']), o['gct_flag'])
    c.eq('sort_flag', int(s['sort_flag']), o['sort_flag'])
    c.eq('gct entries', len(u.get('global_color_table', [])), o['gct_entries'])
    blocks = [b for b in u['blocks'] if b['introducer'] != 'trailer']
    c.eq('trailer', u['blocks'][-1]['offset'] if u['blocks'][-1]['introducer'] == 'trailer' else None, o['trailer_offset'])
    c.eq('block count', len(blocks), len(o['blocks']))
    comments = []
    for b, w in zip(blocks, o['blocks']):
        c.eq('block offset', b['offset'], w['offset'])
        c.eq('block kind', b['introducer'], w['kind'])
        body = b['body']
        if w['kind'] == 'extension':
            c.eq('label', c.num('extension_label', body['label']), w['label'])
            d = body['data']
            if w['label'] == 0xF9:
                for f in ('disposal', 'delay', 'transparent_index'):
                    c.eq(f, d[f], w[f])
                c.eq('user_input', int(d['user_input']), w['user_input'])
                c.eq('transparent_flag', int(d['transparent_flag']), w['transparent_flag'])
            elif w['label'] == 0xFE:
                comments.append(''.join(s['text'] for s in d))
                c.eq('comment bytes', sum(s['size'] for s in d), w['data_bytes'])
            elif w['label'] == 0xFF:
                c.eq('application', d['identifier'] + bytes.fromhex(d['auth_code']).decode('latin-1'), w['application'])
        else:
            for f in ('left', 'top', 'width', 'height', 'lzw_min_code_size'):
                c.eq(f, body[f], w[f])
            c.eq('lct_flag', int(body['lct_flag']), w['lct_flag'])
            c.eq('lct_size', body['lct_size'], w['lct_size'])
            c.eq('lct entries', len(body.get('local_color_table', [])), w['lct_entries'])
            c.eq('interlace', int(body['interlace']), w['interlace'])
            c.eq('image data', sum(s['size'] for s in body['data']), w['data_bytes'])
    c.eq('comments', comments, o['comments'])


def check_gzip(c, u, o):
    c.eq('method', c.num('method', u['method']), o['method'])
    c.eq('flags', c.bits('gzip_flags', u['flags']), o['flags'])
    c.eq('flag names', u['flags'], o['flag_names'])
    for f in ('mtime', 'extra_flags', 'name', 'comment', 'header_crc'):
        c.eq(f, u.get(f), o.get(f))
    c.eq('os', c.num('os', u['os']), o['os'])
    if 'extra' in o:
        c.eq('xlen', u['extra']['xlen'], o['xlen'])
        c.eq('extra', u['extra']['subfields'], o['extra'])
    if 'header_crc' in o:
        c.eq('header_crc_ok', u['header_crc_ok'], True)
    c.eq('crc', u['trailer']['crc'], o['crc'])
    c.eq('isize', u['trailer']['isize'], o['isize'])
    c.eq('compressed', hexlen(u['compressed']), o['compressed_size'])


def check_tar(c, u, o):
    c.eq('header count', len(u['entries']), len(o['headers']))
    for e, w in zip(u['entries'], o['headers']):
        p = '@%d' % w['offset']
        for f in ('offset', 'mode', 'uid', 'gid', 'size', 'mtime', 'chksum', 'linkname', 'magic', 'version',
                  'uname', 'gname', 'devmajor', 'devminor'):
            c.eq('%s.%s' % (p, f), e.get(f), w[f])
        c.eq(p + '.name', e['name'], w['name'])
        # TarInfo.frombuf raises "bad checksum" on a wrong one, so every oracle header has a
        # correct checksum
        c.eq(p + '.chksum_ok', e.get('chksum_ok'), True)
        c.eq(p + '.prefix', e.get('prefix', ''), w['prefix'])
        c.eq(p + '.typeflag', chr(c.num('typeflag', e['typeflag'])), w['typeflag'])
        if w['size'] and w['typeflag'] in '07':
            c.eq(p + '.data', hexlen(e.get('data')), w['size'])
    # what the extra headers carry, against tarfile's view of the member they describe
    members = {m['header_offset']: m for m in o['members']}
    for e in u['entries']:
        m = members.get(e['offset'])
        if m is None:
            continue
        if e['typeflag'] == 'pax_extended':
            c.eq('@%d pax records' % e['offset'], {r['keyword']: r['value'] for r in e['data']}, m['pax_headers'])
        elif e['typeflag'] == 'gnu_longname':
            c.eq('@%d long name' % e['offset'], e['data'], m['path'])
    c.eq('end_offset', u['end_offset'], o['end_offset'])


def check_zip(c, u, o):
    c.eq('eocd_offset', u['eocd_offset'], o['eocd_offset'])
    for f in ('disk', 'cd_disk', 'entries_on_disk', 'entries_total', 'cd_size', 'cd_offset', 'comment'):
        c.eq('end.' + f, u['end'][f], o[f])
    c.eq('entry count', len(u['entries']), len(o['entries']))
    for e, w in zip(u['entries'], o['entries']):
        p = w['filename']
        for f in ('filename', 'made_by_version', 'version_needed', 'mod_time', 'mod_date', 'crc', 'compressed_size',
                  'uncompressed_size', 'comment', 'internal_attr', 'external_attr', 'local_header_offset'):
            c.eq('%s.%s' % (p, f), e[f], w[f])
        c.eq(p + '.made_by_host', c.num('host_os', e['made_by_host']), w['made_by_host'])
        c.eq(p + '.flags', c.bits('gp_flags', e['flags']), w['flags'])
        c.eq(p + '.method', c.num('method', e['method']), w['method'])
        c.eq(p + '.extra', len(e['extra']) == 0, w['extra'] == '')
        loc = e['local']
        c.eq(p + '.local.offset', loc['offset'], w['local_header_offset'])
        c.eq(p + '.local.filename', loc['filename'], w['filename'])
        c.eq(p + '.local.data_offset', loc['data_offset'], w['data_offset'])
        c.eq(p + '.local.data', hexlen(loc['data']), w['compressed_size'])
        c.eq(p + '.data_descriptor', 'data_descriptor' in loc, w['data_descriptor'])
        if 'data_descriptor' in loc:
            d = loc['data_descriptor']
            c.eq(p + '.descriptor', (d['crc'], d['compressed_size'], d['uncompressed_size']),
                 (w['crc'], w['compressed_size'], w['uncompressed_size']))


def check_pcap(c, u, o):
    c.eq('magic', u['magic'], {'usec': 'microseconds', 'nsec': 'nanoseconds'}[o['precision']])
    for f in ('version_major', 'version_minor', 'thiszone', 'sigfigs', 'snaplen'):
        c.eq(f, u[f], o[f])
    c.eq('linktype', c.num('linktype', u['linktype']), o['linktype'])
    c.eq('packet count', len(u['packets']), o['packet_count'])
    for p, w in zip(u['packets'], o['packets']):
        for f in ('offset', 'ts_sec', 'ts_usec', 'ts_nsec', 'incl_len', 'orig_len'):
            c.eq('packet@%d.%s' % (w['offset'], f), p.get(f), w.get(f))
        c.eq('packet@%d.data' % w['offset'], hexlen(p['data']), w['incl_len'])


def sqlite_rows(u, page_number):
    """(rowid, values) of the cells of a table b-tree whose root is a leaf page."""
    page = u['pages'][page_number - 1]['btree']
    rows = []
    for cell in page['cells']:
        rows.append([cell['rowid']] + [col.get('value') for col in cell['record']['columns']])
    return rows


def check_sqlite(c, u, o):
    for f in ('page_size', 'reserved_space', 'max_payload_fraction', 'min_payload_fraction', 'leaf_payload_fraction',
              'change_counter', 'page_count', 'freelist_trunk', 'freelist_count', 'schema_cookie', 'schema_format',
              'default_cache_size', 'largest_root_page', 'user_version', 'incremental_vacuum', 'application_id',
              'version_valid_for', 'sqlite_version_number'):
        c.eq(f, u[f], o[f])
    c.eq('write_version', c.num('file_format', u['write_version']), o['write_version'])
    c.eq('read_version', c.num('file_format', u['read_version']), o['read_version'])
    c.eq('text_encoding', c.num('text_encoding', u['text_encoding']), o['text_encoding'])
    b = u['pages'][0]['btree']
    w = o['first_page']
    c.eq('page 1 type', c.num('page_type', b['type']), w['type'])
    for f in ('first_freeblock', 'cell_count', 'cell_content_start', 'fragmented_free_bytes', 'right_child'):
        c.eq('page 1 ' + f, b.get(f), w.get(f))
    schema = sqlite_rows(u, 1)
    tables = {r[2]: r[4] for r in schema if r[1] == 'table'}
    c.eq('tables', list(tables), o['tables'])
    for name, root in tables.items():
        got = sqlite_rows(u, root)
        want = o['rows'][name]
        # an INTEGER PRIMARY KEY column is stored as NULL and reads as the rowid
        got = [[r[0]] + [r[0] if v is None and w_ == r[0] else v for v, w_ in zip(r[1:], wr[1:])]
               for r, wr in zip(got, want)]
        c.eq('rows of ' + name, got, want)


def check_java_class(c, u, o):
    for f in ('minor_version', 'major_version', 'constant_pool_count', 'this_class', 'super_class', 'interfaces_count',
              'fields_count', 'methods_count', 'attributes_count'):
        c.eq(f, u[f], o[f])
    c.eq('access_flags', c.bits('class_access', u['access_flags']), o['access_flags'])
    pool = {e['index']: e for e in u['constant_pool']}
    c.eq('pool indexes', sorted(pool), [e['index'] for e in o['constant_pool']])
    for w in o['constant_pool']:
        e = pool.get(w['index'], {})
        c.eq('#%d.tag' % w['index'], c.num('cp_tag', e.get('tag', 0)), w['tag'])
        if 'value' in w:
            want = w['value']
            if w['kind'] in ('Float', 'Double'):
                want = float(want.rstrip('fd'))
            c.eq('#%d.value' % w['index'], e.get('value'), want)
    name = pool[pool[u['this_class']]['name_index']]['value']
    c.eq('this_class_name', name, o['this_class_name'])


def check_pyc(c, u, o):
    c.eq('magic_number', u['magic_number'], o['magic_number'])
    c.eq('flags', c.bits('pyc_flags', u['flags']), o['flags'])
    for f in ('mtime', 'source_size', 'source_hash'):
        c.eq(f, u.get(f), o.get(f))
    if 'code' in o:
        c.eq('type_code', u['type_code'], o['code']['first_byte'] & 0x7F)
        c.eq('ref_flag', u['ref_flag'], bool(o['code']['first_byte'] & 0x80))


def check_elf(c, u, o):
    c.eq('class', {'elf32': 32, 'elf64': 64}[u['class']], o['class'])
    c.eq('data', {'lsb': 'little', 'msb': 'big'}[u['data']], o['data'])
    for f in ('ident_version', 'abi_version', 'e_version', 'e_entry', 'e_phoff', 'e_shoff', 'e_flags', 'e_ehsize',
              'e_phentsize', 'e_phnum', 'e_shentsize', 'e_shnum', 'e_shstrndx'):
        c.eq(f, u[f], o[f])
    c.eq('e_type', c.num('e_type', u['e_type']), o['e_type'])
    c.eq('e_machine', c.num('machine', u['e_machine']), o['e_machine'])
    c.eq('section count', len(u.get('sections', [])), len(o['sections']))
    for s, w in zip(u.get('sections', []), o['sections']):
        p = 'section %d %s' % (w['index'], w['name'])
        c.eq(p + ' index', s['index'], w['index'])
        c.eq(p + ' name', s.get('name'), w['name'])
        for f in ('sh_addr', 'sh_offset', 'sh_size', 'sh_entsize', 'sh_link', 'sh_info', 'sh_addralign'):
            c.eq(p + ' ' + f, s[f], w[f])
        c.eq(p + ' sh_type', c.num('section_type', s['sh_type']), w['sh_type'])
        c.eq(p + ' sh_flags', c.bits('section_flags', s['sh_flags']), w['sh_flags'])
        decoded = (2, 3, 4, 6, 7, 9, 11, 14, 15, 16, 17, 0x6FFFFFFF)   # arrays, not bytes
        if w['sh_type'] not in (0, 8) and w['sh_size'] and w['sh_type'] not in decoded:
            c.eq(p + ' contents', hexlen(s.get('contents')), w['sh_size'])
    c.eq('segment count', len(u.get('program_headers', [])), len(o['segments']))
    for s, w in zip(u.get('program_headers', []), o['segments']):
        p = 'segment %d' % s['index']
        for f in ('p_offset', 'p_vaddr', 'p_paddr', 'p_filesz', 'p_memsz', 'p_align'):
            c.eq(p + ' ' + f, s[f], w[f])
        c.eq(p + ' p_type', c.num('segment_type', s['p_type']), w['p_type'])
        c.eq(p + ' p_flags', c.bits('segment_flags', s['p_flags']), w['p_flags'])


def find_unstruct(args):
    if '--unstruct' in args:
        i = args.index('--unstruct')
        path = args[i + 1]
        del args[i:i + 2]
        return path
    for p in (os.environ.get('UNSTRUCT'), os.path.join(ROOT, 'target', 'release', 'unstruct'),
              os.path.join(ROOT, 'target', 'debug', 'unstruct')):
        if p and os.path.exists(p):
            return p
    sys.exit('compare.py: no unstruct binary (build it, or pass --unstruct PATH)')


# What each oracle needs beyond the standard library. .ci/run installs all of it and sets
# UNSTRUCT_REQUIRE_ORACLES=1, so in CI a missing tool is a failure; elsewhere (a fresh
# machine with only Rust and Python) those samples are skipped with a note.
NEEDS = {'bmp': 'Pillow', 'png': 'Pillow', 'gif': 'Pillow', 'elf': 'readelf', 'java_class': 'javap'}


def available(tool):
    if tool == 'Pillow':
        try:
            import PIL  # noqa: F401
            return True
        except ImportError:
            return False
    return shutil.which(os.environ.get(tool.upper(), tool)) is not None


def main(args):
    unstruct = find_unstruct(args)
    samples = args or list(SAMPLES)
    failures = skipped = 0
    strict = os.environ.get('UNSTRUCT_REQUIRE_ORACLES') == '1'
    for sample in samples:
        fmt = SAMPLES[sample]
        tool = NEEDS.get(fmt)
        if tool and not available(tool):
            if strict:
                print('FAIL %s: the oracle needs %s, which is not installed' % (sample, tool))
                failures += 1
            else:
                print('skip %s: the oracle needs %s (.ci/run installs it)' % (sample, tool))
                skipped += 1
            continue
        proc = subprocess.run([unstruct, '-f', os.path.join(ROOT, 'formats', fmt + '.struct'),
                               os.path.join(ROOT, 'samples', sample), '-o', 'json'], capture_output=True)
        if proc.returncode != 0:
            print('FAIL %s: unstruct exited %d: %s' % (sample, proc.returncode, proc.stderr.decode().strip()[:500]))
            failures += 1
            continue
        got = json.loads(proc.stdout)
        want, _ = run_oracle(sample, fmt)
        c = Checker(sample, fmt)
        try:
            globals()['check_' + fmt](c, got, want)
        except (KeyError, TypeError, IndexError, AttributeError) as e:
            c.diffs.append('%s: mapping failed on %s: %r' % (sample, type(e).__name__, e))
        if c.diffs:
            failures += 1
            print('FAIL %s' % sample)
            for d in c.diffs:
                print('  ' + d)
        else:
            print('ok   %s' % sample)
    print('%d passed, %d failed, %d skipped' % (len(samples) - failures - skipped, failures, skipped))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
