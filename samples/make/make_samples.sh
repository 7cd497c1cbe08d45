#!/bin/bash
# samples/make/make_samples.sh: regenerates every file in samples/ (made here, CC0).
# Needs: python3 (3.11) with Pillow and dpkt, sox, zip, gzip, GNU tar, tcpdump (root, for the
# loopback capture), sqlite3 python module, javac 17, gcc, binutils-i686-linux-gnu,
# binutils-powerpc-linux-gnu, binutils-s390x-linux-gnu, ImageMagick 6 (convert-im6.q16).
# Outputs differ run to run only where a tool stamps the time (pcap live capture, class files don't).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
out=$(dirname "$here")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
export SOURCE_DATE_EPOCH=1700000000 TZ=UTC
stamp() { touch -d @1700000000 "$@"; }

# ---- WAV
python3 - "$out/tone.wav" <<'PY'
import math, struct, sys, wave
# 8 kHz, 16-bit PCM, mono, 0.1 s of a 440 Hz sine at half scale
with wave.open(sys.argv[1], 'wb') as w:
    w.setnchannels(1); w.setsampwidth(2); w.setframerate(8000)
    w.writeframes(b''.join(struct.pack('<h', int(16383 * math.sin(2 * math.pi * 440 * n / 8000)))
                           for n in range(800)))
PY
sox -R -n -r 8000 -c 2 -b 16 st.wav synth 0.05 sine 440 sine 660
python3 "$here/riff_add_list.py" st.wav "$out/stereo_list.wav" before-data \
    INAM="two tones" ISFT=sox ICMT="made for unstruct."
sox -R -n -r 8000 -c 1 -b 8 -e unsigned odd.wav synth 0.012625 sine 440      # 101 bytes of data: odd, sox pads
python3 "$here/riff_add_list.py" odd.wav "$out/odd.wav" end ICMT="data chunk is odd"
sox -R -n -r 8000 -c 1 -e floating-point -b 32 "$out/float.wav" synth 0.02 sine 440   # format 3 + fact chunk
sox -R -n -r 8000 -c 1 -b 24 "$out/extensible.wav" synth 0.01 sine 440               # WAVE_FORMAT_EXTENSIBLE
sox -R -n -r 8000 -c 1 -b 16 -B "$out/rifx.wav" synth 0.01 sine 440                  # big-endian: RIFX

# ---- BMP
python3 - "$out" <<'PY'
import sys
from PIL import Image
out = sys.argv[1]
im = Image.new('RGB', (3, 2))          # 3 px * 3 bytes = 9: rows padded to 12
im.putdata([(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 0), (0, 255, 255), (255, 255, 255)])
im.save(f'{out}/tiny.bmp')
p = Image.new('P', (5, 3))
p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
p.putdata([(x + y) % 4 for y in range(3) for x in range(5)])
p.save(f'{out}/pal8.bmp')
a = Image.new('RGBA', (4, 2))
a.putdata([(255, 0, 0, 255), (0, 255, 0, 128), (0, 0, 255, 64), (0, 0, 0, 0)] * 2)
a.save('rgba.png')
PY
convert-im6.q16 rgba.png "$out/v5.bmp"            # ImageMagick writes BITMAPV5HEADER (124) with alpha masks
convert-im6.q16 rgba.png -alpha off BMP2:"$out/core.bmp"   # BMP2 = OS/2 1.x BITMAPCOREHEADER (12)
convert-im6.q16 -size 8x4 xc:red -fill blue -draw "rectangle 0,0 3,3" -type palette -compress RLE BMP3:"$out/rle8.bmp"

# ---- PNG
python3 - "$out" <<'PY'
import sys
from PIL import Image
from PIL.PngImagePlugin import PngInfo
out = sys.argv[1]
im = Image.new('RGB', (4, 3))
im.putdata([(x * 60, y * 100, 128) for y in range(3) for x in range(4)])
info = PngInfo()
info.add_text('Title', 'unstruct sample')                 # tEXt
info.add_text('Comment', 'compressed text ' * 4, zip=True)  # zTXt
info.add_itxt('Author', 'made here, CC0', lang='en', tkey='Author')  # iTXt
im.save(f'{out}/tiny.png', pnginfo=info)
g = Image.new('L', (8, 8))
g.putdata([x * 32 + y for y in range(8) for x in range(8)])
g.save(f'{out}/gray.png')
p = Image.new('P', (4, 2))
p.putpalette([0, 0, 0, 255, 0, 0, 0, 255, 0, 0, 0, 255])
p.putdata([0, 1, 2, 3] * 2)
p.save(f'{out}/pal_trns.png', transparency=bytes([0, 128, 255, 255]))   # 2-bit indexed, PLTE + tRNS
PY

# ---- GIF
python3 - "$out" <<'PY'
import sys
from PIL import Image
out = sys.argv[1]
pal = [0, 0, 0, 255, 255, 255, 255, 0, 0, 0, 0, 255]
im = Image.new('P', (5, 4)); im.putpalette(pal)
im.putdata([(x + y) % 4 for y in range(4) for x in range(5)])
im.save(f'{out}/tiny.gif')
f1 = Image.new('P', (6, 6)); f1.putpalette(pal); f1.putdata([1] * 36)
f2 = Image.new('P', (6, 6)); f2.putpalette(pal); f2.putdata([2 if 1 < x < 4 and 1 < y < 4 else 1 for y in range(6) for x in range(6)])
# two frames: NETSCAPE2.0 loop extension, a graphic control extension per frame, a comment extension
f1.save(f'{out}/anim.gif', save_all=True, append_images=[f2], duration=[100, 200], loop=0,
        comment=b'made for unstruct', disposal=1, optimize=False)
PY

# ---- gzip
printf 'hello, unstruct\nhello, unstruct\n' > hello.txt; stamp hello.txt
gzip -9 -k hello.txt && mv hello.txt.gz "$out/hello.gz"          # FNAME + mtime from the file
gzip -9 -n < hello.txt > "$out/noname.gz"                         # no name, mtime 0
python3 "$here/gzip_all_flags.py" hello.txt "$out/comment.gz"     # FTEXT|FHCRC|FEXTRA|FNAME|FCOMMENT

# ---- tar (POSIX ustar, GNU tar; default 10240-byte record, so zero blocks pad the end)
mkdir -p t/docs t/deep/directory/names/that/push/the/path/past/one/hundred/bytes/so/that/the/ustar/writer/needs/its/prefix/field
printf 'first file\n' > t/docs/a.txt
printf 'second\n' > t/docs/b.txt
printf 'deep\n' > t/deep/directory/names/that/push/the/path/past/one/hundred/bytes/so/that/the/ustar/writer/needs/its/prefix/field/c.txt
ln -s docs/a.txt t/link
chmod 755 t/docs; chmod 600 t/docs/b.txt
find t -exec touch -h -d @1700000000 {} +
(cd t && tar --format=ustar --owner=1000 --group=1000 --numeric-owner --sort=name --no-recursion -cf "$out/small.tar" \
    docs docs/a.txt docs/b.txt link \
    deep/directory/names/that/push/the/path/past/one/hundred/bytes/so/that/the/ustar/writer/needs/its/prefix/field/c.txt)

# pax (POSIX.1-2001) and GNU formats, by Python's tarfile: a long non-ASCII path becomes a pax
# 'x' header; in GNU format a long path becomes a '././@LongLink' 'L' entry
python3 - "$out" <<'PY'
import io, sys, tarfile
out = sys.argv[1]
for name, fmt, path, data in (('pax.tar', tarfile.PAX_FORMAT, 'd\u00e9j\u00e0/' + 'x' * 120 + '.txt', b'caf\xc3\xa9\n'),
                              ('gnu.tar', tarfile.GNU_FORMAT, 'g/' + 'y' * 120 + '.txt', b'long\n')):
    with tarfile.open(f'{out}/{name}', 'w', format=fmt) as tf:
        ti = tarfile.TarInfo(path); ti.size = len(data); ti.mtime = 1700000000; ti.mode = 0o644
        tf.addfile(ti, io.BytesIO(data))
PY

# ---- zip (zip adds to an existing archive: start from none)
rm -f "$out/small.zip" "$out/extras.zip"
mkdir z; printf 'stored\n' > z/a.txt; python3 -c "print('deflate me ' * 40)" > z/b.txt; stamp z/a.txt z/b.txt
(cd z && zip -q -X -0 "$out/small.zip" a.txt && zip -q -X -9 "$out/small.zip" b.txt \
    && printf 'an archive comment' | zip -q -z "$out/small.zip")
(cd z && zip -q -X - a.txt b.txt | cat > "$out/streamed.zip")  # unseekable output: bit 3 + data descriptors
stamp z/a.txt   # the "UT" field stores the access time too: reset it after the reads above
(cd z && zip -q "$out/extras.zip" a.txt)                        # without -X: "UT" and "ux" extra fields
python3 - "$out/zip64.zip" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1], 'w') as zf:
    zi = zipfile.ZipInfo('big.txt', (2023, 11, 14, 22, 13, 20))
    with zf.open(zi, 'w', force_zip64=True) as f:   # local header: 0xFFFFFFFF sizes + zip64 extra
        f.write(b'zip64 entry\n')
    zf.writestr(zipfile.ZipInfo('small.txt', (2023, 11, 14, 22, 13, 20)), b'hi\n')
PY

# ---- pcap
python3 "$here/pcap_write.py" "$out/tiny.pcap" usec                 # dpkt: a1b2c3d4, little-endian
python3 "$here/pcap_swap.py" "$out/tiny.pcap" "$out/tiny_be.pcap"   # same, big-endian
# live loopback capture by tcpdump (libpcap's writer): nanosecond magic a1b23c4d, snaplen 60 truncates
rm -f nsec.pcap; timeout 20 tcpdump -i lo --time-stamp-precision=nano -s 60 -c 3 -U -w nsec.pcap udp port 9999 2>/dev/null &
sleep 2
python3 -c "
import socket, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(3):
    s.sendto(b'unstruct sample %d ' % i * 6, ('127.0.0.1', 9999)); time.sleep(0.05)"
wait
cp nsec.pcap "$out/nsec.pcap"

# ---- SQLite
rm -f "$out/tiny.sqlite"
python3 - "$out/tiny.sqlite" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
db.executescript('''
PRAGMA page_size = 1024;
PRAGMA user_version = 7;
PRAGMA application_id = 0x756e7374;
CREATE TABLE fruit (id INTEGER PRIMARY KEY, name TEXT NOT NULL, price REAL);
INSERT INTO fruit (name, price) VALUES ('apple', 0.5), ('banana', 0.25), ('cherry', 3.0);
''')
db.commit(); db.close()
PY

# ---- Java class
cp "$here/Hello.java" . && javac --release 17 -d . Hello.java && cp Hello.class "$out/Hello.class"

# ---- pyc
printf 'GREETING = "hello, unstruct"\n\ndef main():\n    print(GREETING, 1.5, 2 ** 70)\n' > hello.py; stamp hello.py
python3 -m compileall -q -b --invalidation-mode timestamp hello.py && cp hello.pyc "$out/hello.pyc"
rm hello.pyc
python3 -m compileall -q -b --invalidation-mode checked-hash hello.py && cp hello.pyc "$out/hello_hash.pyc"

# ---- ELF
gcc -Os -s -static -nostdlib -fno-asynchronous-unwind-tables -Wl,-z,noseparate-code -Wl,--build-id=none \
    -o "$out/hello-x86_64.elf" "$here/hello.c"
printf '#include <stdio.h>\nint main(void){puts("hello, unstruct");return 0;}\n' > dyn.c
gcc -Os -s -Wl,-z,noseparate-code -o "$out/hello-dyn-x86_64.elf" dyn.c
i686-linux-gnu-as -o i.o "$here/hello-i386.s" && i686-linux-gnu-ld -z noseparate-code -o "$out/hello-i386.elf" i.o
powerpc-linux-gnu-as -o p.o "$here/hello-ppc.s" && powerpc-linux-gnu-ld -o "$out/hello-ppc.elf" p.o
s390x-linux-gnu-as -o s.o "$here/hello-s390x.s" && s390x-linux-gnu-ld -o "$out/hello-s390x.elf" s.o
s390x-linux-gnu-as -o s.o "$here/hello-s390x.s" && cp s.o "$out/hello-s390x.o"   # ET_REL: sections, no segments
chmod 644 "$out"/*.elf
ls -l "$out" | grep -v '^d'
