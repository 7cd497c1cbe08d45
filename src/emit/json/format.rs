//! The JSON writer's formatting primitives: escaping, integers and floats written straight
//! into a byte buffer.

use base64::Engine as _;

use crate::emit::BytesStyle;
use crate::text::{self, Encoding};

/// Escape of each byte in a JSON string: 0 = copied as is, `u` = `\u00xx`, otherwise the
/// character after the backslash.
static ESCAPE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut i = 0;
    while i < 0x20 {
        t[i] = b'u';
        i += 1;
    }
    t[0x08] = b'b';
    t[0x09] = b't';
    t[0x0a] = b'n';
    t[0x0c] = b'f';
    t[0x0d] = b'r';
    t[b'"' as usize] = b'"';
    t[b'\\' as usize] = b'\\';
    t
};

static HEX_DIGITS: &[u8; 16] = b"0123456789abcdef";

/// Two lower-case hex digits of every byte.
static HEX2: [[u8; 2]; 256] = {
    let mut t = [[0u8; 2]; 256];
    let mut i = 0;
    while i < 256 {
        t[i] = [HEX_DIGITS[i >> 4], HEX_DIGITS[i & 15]];
        i += 1;
    }
    t
};

/// Appends `s` to `buf`: like `extend_from_slice`, but short slices (the common case:
/// keys, numbers, short strings) are copied inline instead of through a `memcpy` call.
#[inline(always)]
pub(super) fn extend(buf: &mut Vec<u8>, s: &[u8]) {
    let n = s.len();
    let len = buf.len();
    if n <= 32 && buf.capacity() - len >= n {
        // SAFETY: `n` bytes of spare capacity exist at `len`, and are initialized after.
        unsafe {
            copy_short(s.as_ptr(), buf.as_mut_ptr().add(len), n);
            buf.set_len(len + n);
        }
    } else {
        buf.extend_from_slice(s);
    }
}

/// Copies `n` bytes from `src` to `dst` (non-overlapping), inline for `n <= 32`.
///
/// # Safety
/// `src` must be valid for reading `n` bytes and `dst` for writing `n` bytes.
#[inline(always)]
pub(super) unsafe fn copy_short(src: *const u8, dst: *mut u8, n: usize) {
    // Each pair of copies covers the range from both ends (overlapping in the middle),
    // so every read is within `src[..n]` and every write within `dst[..n]`.
    unsafe {
        if n > 32 {
            std::ptr::copy_nonoverlapping(src, dst, n);
        } else if n >= 16 {
            let a = src.cast::<u128>().read_unaligned();
            let b = src.add(n - 16).cast::<u128>().read_unaligned();
            dst.cast::<u128>().write_unaligned(a);
            dst.add(n - 16).cast::<u128>().write_unaligned(b);
        } else if n >= 8 {
            let a = src.cast::<u64>().read_unaligned();
            let b = src.add(n - 8).cast::<u64>().read_unaligned();
            dst.cast::<u64>().write_unaligned(a);
            dst.add(n - 8).cast::<u64>().write_unaligned(b);
        } else if n >= 4 {
            let a = src.cast::<u32>().read_unaligned();
            let b = src.add(n - 4).cast::<u32>().read_unaligned();
            dst.cast::<u32>().write_unaligned(a);
            dst.add(n - 4).cast::<u32>().write_unaligned(b);
        } else if n > 0 {
            *dst = *src;
            *dst.add(n / 2) = *src.add(n / 2);
            *dst.add(n - 1) = *src.add(n - 1);
        }
    }
}

/// `"00"`, `"01"`, ... `"99"`.
static DIGITS2: [u8; 200] = {
    let mut t = [0u8; 200];
    let mut i = 0;
    while i < 100 {
        t[2 * i] = b'0' + (i / 10) as u8;
        t[2 * i + 1] = b'0' + (i % 10) as u8;
        i += 1;
    }
    t
};

static POW10: [u64; 20] = {
    let mut t = [1u64; 20];
    let mut i = 1;
    while i < 20 {
        t[i] = t[i - 1] * 10;
        i += 1;
    }
    t
};

/// Number of decimal digits of `n` (1 for 0).
#[inline(always)]
pub(super) fn decimal_len(n: u64) -> usize {
    // floor(log10(2^bits)) via 1233/4096 ~ log10(2), then corrected with one comparison.
    // `n | 1` makes 0 count as 1 digit (powers of ten above 1 are even, so nothing else
    // changes).
    let n = n | 1;
    let t = (((64 - n.leading_zeros()) * 1233) >> 12) as usize;
    t + 1 - usize::from(n < POW10[t])
}

/// Appends the decimal digits of `n`, formatted straight into the buffer (no copy out of
/// a scratch buffer, which would stall on store forwarding).
#[inline(always)]
pub(in crate::emit) fn push_u64(buf: &mut Vec<u8>, n: u64) {
    buf.reserve(20);
    let len = buf.len();
    // SAFETY: 20 bytes (the most a u64 takes) are reserved at `len` and the digits written
    // there are initialized.
    unsafe {
        let k = write_u64_at(buf.as_mut_ptr().add(len), n);
        buf.set_len(len + k);
    }
}

/// Writes the decimal digits of `n` at `dst` and returns how many (at most 20).
///
/// # Safety
/// `dst` must be valid for writing 20 bytes.
#[inline(always)]
pub(super) unsafe fn write_u64_at(dst: *mut u8, mut n: u64) -> usize {
    let digits = decimal_len(n);
    // SAFETY: the loop writes exactly the positions `0..digits` from the right (every
    // write below is at `end - 2` or `end - 1` with `end` counting down from `digits`
    // to 0), all within the 20 bytes the caller provides.
    unsafe {
        let pair = |d: usize| DIGITS2.as_ptr().add(2 * d);
        let mut end = digits;
        while n >= 10_000 {
            let r = (n % 10_000) as usize;
            n /= 10_000;
            end -= 4;
            std::ptr::copy_nonoverlapping(pair(r / 100), dst.add(end), 2);
            std::ptr::copy_nonoverlapping(pair(r % 100), dst.add(end + 2), 2);
        }
        let mut n = n as usize;
        if n >= 100 {
            end -= 2;
            std::ptr::copy_nonoverlapping(pair(n % 100), dst.add(end), 2);
            n /= 100;
        }
        if n >= 10 {
            end -= 2;
            std::ptr::copy_nonoverlapping(pair(n), dst.add(end), 2);
        } else {
            end -= 1;
            *dst.add(end) = b'0' + n as u8;
        }
        debug_assert_eq!(end, 0);
    }
    digits
}

static SPACES: [u8; 32] = [b' '; 32];

#[inline]
pub(super) fn newline_indent(buf: &mut Vec<u8>, depth: usize) {
    buf.push(b'\n');
    let mut n = depth * 2;
    while n > 0 {
        let k = n.min(SPACES.len());
        extend(buf, &SPACES[..k]);
        n -= k;
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Whether any of the 8 bytes in `w` needs escaping (or, with `NON_ASCII`, is >= 0x80).
#[inline(always)]
fn word_is_dirty<const NON_ASCII: bool>(w: u64) -> bool {
    // Standard SWAR tests: a byte below 0x20, equal to '"', equal to '\\'.
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * b'"' as u64);
    let q = q.wrapping_sub(LO) & !q;
    let b = w ^ (LO * b'\\' as u64);
    let b = b.wrapping_sub(LO) & !b;
    let hi = if NON_ASCII { w } else { 0 };
    (ctl | q | b | hi) & HI != 0
}

#[inline(always)]
fn byte_is_dirty<const NON_ASCII: bool>(b: u8) -> bool {
    ESCAPE[b as usize] != 0 || (NON_ASCII && b >= 0x80)
}

/// The index of the first byte at or after `i` that needs escaping (or, with `NON_ASCII`,
/// is >= 0x80), or `s.len()`.
#[inline(always)]
fn scan<const NON_ASCII: bool>(s: &[u8], mut i: usize) -> usize {
    while let Some(chunk) = s.get(i..i + 8) {
        let w = u64::from_le_bytes(chunk.try_into().unwrap());
        if word_is_dirty::<NON_ASCII>(w) {
            break;
        }
        i += 8;
    }
    let n = s.len();
    if i < n && i + 8 > n {
        // Fewer than 8 bytes left and none checked: test them as one word (overlapping
        // bytes already known clean, or repeating some of the tail), so a clean tail
        // costs no byte loop.
        let w = if n >= 8 {
            u64::from_le_bytes(s[n - 8..].try_into().unwrap())
        } else {
            let t = &s[i..];
            if t.len() >= 4 {
                let lo = u32::from_le_bytes(t[..4].try_into().unwrap());
                let hi = u32::from_le_bytes(t[t.len() - 4..].try_into().unwrap());
                u64::from(lo) | (u64::from(hi) << 32)
            } else {
                let (a, b, c) = (t[0], t[t.len() / 2], t[t.len() - 1]);
                u64::from_le_bytes([a, b, c, a, a, a, a, a])
            }
        };
        if !word_is_dirty::<NON_ASCII>(w) {
            return n;
        }
    }
    while i < n && !byte_is_dirty::<NON_ASCII>(s[i]) {
        i += 1;
    }
    i
}

/// Writes the escape of an ASCII byte that needs one.
#[inline]
fn push_escape(buf: &mut Vec<u8>, b: u8) {
    match ESCAPE[b as usize] {
        b'u' => buf.extend_from_slice(&[
            b'\\',
            b'u',
            b'0',
            b'0',
            HEX_DIGITS[(b >> 4) as usize],
            HEX_DIGITS[(b & 15) as usize],
        ]),
        e => buf.extend_from_slice(&[b'\\', e]),
    }
}

/// Appends UTF-8 `s` escaped for a JSON string (without the quotes).
#[inline]
pub(in crate::emit) fn escape_str(buf: &mut Vec<u8>, s: &[u8]) {
    let mut i = scan::<false>(s, 0);
    if i == s.len() {
        extend(buf, s);
        return;
    }
    let mut start = 0;
    loop {
        extend(buf, &s[start..i]);
        if i == s.len() {
            return;
        }
        push_escape(buf, s[i]);
        start = i + 1;
        i = scan::<false>(s, start);
    }
}

/// Appends a char escaped for a JSON string.
#[inline]
pub(super) fn push_char(buf: &mut Vec<u8>, c: char) {
    if c.is_ascii() {
        let b = c as u8;
        if ESCAPE[b as usize] == 0 {
            buf.push(b);
        } else {
            push_escape(buf, b);
        }
    } else {
        buf.extend_from_slice(c.encode_utf8(&mut [0; 4]).as_bytes());
    }
}

/// Escapes text in an encoding whose bytes below 0x80 are ASCII characters (ascii,
/// latin1, cp437, mutf8): ASCII runs are copied whole, runs of bytes >= 0x80 transcoded.
pub(super) fn escape_ascii_compatible(buf: &mut Vec<u8>, s: &[u8], enc: Encoding) {
    let mut start = 0;
    loop {
        let i = scan::<true>(s, start);
        buf.extend_from_slice(&s[start..i]);
        let Some(&b) = s.get(i) else {
            return;
        };
        if b < 0x80 {
            if b == 0 && enc == Encoding::Mutf8 {
                // A raw NUL is not modified UTF-8: same as `text::decode_chars`.
                buf.extend_from_slice("\u{fffd}".as_bytes());
            } else {
                push_escape(buf, b);
            }
            start = i + 1;
        } else {
            let end = s[i..]
                .iter()
                .position(|&b| b < 0x80)
                .map_or(s.len(), |n| i + n);
            let run = &s[i..end];
            if enc == Encoding::Latin1 {
                for &b in run {
                    buf.extend_from_slice(&[0xC0 | (b >> 6), 0x80 | (b & 0x3F)]);
                }
            } else {
                text::decode_chars(run, enc, |c| push_char(buf, c));
            }
            start = end;
        }
    }
}

/// Writes bytes as a JSON value in `style` (arrays get a space after commas when `pretty`).
pub(in crate::emit) fn push_bytes(buf: &mut Vec<u8>, b: &[u8], style: BytesStyle, pretty: bool) {
    match style {
        BytesStyle::Hex => {
            buf.reserve(2 * b.len() + 2);
            buf.push(b'"');
            let start = buf.len();
            // SAFETY: 2 * b.len() bytes are reserved at `start`; pair `i` goes to
            // `start + 2i`, so every byte up to the new length is written.
            unsafe {
                let dst = buf.as_mut_ptr().add(start).cast::<[u8; 2]>();
                for (i, &x) in b.iter().enumerate() {
                    dst.add(i).write(HEX2[x as usize]);
                }
                buf.set_len(start + 2 * b.len());
            }
            buf.push(b'"');
        }
        BytesStyle::Base64 => {
            buf.push(b'"');
            let n = base64::encoded_len(b.len(), true).expect("base64 length overflows");
            let start = buf.len();
            buf.resize(start + n, 0);
            let written = base64::engine::general_purpose::STANDARD
                .encode_slice(b, &mut buf[start..])
                .expect("base64 output sized exactly");
            debug_assert_eq!(written, n);
            buf.push(b'"');
        }
        BytesStyle::Array => {
            buf.push(b'[');
            let sep: &[u8] = if pretty { b", " } else { b"," };
            let mut n = itoa::Buffer::new();
            for (i, &x) in b.iter().enumerate() {
                if i > 0 {
                    buf.extend_from_slice(sep);
                }
                buf.extend_from_slice(n.format(x).as_bytes());
            }
            buf.push(b']');
        }
    }
}

/// Writes a signed integer.
#[inline(always)]
pub(in crate::emit) fn push_i64(buf: &mut Vec<u8>, v: i64) {
    if v < 0 {
        buf.push(b'-');
    }
    push_u64(buf, v.unsigned_abs());
}

/// Writes a float from 64-bit input: shortest round-trip text, non-finite as a string.
#[inline(always)]
pub(in crate::emit) fn push_f64(buf: &mut Vec<u8>, v: f64) {
    if v.is_finite() {
        buf.reserve(FLOAT_MAX);
        // SAFETY: FLOAT_MAX bytes are reserved at `len`; `write_float_at` initializes the
        // bytes it counts.
        unsafe {
            let len = buf.len();
            let n = write_float_at(buf.as_mut_ptr().add(len), v);
            buf.set_len(len + n);
        }
    } else {
        push_non_finite(buf, v);
    }
}

/// Writes a float from 32-bit (or 16-bit) input: the shortest text that reads back to the
/// same f32.
#[inline(always)]
pub(in crate::emit) fn push_f32(buf: &mut Vec<u8>, v: f32) {
    if v.is_finite() {
        buf.reserve(FLOAT_MAX);
        // SAFETY: as in `push_f64`.
        unsafe {
            let len = buf.len();
            let n = write_float_at(buf.as_mut_ptr().add(len), v);
            buf.set_len(len + n);
        }
    } else {
        push_non_finite(buf, f64::from(v));
    }
}

/// The most bytes a finite float takes as text (`-2.2250738585072014e-308`).
pub(super) const FLOAT_MAX: usize = 24;

/// Writes a finite float as the shortest text that reads back to the same value (`1.0`,
/// `0.1`, `1e+16`, `5e-324`: Python's `repr` style), returning its length.
///
/// # Safety
/// `dst` must be valid for writing [`FLOAT_MAX`] bytes; `v` must be finite.
#[inline(always)]
pub(super) unsafe fn write_float_at<F: zmij::Float>(dst: *mut u8, v: F) -> usize {
    let mut b = zmij::Buffer::new();
    let s = b.format_finite(v);
    debug_assert!(s.len() <= FLOAT_MAX);
    // SAFETY: the text is at most FLOAT_MAX bytes, which the caller provides.
    unsafe { copy_short(s.as_ptr(), dst, s.len()) };
    s.len()
}

#[cold]
fn push_non_finite(buf: &mut Vec<u8>, v: f64) {
    buf.extend_from_slice(if v.is_nan() {
        b"\"NaN\""
    } else if v > 0.0 {
        b"\"Infinity\""
    } else {
        b"\"-Infinity\""
    });
}
