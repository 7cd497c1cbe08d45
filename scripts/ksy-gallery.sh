#!/usr/bin/env bash
# Fetches Kaitai Struct's formats gallery, pinned, into DIR (default target/ksy-gallery), for
# tests/kaitai_gallery.rs. The gallery is not part of this repository: the source
# distribution of polyfile 0.6.0 on PyPI carries a copy of it under kaitai_struct_formats/,
# and only that directory is extracted. Does nothing when DIR already exists.
set -euo pipefail
cd "$(dirname "$0")/.."
dir=${1:-target/ksy-gallery}
[ -d "$dir" ] && exit 0
sha256=3dd401267eecf86684e1e3ce17cf41a3d2835805a0797baaf86109dfd60417fd
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
python3 -m pip download -q --no-deps --no-binary :all: polyfile==0.6.0 -d "$tmp" >/dev/null
sdist="$tmp/polyfile-0.6.0.tar.gz"
echo "$sha256  $sdist" | sha256sum -c --quiet -
tar -xzf "$sdist" -C "$tmp" polyfile-0.6.0/kaitai_struct_formats
mkdir -p "$(dirname "$dir")"
rm -rf "$dir.part"
mv "$tmp/polyfile-0.6.0/kaitai_struct_formats" "$dir.part"
mv "$dir.part" "$dir"
echo "ksy gallery: $(find "$dir" -name '*.ksy' | wc -l) specs in $dir"
