#!/usr/bin/env python3
"""tests/oracle/gallery.py --gallery DIR [--unstruct PATH] [SAMPLE ...]: the samples decoded
with the specs of Kaitai's formats gallery (DIR, fetched by scripts/ksy-gallery.sh), checked
against the oracles of this directory.

For every sample of GALLERY runs `unstruct -I DIR -f DIR/<spec> samples/<sample> -o json`
and the oracle of its format, maps the spec's JSON onto the oracle's facts (one function per
spec, below) and prints each difference. A sample in CANNOT_DECODE must fail to decode, for the
reason given (the spec does not cover what the sample holds, as Kaitai's own runtimes would
also fail); one that decodes is reported so that the list shrinks. A sample in NOT_LOADING
is skipped while unstruct rejects its spec. Prints
`N passed, N failed, N skipped` and exits 1 on any failure. Enum names are turned back into
numbers with small tables of the values the samples use, taken from each format's
specification."""
import json
import os
import struct
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, '..', '..'))
sys.path.insert(0, HERE)
from compare import NEEDS, available, find_unstruct, hexlen  # noqa: E402
from run_all import SAMPLES, run as run_oracle  # noqa: E402

GALLERY = {
    'tone.wav': 'media/wav.ksy', 'stereo_list.wav': 'media/wav.ksy', 'odd.wav': 'media/wav.ksy',
    'float.wav': 'media/wav.ksy', 'extensible.wav': 'media/wav.ksy', 'rifx.wav': 'media/wav.ksy',
    'tiny.bmp': 'image/bmp.ksy', 'pal8.bmp': 'image/bmp.ksy', 'v5.bmp': 'image/bmp.ksy',
    'core.bmp': 'image/bmp.ksy', 'rle8.bmp': 'image/bmp.ksy',
    'tiny.png': 'image/png.ksy', 'gray.png': 'image/png.ksy', 'pal_trns.png': 'image/png.ksy',
    'tiny.gif': 'image/gif.ksy', 'anim.gif': 'image/gif.ksy',
    'hello.gz': 'archive/gzip.ksy', 'noname.gz': 'archive/gzip.ksy', 'comment.gz': 'archive/gzip.ksy',
    'small.zip': 'archive/zip.ksy', 'streamed.zip': 'archive/zip.ksy', 'extras.zip': 'archive/zip.ksy',
    'zip64.zip': 'archive/zip.ksy',
    'tiny.pcap': 'network/pcap.ksy', 'tiny_be.pcap': 'network/pcap.ksy', 'nsec.pcap': 'network/pcap.ksy',
    'tiny.sqlite': 'database/sqlite3.ksy',
    'Hello.class': 'executable/java_class.ksy',
    'hello-x86_64.elf': 'executable/elf.ksy', 'hello-dyn-x86_64.elf': 'executable/elf.ksy',
    'hello-i386.elf': 'executable/elf.ksy', 'hello-ppc.elf': 'executable/elf.ksy',
    'hello-s390x.elf': 'executable/elf.ksy', 'hello-s390x.o': 'executable/elf.ksy',
}

# samples the gallery's spec does not cover: unstruct must stop with a data error, as a
# Kaitai runtime would
CANNOT_DECODE = {
    'rifx.wav': 'wav.ksy reads RIFF only, little-endian; a RIFX file is big-endian',
    'streamed.zip': 'zip.ksy takes the size of an entry from its local header, which is 0 when '
                    'a data descriptor follows the data',
    'extras.zip': "zip.ksy reads the central directory's extended timestamp (`UT`) as the local "
                  "header's: its flags announce an access time that only the local copy holds",
    'zip64.zip': 'zip.ksy has no ZIP64: the local header says 0xFFFFFFFF for the sizes',
    'nsec.pcap': 'pcap.ksy reads the whole IPv4 packet that the header announces, and the '
                 'capture keeps only its first 60 bytes (snaplen)',
    'Hello.class': "java_class.ksy reads constants as UTF-8; the class file's modified UTF-8 "
                   'writes NUL as C0 80, which is not UTF-8',
}

# samples whose spec unstruct does not load yet (see docs/kaitai.md); one that loads fails
# the check, so that it moves to the checks above
NOT_LOADING = {}


class Checker:
    def __init__(self, sample):
        self.sample, self.diffs = sample, []

    def eq(self, path, got, want):
        if got != want:
            self.diffs.append('%s: %s: unstruct %r, oracle %r' % (self.sample, path, got, want))


def fourcc(n, order='<'):
    return struct.pack(order + 'I', n).decode('latin-1')


WAVE_FORMAT = {'pcm': 1, 'ieee_float': 3, 'extensible': 0xFFFE}


def check_wav(c, u, o):
    c.eq('magic', fourcc(u['chunk']['id']), o['magic'])
    c.eq('riff_size', u['chunk']['len'], o['riff_size'])
    c.eq('form', fourcc(u['parent_chunk_data']['form_type']), o['form'])
    c.eq('chunks', [(fourcc(s['chunk']['id']), s['chunk']['len']) for s in u['subchunks']],
         [(k['id'], k['size']) for k in o['chunks']])
    for s in u['subchunks']:
        d, kind = s['chunk_data'], s['chunk_id']
        if kind == 'fmt':
            c.eq('format_tag', WAVE_FORMAT.get(d['w_format_tag'], d['w_format_tag']), o['format_tag'])
            for f, g in (('n_channels', 'channels'), ('n_samples_per_sec', 'sample_rate'),
                         ('n_avg_bytes_per_sec', 'byte_rate'), ('n_block_align', 'block_align'),
                         ('w_bits_per_sample', 'bits_per_sample'), ('cb_size', 'cb_size'),
                         ('w_valid_bits_per_sample', 'valid_bits_per_sample')):
                c.eq(f, d.get(f), o.get(g))
        elif kind == 'data':
            c.eq('data', hexlen(d['data']), o['data_size'])
        elif kind == 'fact':
            c.eq('fact', d['num_samples_per_channel'], o['fact_sample_length'])
        elif kind == 'list':
            c.eq('info', {fourcc(i['chunk']['id']): i['chunk_data'] for i in d['subchunks']}, o['info'])


def check_gif(c, u, o):
    c.eq('version', bytes.fromhex(u['hdr']['magic']).decode() + u['hdr']['version'], o['version'])
    s = u['logical_screen_descriptor']
    for f, g in (('screen_width', 'width'), ('screen_height', 'height'), ('bg_color_index', 'background_index'),
                 ('pixel_aspect_ratio', 'aspect_ratio')):
        c.eq(f, s[f], o[g])
    c.eq('has_color_table', int(s['has_color_table']), o['gct_flag'])
    c.eq('global color table', len(u['global_color_table']['entries']), o['gct_entries'])
    blocks = [b for b in u['blocks'] if b['block_type'] != 'end_of_file']
    c.eq('trailer', u['blocks'][-1]['block_type'], 'end_of_file')
    c.eq('blocks', [b['block_type'] for b in blocks],
         ['extension' if w['kind'] == 'extension' else 'local_image_descriptor' for w in o['blocks']])
    comments = []
    for b, w in zip(blocks, o['blocks']):
        body = b['body']
        if w['kind'] == 'image':
            for f in ('left', 'top', 'width', 'height'):
                c.eq(f, body[f], w[f])
            c.eq('lzw_min_code_size', body['image_data']['lzw_min_code_size'], w['lzw_min_code_size'])
            c.eq('lct_flag', int(body['has_color_table']), w['lct_flag'])
            c.eq('lct entries', len((body.get('local_color_table') or {}).get('entries', [])), w['lct_entries'])
            c.eq('image data', sum(e['len_bytes'] for e in body['image_data']['subblocks']['entries']),
                 w['data_bytes'])
        elif w['label'] == 0xF9:
            g = body['body']
            c.eq('delay', g['delay_time'], w['delay'])
            c.eq('transparent_index', g['transparent_idx'], w['transparent_index'])
            c.eq('transparent_flag', int(g['transparent_color_flag']), w['transparent_flag'])
            c.eq('user_input', int(g['user_input_flag']), w['user_input'])
        elif w['label'] == 0xFE:
            comments.append(b''.join(bytes.fromhex(e['bytes']) for e in body['body']['entries']).decode('latin-1'))
        elif w['label'] == 0xFF:
            a = body['body']['application_id']
            c.eq('application', a['application_identifier'] + bytes.fromhex(a['application_auth_code']).decode(),
                 w['application'])
    c.eq('comments', comments, o['comments'])


def check_gzip(c, u, o):
    c.eq('method', {'deflate': 8}.get(u['compression_method']), o['method'])
    f = u['flags']
    c.eq('flags', sorted(n for n, k in (('text', 'is_text'), ('hcrc', 'has_header_crc'), ('extra', 'has_extra'),
                                        ('name', 'has_name'), ('comment', 'has_comment')) if f[k]),
         sorted(o['flag_names']))
    c.eq('mtime', u['mod_time'], o['mtime'])
    c.eq('os', {'unix': 3}.get(u['os'], u['os']), o['os'])
    c.eq('name', bytes.fromhex(u['name']).decode('latin-1') if 'name' in u else None, o.get('name'))
    c.eq('comment', bytes.fromhex(u['comment']).decode('latin-1') if 'comment' in u else None, o.get('comment'))
    c.eq('header_crc', u.get('header_crc16'), o.get('header_crc'))
    if 'extra' in o:
        c.eq('xlen', u['extras']['len_subfields'], o['xlen'])
        c.eq('extra', [{'id': struct.pack('<H', e['id']).decode('latin-1'), 'length': e['len_data'], 'data': e['data']}
                       for e in u['extras']['subfields']['entries']], o['extra'])
    c.eq('crc', u['body_crc32'], o['crc'])
    c.eq('isize', u['len_uncompressed'], o['isize'])
    c.eq('compressed', hexlen(u['body']), o['compressed_size'])


BMP_COMPRESSION = {'rgb': 0, 'rle8': 1, 'rle4': 2, 'bitfields': 3}


def check_bmp(c, u, o):
    f, d = u['file_hdr'], u['dib_info']
    h = d['header']
    c.eq('file_size', f['len_file'], o['file_size'])
    c.eq('pixel_offset', f['ofs_bitmap'], o['pixel_offset'])
    c.eq('header_size', d['len_header'], o['header_size'])
    for k, g in (('image_width', 'width'), ('image_height', 'height'), ('num_planes', 'planes'),
                 ('bits_per_pixel', 'bit_count')):
        c.eq(k, h[k], o[g])
    x = h.get('bitmap_info_ext')
    if 'compression' in o:
        c.eq('compression', BMP_COMPRESSION.get(x['compression'], x['compression']), o['compression'])
        for k, g in (('len_image', 'image_size'), ('x_resolution', 'x_pels_per_meter'),
                     ('y_resolution', 'y_pels_per_meter'), ('num_colors_used', 'colors_used'),
                     ('num_colors_important', 'colors_important')):
            c.eq(k, x[k], o[g])
    if 'red_mask' in o:
        for k in ('red', 'green', 'blue', 'alpha'):
            c.eq(k + '_mask', d['color_mask_' + k], o[k + '_mask'])
    if 'cs_type' in o:
        v4 = h['bitmap_v4_ext']
        c.eq('cs_type', {'s_rgb': 0x73524742}.get(v4['color_space_type'], v4['color_space_type']), o['cs_type'])
        v5 = h['bitmap_v5_ext']
        c.eq('intent', {'images': 4}.get(v5['intent'], v5['intent']), o['intent'])
        c.eq('profile', (v5['ofs_profile'], v5['len_profile']), (o['profile_data'], o['profile_size']))
    c.eq('palette', len(d['color_table']['colors']) if 'color_table' in d else 0, o['palette_entries'])


PNG_COLOR = {'greyscale': 0, 'truecolor': 2, 'indexed': 3, 'greyscale_alpha': 4, 'truecolor_alpha': 6}


def check_png(c, u, o):
    h = u['ihdr']
    for f, g in (('width', 'width'), ('height', 'height'), ('bit_depth', 'bit_depth')):
        c.eq(f, h[f], o[g])
    c.eq('color_type', PNG_COLOR.get(h['color_type']), o['color_type'])
    c.eq('methods', (h['compression_method'], h['filter_method'], h['interlace_method']),
         ('zlib' if o['compression'] == 0 else o['compression'], 'base' if o['filter'] == 0 else o['filter'],
          ['none', 'adam7'][o['interlace']]))
    chunks = [{'type': 'IHDR', 'length': u['ihdr_len'], 'crc': u['ihdr_crc']}] + [
        {'type': k['type'], 'length': k['len'], 'crc': k['crc']} for k in u['chunks']]
    c.eq('chunks', chunks, [{f: k[f] for f in ('type', 'length', 'crc')} for k in o['chunks']])
    by = lambda kind: [k['body'] for k in u['chunks'] if k['type'] == kind]  # noqa: E731
    c.eq('tEXt', {b['keyword']: b['text'] for b in by('tEXt')}, o['text'])
    # the spec inflates zTXt itself: its text against Pillow's
    c.eq('zTXt', {b['keyword']: b['text']['value'] for b in by('zTXt')},
         {k: o['pillow']['info_text'][k] for k in o['ztxt']})
    c.eq('iTXt', [{'keyword': b['keyword'], 'compressed': b['compression_flag'], 'language': b['language_tag'],
                   'translated': b['translated_keyword'], 'text': b['text']} for b in by('iTXt')],
         [{k: i[k] for k in ('keyword', 'compressed', 'language', 'translated', 'text')} for i in o['itxt']])
    c.eq('PLTE', sum(len(b['entries']) for b in by('PLTE')), o['plte_entries'])
    c.eq('IDAT', sum(hexlen(b) for b in by('IDAT')), o['idat_total'])
    if 'trns' in o:
        c.eq('tRNS', bytes(by('tRNS')[0]['palette_alphas']).hex(), o['trns'])


ZIP_METHOD = {'none': 0, 'deflated': 8}


def check_zip(c, u, o):
    kinds = [s['section_type'] for s in u['sections']]
    entries = o['entries']
    c.eq('sections', kinds, [0x0403] * len(entries) + [0x0201] * len(entries) + [0x0605])
    local = [s['body'] for s in u['sections'] if s['section_type'] == 0x0403]
    central = [s['body'] for s in u['sections'] if s['section_type'] == 0x0201]
    for lf, cd, w in zip(local, central, entries):
        h = lf['header']
        p = w['filename']
        c.eq(p + ' name', (h['file_name'], cd['file_name']), (w['filename'], w['filename']))
        c.eq(p + ' method', ZIP_METHOD.get(h['compression_method']), w['method'])
        c.eq(p + ' crc', (h['crc32'], cd['crc32']), (w['crc'], w['crc']))
        c.eq(p + ' sizes', (cd['len_body_compressed'], cd['len_body_uncompressed']),
             (w['compressed_size'], w['uncompressed_size']))
        c.eq(p + ' data', hexlen(lf['body']), w['compressed_size'])
        for f, g in (('version_made_by', 'version_made_by'), ('version_needed_to_extract', 'version_needed'),
                     ('int_file_attr', 'internal_attr'), ('ext_file_attr', 'external_attr'),
                     ('ofs_local_header', 'local_header_offset'), ('comment', 'comment')):
            c.eq(p + ' ' + f, cd[f], w[g])
    e = u['sections'][-1]['body']
    for f, g in (('disk_of_end_of_central_dir', 'disk'), ('disk_of_central_dir', 'cd_disk'),
                 ('num_central_dir_entries_on_disk', 'entries_on_disk'),
                 ('num_central_dir_entries_total', 'entries_total'), ('len_central_dir', 'cd_size'),
                 ('ofs_central_dir', 'cd_offset'), ('comment', 'comment')):
        c.eq(f, e[f], o[g])


def check_pcap(c, u, o):
    c.eq('magic', u['magic_number'], {'little': 'le_', 'big': 'be_'}[o['byte_order']] + 'microseconds')
    h = u['hdr']
    for f in ('version_major', 'version_minor', 'thiszone', 'sigfigs', 'snaplen'):
        c.eq(f, h[f], o[f])
    c.eq('network', {'ethernet': 1}.get(h['network'], h['network']), o['linktype'])
    c.eq('packets', [(p['ts_sec'], p['ts_usec'], p['incl_len'], p['orig_len']) for p in u['packets']],
         [(p['ts_sec'], p['ts_usec'], p['incl_len'], p['orig_len']) for p in o['packets']])


def check_sqlite(c, u, o):
    c.eq('page_size', u['len_page'], o['page_size'])
    for f, g in (('reserved_space', 'reserved_space'), ('max_payload_frac', 'max_payload_fraction'),
                 ('min_payload_frac', 'min_payload_fraction'), ('leaf_payload_frac', 'leaf_payload_fraction'),
                 ('file_change_counter', 'change_counter'), ('num_pages', 'page_count'),
                 ('first_freelist_trunk_page', 'freelist_trunk'), ('num_freelist_pages', 'freelist_count'),
                 ('schema_cookie', 'schema_cookie'), ('schema_format', 'schema_format'),
                 ('def_page_cache_size', 'default_cache_size'), ('largest_root_page', 'largest_root_page'),
                 ('user_version', 'user_version'), ('is_incremental_vacuum', 'incremental_vacuum'),
                 ('application_id', 'application_id'), ('version_valid_for', 'version_valid_for'),
                 ('sqlite_version_number', 'sqlite_version_number')):
        c.eq(f, u[f], o[g])
    c.eq('write_version', {'legacy': 1, 'wal': 2}.get(u['write_version']), o['write_version'])
    c.eq('read_version', {'legacy': 1, 'wal': 2}.get(u['read_version']), o['read_version'])
    c.eq('text_encoding', {'utf_8': 1, 'utf_16le': 2, 'utf_16be': 3}.get(u['text_encoding']), o['text_encoding'])
    p, w = u['root_page'], o['first_page']
    for f, g in (('page_type', 'type'), ('first_freeblock', 'first_freeblock'), ('num_cells', 'cell_count'),
                 ('ofs_cells', 'cell_content_start'), ('num_frag_free_bytes', 'fragmented_free_bytes')):
        c.eq('root_page.' + f, p[f], w[g])


ELF_TYPE = {'relocatable': 1, 'executable': 2, 'shared': 3}
ELF_MACHINE = {'i386': 3, 'powerpc': 20, 's390': 22, 'x86_64': 62}
SH_TYPE = {'null_type': 0, 'progbits': 1, 'symtab': 2, 'strtab': 3, 'rela': 4, 'hash': 5, 'dynamic': 6,
           'note': 7, 'nobits': 8, 'rel': 9, 'dynsym': 11, 'init_array': 14, 'fini_array': 15, 'group': 17,
           'gnu_hash': 0x6FFFFFF6, 'gnu_verneed': 0x6FFFFFFE, 'gnu_versym': 0x6FFFFFFF}


def check_elf(c, u, o):
    c.eq('class', {'b32': 32, 'b64': 64}[u['bits']], o['class'])
    c.eq('data', {'le': 'little', 'be': 'big'}[u['endian']], o['data'])
    c.eq('ident_version', u['ei_version'], o['ident_version'])
    c.eq('abi_version', u['abi_version'], o['abi_version'])
    h = u['header']
    c.eq('e_type', ELF_TYPE.get(h['e_type'], h['e_type']), o['e_type'])
    c.eq('e_machine', ELF_MACHINE.get(h['machine'], h['machine']), o['e_machine'])
    for f, g in (('e_version', 'e_version'), ('entry_point', 'e_entry'), ('ofs_program_headers', 'e_phoff'),
                 ('ofs_section_headers', 'e_shoff'), ('e_ehsize', 'e_ehsize'),
                 ('program_header_size', 'e_phentsize'), ('num_program_headers', 'e_phnum'),
                 ('section_header_size', 'e_shentsize'), ('num_section_headers', 'e_shnum'),
                 ('section_names_idx', 'e_shstrndx')):
        c.eq(f, h[f], o[g])
    c.eq('e_flags', int(h['flags'], 16) if isinstance(h['flags'], str) else h['flags'],
         o['e_flags'] if u['endian'] == 'be' else int.from_bytes(o['e_flags'].to_bytes(4, 'big'), 'little'))
    c.eq('program headers', len(h.get('program_headers', [])), o['e_phnum'])
    c.eq('section names', [s.get('name') for s in h['section_headers']], [w['name'] for w in o['sections']])
    c.eq('sections', [(SH_TYPE.get(s['type'], s['type']), s['addr'], s['ofs_body'], s['len_body'], s['entry_size'],
                       s['flags'], s['linked_section_idx'], s['info'], s['align'])
                      for s in h['section_headers']],
         [(w['sh_type'], w['sh_addr'], w['sh_offset'], w['sh_size'], w['sh_entsize'], w['sh_flags'], w['sh_link'],
           w['sh_info'], w['sh_addralign']) for w in o['sections']])


CHECKS = {'media/wav.ksy': check_wav, 'image/bmp.ksy': check_bmp, 'image/png.ksy': check_png, 'image/gif.ksy': check_gif, 'archive/gzip.ksy': check_gzip,
          'archive/zip.ksy': check_zip, 'network/pcap.ksy': check_pcap, 'database/sqlite3.ksy': check_sqlite,
          'executable/elf.ksy': check_elf}


def main(args):
    unstruct = find_unstruct(args)
    i = args.index('--gallery')
    gallery = args[i + 1]
    del args[i:i + 2]
    samples = args or list(GALLERY)
    failures = skipped = 0
    strict = os.environ.get('UNSTRUCT_REQUIRE_ORACLES') == '1'
    for sample in samples:
        spec, fmt = GALLERY[sample], SAMPLES[sample]
        tool = NEEDS.get(fmt)
        if tool and not available(tool):
            if strict:
                print('FAIL %s: the oracle needs %s, which is not installed' % (sample, tool))
                failures += 1
            else:
                print('skip %s: the oracle needs %s (.ci/run installs it)' % (sample, tool))
                skipped += 1
            continue
        proc = subprocess.run([unstruct, '-I', gallery, '-f', os.path.join(gallery, spec),
                               os.path.join(ROOT, 'samples', sample), '-o', 'json'], capture_output=True)
        err = proc.stderr.decode(errors='replace').strip().split('\n')[0][:300]
        if sample in CANNOT_DECODE:
            if proc.returncode == 1:
                print('ok   %s with %s: does not decode (%s): %s' % (sample, spec, CANNOT_DECODE[sample], err))
            else:
                failures += 1
                print('FAIL %s with %s: listed as not decoding (%s), but unstruct exited %d %s'
                      % (sample, spec, CANNOT_DECODE[sample], proc.returncode, err))
            continue
        if sample in NOT_LOADING:
            if proc.returncode == 2:
                print('skip %s with %s: the spec does not load yet (%s)' % (sample, spec, NOT_LOADING[sample]))
                skipped += 1
            else:
                failures += 1
                print('FAIL %s with %s: listed as not loading (%s), but unstruct exited %d'
                      % (sample, spec, NOT_LOADING[sample], proc.returncode))
            continue
        if proc.returncode != 0:
            print('FAIL %s with %s: unstruct exited %d: %s' % (sample, spec, proc.returncode, err))
            failures += 1
            continue
        got = json.loads(proc.stdout)
        want, _ = run_oracle(sample, fmt)
        c = Checker(sample)
        try:
            CHECKS[spec](c, got, want)
        except (KeyError, TypeError, IndexError, AttributeError, ValueError) as e:
            c.diffs.append('%s: mapping failed on %s: %r' % (sample, type(e).__name__, e))
        if c.diffs:
            failures += 1
            print('FAIL %s with %s' % (sample, spec))
            for d in c.diffs:
                print('  ' + d)
        else:
            print('ok   %s with %s' % (sample, spec))
    print('%d passed, %d failed, %d skipped' % (len(samples) - failures - skipped, failures, skipped))
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main(sys.argv[1:]))
