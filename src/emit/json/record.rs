//! The JSON writer's side of the compiled record programs ([`crate::emit::record`]):
//! compact or pretty JSON written straight into the writer's buffer.
//!
//! [`JsonValue`] keeps the write position in a local (a register, once the program loop is
//! inlined), reserves the program's `most` bytes once when a value starts and again after
//! each field of a variable size, and writes prefixes and fixed-size values through a raw
//! pointer without per-field capacity checks.
//!
//! Pretty output takes the same path: the writer derives from a program's [`Labels`] an
//! [`Indented`] table for the depth the value sits at (`,\n      "key": ` for a field three
//! levels in, `\n    }` to close), once per table and depth, and writes its prefixes
//! instead of the compact ones; everything else is written as in compact output, except
//! byte arrays, which get a space after their commas as the pretty writer's do.

use super::format::{
    FLOAT_MAX, copy_short, escape_str, newline_indent, push_bytes, write_float_at, write_u64_at,
};
use crate::emit::BytesStyle;
use crate::emit::record::{FieldOut, Label, Labels, NumKind, RecordOut, most};

/// The buffer and bytes style a [`super::JsonWriter`] lends to compiled programs, with the
/// indented label tables of pretty output.
#[derive(Debug)]
pub struct JsonBuf {
    pub(super) w: Lent,
    /// Pretty output: the depth of the value being lent (the writer's open containers);
    /// None for compact output.
    pub(super) indent: Option<usize>,
    tables: Tables,
}

/// What a value being written uses of [`JsonBuf`] besides its label tables.
#[derive(Debug)]
pub(super) struct Lent {
    pub(super) buf: Vec<u8>,
    pub(super) style: BytesStyle,
    /// Where the value being written starts, and its `most` (kept here rather than in
    /// [`JsonValue`], which the program loop keeps in registers).
    pub(super) start: usize,
    pub(super) most: usize,
}

impl JsonBuf {
    pub(super) fn new(buf: Vec<u8>, style: BytesStyle) -> JsonBuf {
        JsonBuf {
            w: Lent {
                buf,
                style,
                start: 0,
                most: 0,
            },
            indent: None,
            tables: Tables::default(),
        }
    }
}

impl RecordOut for JsonBuf {
    type Value<'b> = JsonValue<'b>;

    #[inline(always)]
    unsafe fn begin<'b>(&'b mut self, labels: &'b Labels, most: usize) -> JsonValue<'b> {
        let (ind, most) = match self.indent {
            None => (None, most),
            Some(depth) => {
                let t = self.tables.get(labels, depth);
                (Some(t), most + t.extra)
            }
        };
        let w = &mut self.w;
        w.buf.reserve(most);
        let start = w.buf.len();
        w.start = start;
        w.most = most;
        JsonValue {
            out: w.buf.as_mut_ptr(),
            jb: w,
            len: start,
            labels,
            ind,
        }
    }

    #[inline(always)]
    fn held(&self) -> usize {
        self.w.buf.len()
    }
}

/// A program's labels as pretty output writes them at one depth: each written field's
/// prefix on a line of its own (`,\n` and the indent, then `"key": `, or only the indent
/// in a tuple), the closing bracket on a line of its own at the depth's indent (`{}` and
/// `[]` as they are).
#[derive(Debug)]
pub(super) struct Indented {
    /// The [`Labels::id`] of the table it comes from, and the depth.
    id: u64,
    depth: usize,
    /// Every prefix back to back, then the closing bracket(s), then 16 zero bytes (so that
    /// short ones are copied as 16 bytes).
    bytes: Box<[u8]>,
    /// Start and length of each column's prefix in `bytes`.
    by_col: Box<[(u32, u32)]>,
    close: (u32, u32),
    /// How many bytes longer the prefixes and the close are than the compact ones, all
    /// together (added to a program's `most`, which counts the compact ones).
    pub(super) extra: usize,
}

impl Indented {
    fn new(labels: &Labels, depth: usize) -> Indented {
        let mut bytes = Vec::new();
        let mut by_col = Vec::with_capacity(labels.cols as usize);
        let mut compact = 0;
        for col in 0..labels.cols {
            let p = labels.prefix_of(col);
            compact += p.len();
            let pre = bytes.len();
            // `{`, `[` or `,`; then `"key":` unless the struct is a tuple
            bytes.extend_from_slice(&p[..p.len().min(1)]);
            newline_indent(&mut bytes, depth + 1);
            if !labels.tuple && p.len() >= 2 {
                bytes.extend_from_slice(&p[1..p.len() - 1]);
                bytes.extend_from_slice(b": ");
            }
            by_col.push((pre as u32, (bytes.len() - pre) as u32));
        }
        let close_compact = labels.close_bytes();
        let pre = bytes.len();
        if labels.cols > 0 {
            newline_indent(&mut bytes, depth);
        }
        bytes.extend_from_slice(close_compact);
        let close = (pre as u32, (bytes.len() - pre) as u32);
        let extra = (bytes.len() - compact) - close_compact.len();
        bytes.extend_from_slice(&[0; 16]);
        Indented {
            id: labels.id(),
            depth,
            bytes: bytes.into_boxed_slice(),
            by_col: by_col.into_boxed_slice(),
            close,
            extra,
        }
    }

    /// Writes `(pre, len)` of `bytes` at `dst`, 16 bytes when it is shorter; returns `len`.
    ///
    /// # Safety
    /// `dst` must be valid for writing `max(len, 16)` bytes.
    #[inline(always)]
    unsafe fn put_at(&self, (pre, len): (u32, u32), dst: *mut u8) -> usize {
        // SAFETY: 16 zero bytes follow the last entry, so a 16-byte read stays inside
        // `bytes`; the caller provides `dst`.
        unsafe {
            let p = self.bytes.as_ptr().add(pre as usize);
            if len <= 16 {
                std::ptr::copy_nonoverlapping(p, dst, 16);
            } else {
                std::ptr::copy_nonoverlapping(p, dst, len as usize);
            }
        }
        len as usize
    }

    /// Writes the prefix of `l` (a label of the table this one comes from) at `dst`.
    ///
    /// # Safety
    /// As [`Labels::put`], with the prefix lengths of this table.
    #[inline(always)]
    unsafe fn put(&self, l: Label, dst: *mut u8) -> usize {
        if !l.written() {
            return 0;
        }
        match self.by_col.get(l.col as usize) {
            // SAFETY: the caller's.
            Some(&at) => unsafe { self.put_at(at, dst) },
            None => 0,
        }
    }

    /// Writes the closing bracket(s) at `dst` and returns how many bytes they take.
    ///
    /// # Safety
    /// `dst` must be valid for writing `max(close length, 16)` bytes.
    #[inline(always)]
    unsafe fn close(&self, dst: *mut u8) -> usize {
        // SAFETY: the caller's.
        unsafe { self.put_at(self.close, dst) }
    }
}

/// The indented tables built so far, keyed by label table and depth.
#[derive(Debug, Default)]
struct Tables {
    list: Vec<Indented>,
    /// The one used last (an array's elements use the same one over and over).
    last: usize,
}

impl Tables {
    #[inline(always)]
    fn get(&mut self, labels: &Labels, depth: usize) -> &Indented {
        let hit = self
            .list
            .get(self.last)
            .is_some_and(|t| t.id == labels.id() && t.depth == depth);
        if !hit {
            self.last = self.find_or_build(labels, depth);
        }
        &self.list[self.last]
    }

    #[cold]
    #[inline(never)]
    fn find_or_build(&mut self, labels: &Labels, depth: usize) -> usize {
        if let Some(i) = self
            .list
            .iter()
            .position(|t| t.id == labels.id() && t.depth == depth)
        {
            return i;
        }
        self.list.push(Indented::new(labels, depth));
        self.list.len() - 1
    }
}

/// One value being written as JSON; see the module docs.
pub struct JsonValue<'b> {
    jb: &'b mut Lent,
    /// The buffer's data pointer (reloaded whenever the buffer may have moved).
    out: *mut u8,
    /// How far the value is written (the buffer's length is only set when the value ends
    /// or is written through `Vec` methods).
    len: usize,
    labels: &'b Labels,
    /// Pretty output: the labels indented for the value's depth.
    ind: Option<&'b Indented>,
}

impl JsonValue<'_> {
    /// Where the value goes.
    #[inline(always)]
    fn dst(&mut self) -> *mut u8 {
        // SAFETY: within the reserved room (see `RecordOut::begin`).
        unsafe { self.out.add(self.len) }
    }

    /// Writes the value through `Vec` methods; makes room for `most` bytes again after it. (Only the buffer is handed to the out-of-line part, so that
    /// the value's position stays in registers.)
    #[inline(always)]
    fn through_vec(&mut self, f: impl FnOnce(&mut Vec<u8>, BytesStyle, bool)) {
        // SAFETY: the first `len` bytes are written.
        let (len, out) = unsafe { vec_write(self.jb, self.len, self.ind.is_some(), f) };
        self.len = len;
        self.out = out;
    }

    /// Writes a short literal (at most [`most::INT`] bytes)
    #[inline(always)]
    fn literal(&mut self, s: &[u8]) {
        let dst = self.dst();
        debug_assert!(s.len() <= most::INT);
        // SAFETY: `begin`'s contract counts `most::INT` bytes for the value.
        unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len()) };
        self.len += s.len();
    }
}

impl FieldOut for JsonValue<'_> {
    #[inline(always)]
    fn field(&mut self, l: Label) {
        // SAFETY: `begin`'s contract: `most` bytes (reserved at the start and after every
        // field written through the `Vec`) count every prefix and the copy slack; the
        // indented table's longer prefixes are counted in its `extra`, which `begin` adds.
        unsafe {
            let dst = self.out.add(self.len);
            self.len += match self.ind {
                None => self.labels.put(l, dst),
                Some(t) => t.put(l, dst),
            };
        }
    }

    #[inline(always)]
    fn number(&mut self, kind: NumKind, b: &[u8]) {
        let dst = self.dst();
        // SAFETY: `begin`'s contract counts `most::NUMBER` (= FLOAT_MAX) bytes for it.
        self.len += unsafe { write_number(kind, b, dst) };
    }

    #[inline(always)]
    fn int(&mut self, v: i128) {
        let dst = self.dst();
        if let Ok(v) = u64::try_from(v) {
            // SAFETY: 20 digits at most, within `most::INT`.
            self.len += unsafe { write_u64_at(dst, v) };
        } else {
            let mut digits = itoa::Buffer::new();
            let t = digits.format(v).as_bytes();
            // SAFETY: 40 bytes at most (an i128 with its sign), `most::INT`.
            unsafe { std::ptr::copy_nonoverlapping(t.as_ptr(), dst, t.len()) };
            self.len += t.len();
        }
    }

    #[inline(always)]
    fn f32(&mut self, v: f32) {
        let dst = self.dst();
        // SAFETY: FLOAT_MAX bytes.
        self.len += unsafe { write_float(v, dst) };
    }

    #[inline(always)]
    fn f64(&mut self, v: f64) {
        let dst = self.dst();
        // SAFETY: FLOAT_MAX bytes.
        self.len += unsafe { write_float(v, dst) };
    }

    #[inline(always)]
    fn bool(&mut self, v: bool) {
        self.literal(if v { b"true" } else { b"false" });
    }

    #[inline(always)]
    fn text(&mut self, t: &[u8]) {
        self.through_vec(|buf, _, _| {
            buf.push(b'"');
            escape_str(buf, t);
            buf.push(b'"');
        });
    }

    #[inline(always)]
    fn name(&mut self, name: &str) {
        self.text(name.as_bytes());
    }

    #[inline(always)]
    fn bytes(&mut self, b: &[u8]) {
        self.through_vec(|buf, style, pretty| push_bytes(buf, b, style, pretty));
    }

    #[inline(always)]
    fn fixed_text(&mut self, b: &[u8], z: bool, ascii: bool) -> Result<(), usize> {
        match clean_text(b, z) {
            Some(t) => {
                let dst = self.dst();
                // SAFETY: `begin`'s contract counts `most::text(b.len())` bytes for the
                // field; `t` is at most `b.len()` bytes, plus the quotes.
                unsafe {
                    *dst = b'"';
                    copy_text(t, dst.add(1));
                    *dst.add(1 + t.len()) = b'"';
                }
                self.len += t.len() + 2;
                Ok(())
            }
            _ => {
                let t = checked_text(b, z, ascii)?;
                self.text(t);
                Ok(())
            }
        }
    }

    #[inline(always)]
    fn end(self, newline: bool) {
        // SAFETY: the closing bracket and newline are counted in `Labels::SLACK` (the
        // 16-byte copy of an indented close in the prefix padding of the slack, its length
        // beyond the compact close's in `extra`).
        unsafe {
            let dst = self.out.add(self.len);
            let mut len = self.len
                + match self.ind {
                    None => self.labels.close(dst),
                    Some(t) => t.close(dst),
                };
            if newline {
                *self.out.add(len) = b'\n';
                len += 1;
            }
            self.jb.buf.set_len(len);
        }
    }

    #[inline(always)]
    fn abort(self) {
        // (the buffer's length is `start` unless a field was written through the `Vec`)
        self.jb.buf.truncate(self.jb.start);
    }
}

/// The careful path of [`FieldOut::fixed_text`], out of the program's loop.
#[cold]
#[inline(never)]
fn checked_text(b: &[u8], z: bool, ascii: bool) -> Result<&[u8], usize> {
    crate::text::fixed_text(b, z, ascii, None)
}

/// Runs `f` on the buffer holding its first `len` bytes (all written), then reserves the
/// value's `most` bytes again; returns the new length and data pointer.
///
/// # Safety
/// The first `len` bytes of `buf` must be initialized.
#[inline(never)]
unsafe fn vec_write(
    jb: &mut Lent,
    len: usize,
    pretty: bool,
    f: impl FnOnce(&mut Vec<u8>, BytesStyle, bool),
) -> (usize, *mut u8) {
    let buf = &mut jb.buf;
    // SAFETY: the caller has initialized the first `len` bytes.
    unsafe { buf.set_len(len) };
    f(buf, jb.style, pretty);
    buf.reserve(jb.most);
    (buf.len(), buf.as_mut_ptr())
}

/// Writes a finite float as its shortest text, a non-finite one as a string.
///
/// # Safety
/// `dst` must be valid for writing [`FLOAT_MAX`] bytes.
#[inline(always)]
unsafe fn write_float<F: zmij::Float + Into<f64>>(v: F, dst: *mut u8) -> usize {
    let x: f64 = v.into();
    if x.is_finite() {
        // SAFETY: FLOAT_MAX bytes.
        unsafe { write_float_at(dst, v) }
    } else {
        let s: &[u8] = if x.is_nan() {
            b"\"NaN\""
        } else if x > 0.0 {
            b"\"Infinity\""
        } else {
            b"\"-Infinity\""
        };
        // SAFETY: 11 bytes at most.
        unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len()) };
        s.len()
    }
}

/// Writes the number in `b` (exactly the kind's width) at `dst` as JSON and returns how many
/// bytes it took: integers in decimal, floats as their shortest text, non-finite floats as
/// the strings `"NaN"`, `"Infinity"`, `"-Infinity"`.
///
/// # Safety
/// `b` must hold at least the kind's width; `dst` must be valid for writing
/// [`FLOAT_MAX`] bytes.
#[inline(always)]
unsafe fn write_number(kind: NumKind, b: &[u8], dst: *mut u8) -> usize {
    const _: () = assert!(FLOAT_MAX <= most::NUMBER);
    macro_rules! int {
        ($t:ty, $from:ident) => {{
            debug_assert!(b.len() >= size_of::<$t>());
            // SAFETY: the caller guarantees the width.
            <$t>::$from(unsafe { b.as_ptr().cast::<[u8; size_of::<$t>()]>().read() })
        }};
    }
    macro_rules! unsigned {
        ($v:expr) => {{
            let v = $v as u64;
            // SAFETY: 20 digits at most, within the caller's FLOAT_MAX bytes.
            unsafe { write_u64_at(dst, v) }
        }};
    }
    macro_rules! signed {
        ($v:expr) => {{
            let v = $v as i64;
            let neg = usize::from(v < 0);
            // SAFETY: a sign and 19 digits at most, within the caller's FLOAT_MAX bytes.
            unsafe {
                *dst = b'-';
                neg + write_u64_at(dst.add(neg), v.unsigned_abs())
            }
        }};
    }
    macro_rules! float {
        ($v:expr) => {{
            let v = $v;
            // SAFETY: FLOAT_MAX bytes.
            unsafe { write_float(v, dst) }
        }};
    }
    match kind {
        NumKind::U8 => unsigned!(b[0]),
        NumKind::I8 => signed!(b[0] as i8),
        NumKind::U16Le => unsigned!(int!(u16, from_le_bytes)),
        NumKind::U16Be => unsigned!(int!(u16, from_be_bytes)),
        NumKind::I16Le => signed!(int!(i16, from_le_bytes)),
        NumKind::I16Be => signed!(int!(i16, from_be_bytes)),
        NumKind::U32Le => unsigned!(int!(u32, from_le_bytes)),
        NumKind::U32Be => unsigned!(int!(u32, from_be_bytes)),
        NumKind::I32Le => signed!(int!(i32, from_le_bytes)),
        NumKind::I32Be => signed!(int!(i32, from_be_bytes)),
        NumKind::U64Le => unsigned!(int!(u64, from_le_bytes)),
        NumKind::U64Be => unsigned!(int!(u64, from_be_bytes)),
        NumKind::I64Le => signed!(int!(i64, from_le_bytes)),
        NumKind::I64Be => signed!(int!(i64, from_be_bytes)),
        NumKind::F32Le => float!(int!(f32, from_le_bytes)),
        NumKind::F32Be => float!(int!(f32, from_be_bytes)),
        NumKind::F64Le => float!(int!(f64, from_le_bytes)),
        NumKind::F64Be => float!(int!(f64, from_be_bytes)),
    }
}

/// Copies a short text run (at most a field's size) to `dst`.
///
/// # Safety
/// `dst` must be valid for writing `t.len()` bytes.
#[inline(always)]
unsafe fn copy_text(t: &[u8], dst: *mut u8) {
    unsafe {
        if t.len() <= 16 {
            // the usual case: short names, copied with at most two overlapping moves
            copy_short(t.as_ptr(), dst, t.len());
        } else {
            std::ptr::copy_nonoverlapping(t.as_ptr(), dst, t.len());
        }
    }
}

const LO: u64 = 0x0101_0101_0101_0101;
const HI: u64 = 0x8080_8080_8080_8080;

/// Bytes of `w` that end or interrupt a plain JSON string: below 0x20 (NUL included), `"`,
/// `\`, or 0x80 and above. Only the lowest flagged byte is exact (a borrow can flag bytes
/// above a true one), which is all the caller uses.
#[inline(always)]
fn specials(w: u64) -> u64 {
    let ctl = w.wrapping_sub(LO * 0x20) & !w;
    let q = w ^ (LO * b'"' as u64);
    let q = q.wrapping_sub(LO) & !q;
    let bs = w ^ (LO * b'\\' as u64);
    let bs = bs.wrapping_sub(LO) & !bs;
    (ctl | q | bs | w) & HI
}

/// The text of a fixed-size field when it is plain printable ASCII without `"` or `\` up to
/// its end (or, with `z`, up to its first NUL), checked 8 bytes at a time; None when the
/// careful path must decide.
#[inline(always)]
fn clean_text(b: &[u8], z: bool) -> Option<&[u8]> {
    let n = b.len();
    let mut i = 0;
    loop {
        let (w, valid) = if i + 8 <= n {
            (u64::from_le_bytes(b[i..i + 8].try_into().ok()?), 8)
        } else if i < n {
            // the last 1..7 bytes, zero-extended (the zeros are masked out below)
            let rest = n - i;
            let w = if n >= 8 {
                u64::from_le_bytes(b[n - 8..].try_into().ok()?) >> (8 * (8 - rest))
            } else {
                let mut a = [0u8; 8];
                a[..rest].copy_from_slice(&b[i..]);
                u64::from_le_bytes(a)
            };
            (w, rest)
        } else {
            return Some(b);
        };
        let mut s = specials(w);
        if valid < 8 {
            s &= (1u64 << (8 * valid)) - 1;
        }
        if s != 0 {
            let k = i + (s.trailing_zeros() / 8) as usize;
            return (z && b[k] == 0).then(|| &b[..k]);
        }
        i += valid;
    }
}
