//! Text encodings of `str` fields: validation (done by the decoder, so errors carry offsets)
//! and transcoding to UTF-8 (done by the JSON writer while it escapes).

/// A text encoding named in a descriptor (`encoding latin1`, `str[8] utf16le`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum Encoding {
    #[default]
    Utf8,
    Ascii,
    Latin1,
    Cp437,
    Utf16le,
    Utf16be,
    /// Java's modified UTF-8 (NUL as C0 80, supplementary characters as surrogate pairs).
    Mutf8,
    /// Shift_JIS as the WHATWG Encoding Standard defines it (Windows code page 932), decoded
    /// with `encoding_rs`.
    ShiftJis,
    /// Another encoding of the WHATWG Encoding Standard (`windows1252`, `koi8r`, `gbk`, ...),
    /// decoded with `encoding_rs`: an index into `WHATWG`.
    Whatwg(u8),
}

/// The WHATWG encodings beyond the built-in ones (decoded with `encoding_rs`) with their names
/// in descriptors: each encoding's own name in lower case without `-` and `_`.
/// [`Encoding::Whatwg`] holds an index into this table, which keeps [`Encoding`] two bytes.
static WHATWG: [(&str, &encoding_rs::Encoding); 35] = [
    ("windows1252", &encoding_rs::WINDOWS_1252_INIT),
    ("windows1250", &encoding_rs::WINDOWS_1250_INIT),
    ("windows1251", &encoding_rs::WINDOWS_1251_INIT),
    ("windows1253", &encoding_rs::WINDOWS_1253_INIT),
    ("windows1254", &encoding_rs::WINDOWS_1254_INIT),
    ("windows1255", &encoding_rs::WINDOWS_1255_INIT),
    ("windows1256", &encoding_rs::WINDOWS_1256_INIT),
    ("windows1257", &encoding_rs::WINDOWS_1257_INIT),
    ("windows1258", &encoding_rs::WINDOWS_1258_INIT),
    ("windows874", &encoding_rs::WINDOWS_874_INIT),
    ("iso88592", &encoding_rs::ISO_8859_2_INIT),
    ("iso88593", &encoding_rs::ISO_8859_3_INIT),
    ("iso88594", &encoding_rs::ISO_8859_4_INIT),
    ("iso88595", &encoding_rs::ISO_8859_5_INIT),
    ("iso88596", &encoding_rs::ISO_8859_6_INIT),
    ("iso88597", &encoding_rs::ISO_8859_7_INIT),
    ("iso88598", &encoding_rs::ISO_8859_8_INIT),
    ("iso88598i", &encoding_rs::ISO_8859_8_I_INIT),
    ("iso885910", &encoding_rs::ISO_8859_10_INIT),
    ("iso885913", &encoding_rs::ISO_8859_13_INIT),
    ("iso885914", &encoding_rs::ISO_8859_14_INIT),
    ("iso885915", &encoding_rs::ISO_8859_15_INIT),
    ("iso885916", &encoding_rs::ISO_8859_16_INIT),
    ("koi8r", &encoding_rs::KOI8_R_INIT),
    ("koi8u", &encoding_rs::KOI8_U_INIT),
    ("ibm866", &encoding_rs::IBM866_INIT),
    ("macintosh", &encoding_rs::MACINTOSH_INIT),
    ("xmaccyrillic", &encoding_rs::X_MAC_CYRILLIC_INIT),
    ("xuserdefined", &encoding_rs::X_USER_DEFINED_INIT),
    ("gbk", &encoding_rs::GBK_INIT),
    ("gb18030", &encoding_rs::GB18030_INIT),
    ("big5", &encoding_rs::BIG5_INIT),
    ("eucjp", &encoding_rs::EUC_JP_INIT),
    ("iso2022jp", &encoding_rs::ISO_2022_JP_INIT),
    ("euckr", &encoding_rs::EUC_KR_INIT),
];

impl Encoding {
    /// All encodings with the names used in descriptors.
    pub const ALL: [(&'static str, Encoding); 8] = [
        ("utf8", Encoding::Utf8),
        ("ascii", Encoding::Ascii),
        ("latin1", Encoding::Latin1),
        ("cp437", Encoding::Cp437),
        ("utf16le", Encoding::Utf16le),
        ("utf16be", Encoding::Utf16be),
        ("mutf8", Encoding::Mutf8),
        ("sjis", Encoding::ShiftJis),
    ];

    /// An encoding by its name in a descriptor: one of [`Encoding::ALL`], or a WHATWG
    /// encoding's name in lower case without `-` and `_` (`windows1252`, `koi8r`).
    pub fn from_name(name: &str) -> Option<Encoding> {
        if let Some((_, e)) = Self::ALL.iter().find(|(n, _)| *n == name) {
            return Some(*e);
        }
        let norm = name.to_ascii_lowercase().replace(['-', '_'], "");
        let k = WHATWG.iter().position(|(n, _)| *n == norm)?;
        u8::try_from(k).ok().map(Encoding::Whatwg)
    }

    /// An encoding by any label of the WHATWG Encoding Standard (`cp1252`, `l2`, `sjis`,
    /// ASCII case ignored), as `encoding_rs` resolves it; None for an unknown label and for
    /// the labels of the "replacement" encoding (which decodes every input to U+FFFD).
    pub fn from_label(label: &str) -> Option<Encoding> {
        let e = encoding_rs::Encoding::for_label(label.as_bytes())?;
        Some(if e == encoding_rs::UTF_8 {
            Encoding::Utf8
        } else if e == encoding_rs::UTF_16LE {
            Encoding::Utf16le
        } else if e == encoding_rs::UTF_16BE {
            Encoding::Utf16be
        } else if e == encoding_rs::SHIFT_JIS {
            Encoding::ShiftJis
        } else {
            let k = WHATWG.iter().position(|(_, w)| *w == e)?;
            Encoding::Whatwg(u8::try_from(k).ok()?)
        })
    }

    /// The `encoding_rs` decoder of a WHATWG encoding.
    fn whatwg(k: u8) -> &'static encoding_rs::Encoding {
        WHATWG
            .get(usize::from(k))
            .map_or(encoding_rs::WINDOWS_1252, |(_, e)| *e)
    }

    pub fn name(self) -> &'static str {
        if let Encoding::Whatwg(k) = self {
            return WHATWG.get(usize::from(k)).map_or("utf8", |(n, _)| *n);
        }
        Self::ALL
            .iter()
            .find(|(_, e)| *e == self)
            .map_or("utf8", |(n, _)| n)
    }

    /// Every name [`Encoding::from_name`] knows (for suggestions).
    pub fn names() -> impl Iterator<Item = &'static str> {
        Self::ALL
            .iter()
            .map(|(n, _)| *n)
            .chain(WHATWG.iter().map(|(n, _)| *n))
    }
}

/// Checks that `raw` is valid text in `enc`. On failure returns the index of the first
/// byte that is not part of a valid character.
///
/// - `utf8`: well-formed UTF-8 (as [`std::str::from_utf8`]).
/// - `ascii`: every byte below 0x80.
/// - `latin1`, `cp437`: every byte string is valid.
/// - `utf16le`, `utf16be`: an even number of bytes and properly paired surrogates; an odd
///   length fails at the last byte (unless an earlier unit is already invalid).
/// - `mutf8`: Java's modified UTF-8 in its canonical form: no raw 0x00 byte (NUL is
///   `C0 80`), 1- to 3-byte sequences only, no other overlong forms, supplementary
///   characters as a pair of 3-byte surrogates. A lone surrogate (which Java accepts) is
///   rejected because it cannot be written as valid JSON text.
pub fn validate(raw: &[u8], enc: Encoding) -> Result<(), usize> {
    match enc {
        Encoding::Utf8 => std::str::from_utf8(raw)
            .map(|_| ())
            .map_err(|e| e.valid_up_to()),
        Encoding::Ascii => {
            if raw.is_ascii() {
                Ok(())
            } else {
                Err(raw.iter().position(|&b| b >= 0x80).unwrap_or(0))
            }
        }
        Encoding::Latin1 | Encoding::Cp437 => Ok(()),
        Encoding::ShiftJis => validate_whatwg(raw, encoding_rs::SHIFT_JIS),
        Encoding::Whatwg(k) => validate_whatwg(raw, Encoding::whatwg(k)),
        Encoding::Utf16le => validate_utf16(raw, u16::from_le_bytes),
        Encoding::Utf16be => validate_utf16(raw, u16::from_be_bytes),
        Encoding::Mutf8 => {
            let mut i = 0;
            while i < raw.len() {
                if raw[i] < 0x80 && raw[i] != 0 {
                    i += 1;
                    continue;
                }
                match mutf8_next(raw, i) {
                    Some((_, n)) => i += n,
                    None => return Err(i),
                }
            }
            Ok(())
        }
    }
}

/// The text of a fixed-size string field: `b` up to its first NUL when `z`, trailing
/// copies of `trim` removed, checked as ASCII when `ascii` (else UTF-8). Err: the position
/// of the first byte that is not valid.
#[inline(always)]
pub fn fixed_text<'a>(
    b: &'a [u8],
    z: bool,
    ascii: bool,
    trim: Option<&[u8]>,
) -> Result<&'a [u8], usize> {
    let mut n = if z {
        memchr::memchr(0, b).unwrap_or(b.len())
    } else {
        b.len()
    };
    if let Some(t) = trim {
        while n >= t.len() && !t.is_empty() && &b[n - t.len()..n] == t {
            n -= t.len();
        }
    }
    let t = &b[..n];
    if !t.is_ascii() {
        if ascii {
            return Err(t.iter().position(|c| !c.is_ascii()).unwrap_or(0));
        }
        if let Err(e) = std::str::from_utf8(t) {
            return Err(e.valid_up_to());
        }
    }
    Ok(t)
}

/// Calls `f` with each character of `raw` decoded from `enc`; invalid sequences become
/// U+FFFD (the writer only sees invalid input when the user asked for lossy decoding).
///
/// Replacement granularity: for `utf8` one U+FFFD per maximal invalid subpart (as
/// [`String::from_utf8_lossy`]); for `ascii` and `mutf8` one per byte that does not start
/// a valid character (a raw 0x00 in `mutf8` is invalid, so it becomes U+FFFD too); for
/// `utf16*` one per unpaired surrogate and one for a trailing odd byte.
#[inline]
pub fn decode_chars(raw: &[u8], enc: Encoding, mut f: impl FnMut(char)) {
    match enc {
        Encoding::Utf8 => {
            for chunk in raw.utf8_chunks() {
                chunk.valid().chars().for_each(&mut f);
                if !chunk.invalid().is_empty() {
                    f(char::REPLACEMENT_CHARACTER);
                }
            }
        }
        Encoding::Ascii => {
            for &b in raw {
                f(if b < 0x80 {
                    b as char
                } else {
                    char::REPLACEMENT_CHARACTER
                });
            }
        }
        Encoding::Latin1 => raw.iter().for_each(|&b| f(b as char)),
        Encoding::Cp437 => raw.iter().for_each(|&b| f(cp437_char(b))),
        Encoding::Utf16le => decode_utf16(raw, u16::from_le_bytes, f),
        Encoding::Utf16be => decode_utf16(raw, u16::from_be_bytes, f),
        Encoding::ShiftJis => {
            let (text, _) = encoding_rs::SHIFT_JIS.decode_without_bom_handling(raw);
            text.chars().for_each(f);
        }
        Encoding::Whatwg(k) => {
            let (text, _) = Encoding::whatwg(k).decode_without_bom_handling(raw);
            text.chars().for_each(f);
        }
        Encoding::Mutf8 => {
            let mut i = 0;
            while i < raw.len() {
                let b = raw[i];
                if b < 0x80 && b != 0 {
                    f(b as char);
                    i += 1;
                    continue;
                }
                match mutf8_next(raw, i) {
                    Some((c, n)) => {
                        f(c);
                        i += n;
                    }
                    None => {
                        f(char::REPLACEMENT_CHARACTER);
                        i += 1;
                    }
                }
            }
        }
    }
}

/// The character of a CP437 byte (0x00-0x7F are ASCII, control codes included).
#[inline]
pub fn cp437_char(b: u8) -> char {
    if b < 0x80 {
        b as char
    } else {
        CP437_HIGH[(b - 0x80) as usize]
    }
}

/// CP437 0x80-0xFF (the IBM PC glyphs, as Python's `cp437` codec).
const CP437_HIGH: [char; 128] = [
    'Ç', 'ü', 'é', 'â', 'ä', 'à', 'å', 'ç', 'ê', 'ë', 'è', 'ï', 'î', 'ì', 'Ä', 'Å', //
    'É', 'æ', 'Æ', 'ô', 'ö', 'ò', 'û', 'ù', 'ÿ', 'Ö', 'Ü', '¢', '£', '¥', '₧', 'ƒ', //
    'á', 'í', 'ó', 'ú', 'ñ', 'Ñ', 'ª', 'º', '¿', '⌐', '¬', '½', '¼', '¡', '«', '»', //
    '░', '▒', '▓', '│', '┤', '╡', '╢', '╖', '╕', '╣', '║', '╗', '╝', '╜', '╛', '┐', //
    '└', '┴', '┬', '├', '─', '┼', '╞', '╟', '╚', '╔', '╩', '╦', '╠', '═', '╬', '╧', //
    '╨', '╤', '╥', '╙', '╘', '╒', '╓', '╫', '╪', '┘', '┌', '█', '▄', '▌', '▐', '▀', //
    'α', 'ß', 'Γ', 'π', 'Σ', 'σ', 'µ', 'τ', 'Φ', 'Θ', 'Ω', 'δ', '∞', 'φ', 'ε', '∩', //
    '≡', '±', '≥', '≤', '⌠', '⌡', '÷', '≈', '°', '∙', '·', '√', 'ⁿ', '²', '■', '\u{a0}',
];

/// Text in a WHATWG encoding: Ok, or the index of the first byte of the first malformed
/// sequence.
fn validate_whatwg(raw: &[u8], enc: &'static encoding_rs::Encoding) -> Result<(), usize> {
    let mut dec = enc.new_decoder_without_bom_handling();
    let room = dec.max_utf8_buffer_length_without_replacement(raw.len());
    let mut out = vec![0u8; room.unwrap_or(raw.len().saturating_mul(4))];
    let (r, read, _) = dec.decode_to_utf8_without_replacement(raw, &mut out, true);
    match r {
        encoding_rs::DecoderResult::Malformed(bad, later) => {
            Err(read.saturating_sub(bad as usize + later as usize))
        }
        _ => Ok(()),
    }
}

fn validate_utf16(raw: &[u8], unit: fn([u8; 2]) -> u16) -> Result<(), usize> {
    let n = raw.len() / 2;
    let u = |k: usize| unit([raw[2 * k], raw[2 * k + 1]]);
    let mut k = 0;
    while k < n {
        let a = u(k);
        match a {
            0xD800..=0xDBFF => {
                if k + 1 < n && (0xDC00..=0xDFFF).contains(&u(k + 1)) {
                    k += 2;
                } else {
                    return Err(2 * k);
                }
            }
            0xDC00..=0xDFFF => return Err(2 * k),
            _ => k += 1,
        }
    }
    if raw.len() % 2 == 1 {
        return Err(raw.len() - 1);
    }
    Ok(())
}

#[inline]
fn decode_utf16(raw: &[u8], unit: fn([u8; 2]) -> u16, mut f: impl FnMut(char)) {
    let units = raw.chunks_exact(2).map(|p| unit([p[0], p[1]]));
    for r in char::decode_utf16(units) {
        f(r.unwrap_or(char::REPLACEMENT_CHARACTER));
    }
    if raw.len() % 2 == 1 {
        f(char::REPLACEMENT_CHARACTER);
    }
}

#[inline]
fn is_cont(b: u8) -> bool {
    b & 0xC0 == 0x80
}

/// Decodes one canonical modified-UTF-8 character starting at `raw[i]`: its char and
/// length in bytes, or `None` if no valid character starts there.
fn mutf8_next(raw: &[u8], i: usize) -> Option<(char, usize)> {
    let b0 = raw[i];
    match b0 {
        0x01..=0x7F => Some((b0 as char, 1)),
        0xC0..=0xDF => {
            let b1 = *raw.get(i + 1)?;
            if !is_cont(b1) {
                return None;
            }
            let v = (u32::from(b0 & 0x1F) << 6) | u32::from(b1 & 0x3F);
            if v >= 0x80 || (b0 == 0xC0 && b1 == 0x80) {
                Some((char::from_u32(v)?, 2))
            } else {
                None
            }
        }
        0xE0..=0xEF => {
            let hi = mutf8_three(raw, i)?;
            match hi {
                0xD800..=0xDBFF => {
                    let lo = mutf8_three(raw, i + 3)?;
                    if !(0xDC00..=0xDFFF).contains(&lo) {
                        return None;
                    }
                    let c = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    Some((char::from_u32(c)?, 6))
                }
                0xDC00..=0xDFFF => None,
                _ => Some((char::from_u32(hi)?, 3)),
            }
        }
        _ => None,
    }
}

/// The 16-bit value of a canonical 3-byte sequence at `raw[i]` (surrogates included).
#[inline]
fn mutf8_three(raw: &[u8], i: usize) -> Option<u32> {
    let s = raw.get(i..i + 3)?;
    if !(0xE0..=0xEF).contains(&s[0]) || !is_cont(s[1]) || !is_cont(s[2]) {
        return None;
    }
    let v = (u32::from(s[0] & 0x0F) << 12) | (u32::from(s[1] & 0x3F) << 6) | u32::from(s[2] & 0x3F);
    if v < 0x800 { None } else { Some(v) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whatwg_names_and_labels() {
        // small enough to keep decoded values (which carry it) small
        assert!(size_of::<Encoding>() <= 2);
        for (name, _) in WHATWG.iter() {
            let e = Encoding::from_name(name).expect(name);
            assert_eq!(e.name(), *name);
        }
        assert_eq!(
            Encoding::from_name("Windows-1252"),
            Encoding::from_label("cp1252")
        );
        assert_eq!(Encoding::from_label("UTF-16BE"), Some(Encoding::Utf16be));
        assert_eq!(Encoding::from_label("csshiftjis"), Some(Encoding::ShiftJis));
        // the "replacement" encoding's labels and unknown names
        assert_eq!(Encoding::from_label("iso-2022-kr"), None);
        assert_eq!(Encoding::from_label("no-such"), None);
        assert_eq!(Encoding::from_name("cp1252"), None);
        // windows-1252 80 is the euro sign; EUC-KR A1 A1 the ideographic space; GBK has no
        // lead byte FF
        let w = Encoding::from_name("windows1252").expect("windows1252");
        assert_eq!(dec(b"\x80", w), "\u{20ac}");
        let k = Encoding::from_name("euckr").expect("euckr");
        assert_eq!(dec(b"\xa1\xa1", k), "\u{3000}");
        let g = Encoding::from_name("gbk").expect("gbk");
        assert_eq!(validate(b"ab\xff", g), Err(2));
        assert_eq!(validate(b"ab\xa1\xa1", g), Ok(()));
    }

    fn dec(raw: &[u8], enc: Encoding) -> String {
        let mut s = String::new();
        decode_chars(raw, enc, |c| s.push(c));
        s
    }

    #[test]
    fn names_round_trip() {
        for (n, e) in Encoding::ALL {
            assert_eq!(Encoding::from_name(n), Some(e));
            assert_eq!(e.name(), n);
        }
        assert_eq!(Encoding::from_name("utf-8"), None);
    }

    #[test]
    fn utf8() {
        assert_eq!(validate(b"", Encoding::Utf8), Ok(()));
        assert_eq!(validate("héllo €𝄞".as_bytes(), Encoding::Utf8), Ok(()));
        assert_eq!(validate(b"ab\xffcd", Encoding::Utf8), Err(2));
        assert_eq!(validate(b"ab\xe2\x82", Encoding::Utf8), Err(2)); // truncated
        assert_eq!(validate(b"\xc0\x80", Encoding::Utf8), Err(0)); // overlong
        assert_eq!(validate(b"\xed\xa0\x80", Encoding::Utf8), Err(0)); // surrogate
        assert_eq!(dec("h€𝄞".as_bytes(), Encoding::Utf8), "h€𝄞");
        // Same as Python's b'a\xffb\xe2\x82c'.decode('utf8', 'replace')
        assert_eq!(
            dec(b"a\xffb\xe2\x82c", Encoding::Utf8),
            "a\u{fffd}b\u{fffd}c"
        );
        let raw = b"\xf0\x90\x80x\xed\xa0\x80\xc3";
        assert_eq!(dec(raw, Encoding::Utf8), String::from_utf8_lossy(raw));
    }

    #[test]
    fn ascii() {
        assert_eq!(validate(b"plain \x00\x7f text", Encoding::Ascii), Ok(()));
        assert_eq!(validate(b"abc\x80", Encoding::Ascii), Err(3));
        assert_eq!(validate(b"\xffabc", Encoding::Ascii), Err(0));
        assert_eq!(dec(b"a\x80b\xff", Encoding::Ascii), "a\u{fffd}b\u{fffd}");
        assert_eq!(dec(b"\x00\x1f~", Encoding::Ascii), "\0\u{1f}~");
    }

    #[test]
    fn latin1() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(validate(&all, Encoding::Latin1), Ok(()));
        let s = dec(&all, Encoding::Latin1);
        assert!(s.chars().map(|c| c as u32).eq(0..=255));
        // Python: b'caf\xe9 \xa9\xff'.decode('latin1')
        assert_eq!(dec(b"caf\xe9 \xa9\xff", Encoding::Latin1), "café ©ÿ");
    }

    #[test]
    fn cp437() {
        let all: Vec<u8> = (0..=255).collect();
        assert_eq!(validate(&all, Encoding::Cp437), Ok(()));
        let s = dec(&all, Encoding::Cp437);
        assert_eq!(s.chars().count(), 256);
        // Python: bytes(range(256)).decode('cp437')[128:]
        let py = "ÇüéâäàåçêëèïîìÄÅÉæÆôöòûùÿÖÜ¢£¥₧ƒáíóúñÑªº¿⌐¬½¼¡«»░▒▓│┤╡╢╖╕╣║╗╝╜╛┐└┴┬├─┼╞╟╚╔╩╦╠═╬╧╨╤╥╙╘╒╓╫╪┘┌█▄▌▐▀αßΓπΣσµτΦΘΩδ∞φε∩≡±≥≤⌠⌡÷≈°∙·√ⁿ²■\u{a0}";
        assert_eq!(&s[128..], py);
        assert!(s[..128].chars().map(|c| c as u32).eq(0..128));
        assert_eq!(cp437_char(0xE1), 'ß');
        assert_eq!(cp437_char(0xB3), '│');
        assert_eq!(cp437_char(0x01), '\u{1}');
    }

    #[test]
    fn utf16() {
        // Python: 'a€𝄞'.encode('utf-16-le')
        let le = b"a\x00\xac\x204\xd8\x1e\xdd";
        let be = b"\x00a\x20\xac\xd84\xdd\x1e";
        assert_eq!(validate(le, Encoding::Utf16le), Ok(()));
        assert_eq!(validate(be, Encoding::Utf16be), Ok(()));
        assert_eq!(dec(le, Encoding::Utf16le), "a€𝄞");
        assert_eq!(dec(be, Encoding::Utf16be), "a€𝄞");
        assert_eq!(validate(b"", Encoding::Utf16le), Ok(()));
        // odd length: error at the last byte
        assert_eq!(validate(b"a\x00b", Encoding::Utf16le), Err(2));
        assert_eq!(dec(b"a\x00b", Encoding::Utf16le), "a\u{fffd}");
        // lone high surrogate (at end, and followed by a non-surrogate)
        assert_eq!(validate(b"a\x004\xd8", Encoding::Utf16le), Err(2));
        assert_eq!(validate(b"4\xd8a\x00", Encoding::Utf16le), Err(0));
        assert_eq!(validate(b"4\xd8x", Encoding::Utf16le), Err(0));
        // lone low surrogate
        assert_eq!(validate(b"\x00a\xdd\x1e", Encoding::Utf16be), Err(2));
        assert_eq!(dec(b"\x00a\xdd\x1e\x00b", Encoding::Utf16be), "a\u{fffd}b");
        assert_eq!(dec(b"4\xd8a\x00", Encoding::Utf16le), "\u{fffd}a");
        // NUL is a valid character
        assert_eq!(validate(b"\x00\x00", Encoding::Utf16le), Ok(()));
        assert_eq!(dec(b"\x00\x00", Encoding::Utf16be), "\0");
    }

    #[test]
    fn mutf8() {
        // Java: DataOutputStream.writeUTF("a\0é€😀") without the length prefix.
        let raw = b"a\xc0\x80\xc3\xa9\xe2\x82\xac\xed\xa0\xbd\xed\xb8\x80";
        assert_eq!(validate(raw, Encoding::Mutf8), Ok(()));
        assert_eq!(dec(raw, Encoding::Mutf8), "a\0é€😀");
        assert_eq!(validate(b"", Encoding::Mutf8), Ok(()));
        // raw NUL
        assert_eq!(validate(b"ab\x00", Encoding::Mutf8), Err(2));
        assert_eq!(dec(b"ab\x00", Encoding::Mutf8), "ab\u{fffd}");
        // 4-byte UTF-8 sequence is not modified UTF-8
        assert_eq!(validate("x😀".as_bytes(), Encoding::Mutf8), Err(1));
        // lone surrogates
        assert_eq!(validate(b"x\xed\xa0\xbd", Encoding::Mutf8), Err(1));
        assert_eq!(validate(b"x\xed\xa0\xbdy", Encoding::Mutf8), Err(1));
        assert_eq!(validate(b"\xed\xb8\x80", Encoding::Mutf8), Err(0));
        assert_eq!(
            validate(b"\xed\xa0\xbd\xed\xa0\xbd", Encoding::Mutf8),
            Err(0)
        );
        assert_eq!(
            dec(b"x\xed\xb8\x80y", Encoding::Mutf8),
            "x\u{fffd}\u{fffd}\u{fffd}y"
        );
        // overlong forms other than C0 80
        assert_eq!(validate(b"\xc1\x81", Encoding::Mutf8), Err(0));
        assert_eq!(validate(b"\xe0\x81\x81", Encoding::Mutf8), Err(0));
        // truncated / bad continuation
        assert_eq!(validate(b"ab\xc3", Encoding::Mutf8), Err(2));
        assert_eq!(validate(b"ab\xe2\x82", Encoding::Mutf8), Err(2));
        assert_eq!(validate(b"\xc3A", Encoding::Mutf8), Err(0));
        assert_eq!(validate(b"\x80", Encoding::Mutf8), Err(0));
        assert_eq!(dec(b"\xe2\x82A", Encoding::Mutf8), "\u{fffd}\u{fffd}A");
        // BMP edge values
        assert_eq!(
            dec(b"\xdf\xbf\xe0\xa0\x80\xef\xbf\xbf", Encoding::Mutf8),
            "\u{7ff}\u{800}\u{ffff}"
        );
    }

    #[test]
    fn validate_agrees_with_decode() {
        // Whatever validates decodes without replacement characters (for input without
        // U+FFFD itself), and invalid input decodes with at least one.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        for _ in 0..20000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            let len = (x % 9) as usize;
            let pool: &[u8] = &[
                0x00, 0x41, 0x7f, 0x80, 0xbd, 0xc0, 0xc3, 0xd8, 0xdc, 0xe2, 0xed, 0xa0, 0xb0, 0xf0,
            ];
            let raw: Vec<u8> = (0..len)
                .map(|k| pool[((x >> (k * 5)) % pool.len() as u64) as usize])
                .collect();
            for (_, enc) in Encoding::ALL {
                let s = dec(&raw, enc);
                let has_repl = s.contains('\u{fffd}');
                match validate(&raw, enc) {
                    Ok(()) => assert!(!has_repl, "{enc:?} {raw:x?} -> {s:?}"),
                    Err(i) => {
                        assert!(i < raw.len(), "{enc:?} {raw:x?}");
                        assert!(has_repl, "{enc:?} {raw:x?} -> {s:?}");
                        // the prefix before the error is valid
                        assert_eq!(validate(&raw[..i], enc), Ok(()), "{enc:?} {raw:x?}");
                    }
                }
            }
        }
    }
}
