//! The fastest path: a struct whose fields all sit at static offsets, written as compact
//! JSON straight into the writer's buffer. Used for record files, where it is the whole
//! per-record cost.
//!
//! [`RawProgram::new`] compiles a struct's fields once (at plan time) into a list of small
//! ops with the byte order, the number width and the `,"key":` prefix resolved, and the
//! most bytes one record can produce. [`RawProgram::write`] then reserves that much once
//! per record and writes every field through a raw cursor, without per-field capacity
//! checks.

use crate::emit::BytesStyle;
use crate::emit::json::{
    FLOAT_MAX, escape_str, extend, push_bytes, push_f32, push_f64, push_i64, push_u64,
    write_float_at, write_u64_at,
};
use crate::plan::{ByteOrder, EnumPlan, FlatField, LenPlan, StrKind, TypePlan};
use crate::text::Encoding;

use super::cursor::{Scalar, read_scalar};

/// What one op reads and writes. Numbers carry their byte order; text its NUL handling and
/// encoding.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    U8,
    I8,
    U16Le,
    U16Be,
    I16Le,
    I16Be,
    U32Le,
    U32Be,
    I32Le,
    I32Be,
    U64Le,
    U64Be,
    I64Le,
    I64Be,
    F32Le,
    F32Be,
    F64Le,
    F64Be,
    /// UTF-8 or ASCII text, not trimmed; `Z`: cut at the first NUL.
    Text,
    TextAscii,
    TextZ,
    TextZAscii,
    /// A field that is not written but whose text is still checked.
    Check,
    /// Everything else (enums, bytes, bools, trimmed text, odd-sized numbers): dispatched on
    /// the field's type.
    Other,
}

#[derive(Clone, Copy, Debug)]
struct Op {
    kind: Kind,
    /// Index of the field in the struct's flat table (for errors and [`Kind::Other`]).
    field: u32,
    /// Offset and size of the field in the record.
    off: u32,
    size: u32,
    /// The field's `,"key":` prefix in [`Keys`].
    pre: u32,
    pre_len: u32,
}

/// Padding after the prefixes so that every prefix can be copied as 16 bytes.
const PREFIX_PAD: usize = 16;

/// Output slack a compiled record needs besides its prefixes and values: the 16-byte prefix
/// copy, the closing brackets and the newline.
pub(super) const KEYS_SLACK: usize = PREFIX_PAD + 2 + 1;

/// The `{"key":` and `,"key":` prefixes of a compiled struct's written fields, back to back,
/// and its closing bracket (shared by the fixed-layout and the sequence programs).
#[derive(Clone, Debug)]
pub(super) struct Keys {
    /// Every prefix back to back, then [`PREFIX_PAD`] zero bytes.
    bytes: Box<[u8]>,
    /// `}` or `]`, preceded by the opening bracket when no field is written (`close_len`
    /// bytes are used; two are always copied).
    close: [u8; 2],
    close_len: usize,
}

impl Keys {
    /// Writes the prefix at `pre` (`len` bytes) at `dst` and returns `len`.
    ///
    /// # Safety
    /// `pre`/`len` must come from [`KeysBuilder::push`] of this table; `dst` must be valid
    /// for writing `max(len, 16)` bytes.
    #[inline(always)]
    pub(super) unsafe fn put(&self, pre: u32, len: u32, dst: *mut u8) -> usize {
        debug_assert!(pre as usize + (len as usize).max(16) <= self.bytes.len());
        // SAFETY: the padding keeps a 16-byte read inside `bytes`; the caller provides `dst`.
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

    /// Writes the closing bracket(s) at `dst` and returns how many bytes they take.
    ///
    /// # Safety
    /// `dst` must be valid for writing 2 bytes.
    #[inline(always)]
    pub(super) unsafe fn close(&self, dst: *mut u8) -> usize {
        // SAFETY: the caller provides 2 bytes.
        unsafe { std::ptr::copy_nonoverlapping(self.close.as_ptr(), dst, 2) };
        self.close_len
    }
}

/// Builds [`Keys`], field by field.
pub(super) struct KeysBuilder {
    bytes: Vec<u8>,
    first: bool,
    tuple: bool,
}

impl KeysBuilder {
    /// For a struct written as an object, or as an array when `tuple`.
    pub(super) fn new(tuple: bool) -> Self {
        KeysBuilder {
            bytes: Vec::new(),
            first: true,
            tuple,
        }
    }

    /// The prefix of the next field, (start, length): empty when the field is not written.
    /// None for a field written only under a condition before any field that is always
    /// written (whether `{` or `,` comes first would depend on the data).
    pub(super) fn push_if(
        &mut self,
        emit: bool,
        conditional: bool,
        key: Option<&[u8]>,
    ) -> Option<(u32, u32)> {
        if emit && conditional && self.first {
            return None;
        }
        self.push(emit, key)
    }

    /// The prefix of the next field, (start, length): empty when the field is not written.
    pub(super) fn push(&mut self, emit: bool, key: Option<&[u8]>) -> Option<(u32, u32)> {
        let pre = self.bytes.len();
        if emit {
            self.bytes.push(match (self.first, self.tuple) {
                (true, true) => b'[',
                (true, false) => b'{',
                (false, _) => b',',
            });
            if !self.tuple {
                self.bytes.extend_from_slice(key.unwrap_or(b"\"\""));
                self.bytes.push(b':');
            }
            self.first = false;
        }
        let len = self.bytes.len() - pre;
        Some((u32::try_from(pre).ok()?, u32::try_from(len).ok()?))
    }

    pub(super) fn finish(mut self) -> Keys {
        self.bytes.extend_from_slice(&[0; PREFIX_PAD]);
        let close: &[u8] = match (self.first, self.tuple) {
            (true, true) => b"[]",
            (true, false) => b"{}",
            (false, true) => b"]",
            (false, false) => b"}",
        };
        Keys {
            bytes: self.bytes.into_boxed_slice(),
            close: [close[0], close[close.len() - 1]],
            close_len: close.len(),
        }
    }
}

/// A fixed-layout struct compiled for [`RawProgram::write`]: see the module docs.
#[derive(Clone, Debug)]
pub struct RawProgram {
    ops: Box<[Op]>,
    keys: Keys,
    /// The bytes one struct takes, padding included.
    size: usize,
    /// Most bytes one value can take, closing bracket, newline and copy slack included.
    max_out: usize,
    /// The byte order of fields without their own (for [`Kind::Other`]).
    order: ByteOrder,
}

/// Text that is not valid in its encoding: (field index, byte position in the field).
pub(super) type BadText = (usize, usize);

impl RawProgram {
    /// Compiles `flat` (the fields of a struct of `size` bytes, padding included; `tuple`:
    /// written as an array) for records of byte order `order`. None when a field cannot be
    /// written from its bytes alone.
    pub fn new(
        flat: &[FlatField],
        size: u64,
        tuple: bool,
        order: ByteOrder,
        enums: &[EnumPlan],
    ) -> Option<RawProgram> {
        let mut ops = Vec::with_capacity(flat.len());
        let mut keys = KeysBuilder::new(tuple);
        let mut max_out = 0usize;
        for (i, f) in flat.iter().enumerate() {
            // every field must be one the program can check, written or not (a constant
            // that is not written must still match: that is the general decoder's job)
            let (kind, most) = kind_of(&f.ty, order, f.size as usize, enums)?;
            let (kind, most) = if f.emit {
                (kind, most)
            } else {
                (Kind::Check, 0)
            };
            let (pre, pre_len) = keys.push(f.emit, f.key.as_deref())?;
            max_out = max_out.checked_add(pre_len as usize)?.checked_add(most)?;
            ops.push(Op {
                kind,
                field: u32::try_from(i).ok()?,
                off: f.off,
                size: f.size,
                pre,
                pre_len,
            });
        }
        let size = usize::try_from(size).ok()?;
        if flat
            .last()
            .is_some_and(|f| (f.off + f.size) as usize > size)
        {
            return None;
        }
        Some(RawProgram {
            ops: ops.into_boxed_slice(),
            keys: keys.finish(),
            size,
            max_out: max_out.checked_add(KEYS_SLACK)?,
            order,
        })
    }

    /// The bytes one record takes.
    #[inline]
    pub fn size(&self) -> usize {
        self.size
    }

    /// Appends the struct whose bytes start `rec` as one compact JSON value, followed by a
    /// newline when `newline`. On bad text nothing is appended.
    #[inline(always)]
    pub(super) fn write(
        &self,
        buf: &mut Vec<u8>,
        style: BytesStyle,
        flat: &[FlatField],
        rec: &[u8],
        enums: &[EnumPlan],
        newline: bool,
    ) -> Result<(), BadText> {
        if rec.len() < self.size {
            return Err((0, 0));
        }
        let start = buf.len();
        let r = self.write_fields(buf, style, flat, rec, enums, newline);
        if r.is_err() {
            // a field written through the `Vec` may have moved its length
            buf.truncate(start);
        }
        r
    }

    /// [`RawProgram::write`] once `rec` is known to be long enough.
    #[inline(always)]
    fn write_fields(
        &self,
        buf: &mut Vec<u8>,
        style: BytesStyle,
        flat: &[FlatField],
        rec: &[u8],
        enums: &[EnumPlan],
        newline: bool,
    ) -> Result<(), BadText> {
        let start = buf.len();
        buf.reserve(self.max_out);
        let mut len = start;
        let mut out = buf.as_mut_ptr();
        for op in self.ops.iter() {
            let (lo, n) = (op.off as usize, op.size as usize);
            debug_assert!(lo + n <= rec.len());
            // SAFETY: `new` lays the fields out in increasing offsets, the last one ending at
            // `self.size`, which the check above found inside `rec`.
            let b = unsafe { rec.get_unchecked(lo..lo + n) };
            // SAFETY (every write below): `max_out` bytes were reserved at `start`, and
            // `max_out` counts each op's prefix and its widest value, plus KEYS_SLACK for the
            // prefix copy and the closing bracket. `len` only grows by bytes that were written.
            unsafe {
                len += self.keys.put(op.pre, op.pre_len, out.add(len));
                let dst = out.add(len);
                match op.kind {
                    Kind::U8
                    | Kind::I8
                    | Kind::U16Le
                    | Kind::U16Be
                    | Kind::I16Le
                    | Kind::I16Be
                    | Kind::U32Le
                    | Kind::U32Be
                    | Kind::I32Le
                    | Kind::I32Be
                    | Kind::U64Le
                    | Kind::U64Be
                    | Kind::I64Le
                    | Kind::I64Be
                    | Kind::F32Le
                    | Kind::F32Be
                    | Kind::F64Le
                    | Kind::F64Be => len += write_number(op.kind, b, dst),
                    Kind::Text | Kind::TextAscii | Kind::TextZ | Kind::TextZAscii => {
                        let z = matches!(op.kind, Kind::TextZ | Kind::TextZAscii);
                        let ascii = matches!(op.kind, Kind::TextAscii | Kind::TextZAscii);
                        match clean_text(b, z) {
                            Some(t) => {
                                *dst = b'"';
                                copy_text(t, dst.add(1));
                                *dst.add(1 + t.len()) = b'"';
                                len += t.len() + 2;
                            }
                            None => {
                                let kind = if z { StrKind::ZFixed } else { StrKind::Fixed };
                                let enc = if ascii {
                                    Encoding::Ascii
                                } else {
                                    Encoding::Utf8
                                };
                                let t = match text_slice(b, kind, enc, None) {
                                    Ok(t) => t,
                                    Err(p) => return Err((op.field as usize, p)),
                                };
                                len = through_vec(buf, len, |buf| {
                                    buf.push(b'"');
                                    escape_str(buf, t);
                                    buf.push(b'"');
                                });
                                out = buf.as_mut_ptr();
                            }
                        }
                    }
                    Kind::Check => {
                        if let TypePlan::Str {
                            kind, enc, trim, ..
                        } = &flat[op.field as usize].ty
                        {
                            text_slice(b, *kind, *enc, trim.as_deref())
                                .map_err(|p| (op.field as usize, p))?;
                        }
                    }
                    Kind::Other => {
                        let f = &flat[op.field as usize];
                        let mut r = Ok(());
                        len = through_vec(buf, len, |buf| {
                            r = write_other(buf, style, &f.ty, b, self.order, enums);
                        });
                        out = buf.as_mut_ptr();
                        r.map_err(|p| (op.field as usize, p))?;
                    }
                }
            }
        }
        // SAFETY: as above; the closing bracket and newline are counted in `max_out`.
        unsafe {
            len += self.keys.close(out.add(len));
            if newline {
                *out.add(len) = b'\n';
                len += 1;
            }
            debug_assert!(len - start <= self.max_out);
            buf.set_len(len);
        }
        Ok(())
    }
}

/// Writes the number in `b` (exactly the kind's width) at `dst` as JSON and returns how many
/// bytes it took: integers in decimal, floats as their shortest text, non-finite floats as
/// the strings `"NaN"`, `"Infinity"`, `"-Infinity"`. Writes nothing for other kinds.
///
/// # Safety
/// `b` must hold at least the kind's width; `dst` must be valid for writing
/// [`FLOAT_MAX`] bytes.
#[inline(always)]
pub(super) unsafe fn write_number(kind: Kind, b: &[u8], dst: *mut u8) -> usize {
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
            if v.is_finite() {
                // SAFETY: FLOAT_MAX bytes.
                unsafe { write_float_at(dst, v) }
            } else {
                let s: &[u8] = if v.is_nan() {
                    b"\"NaN\""
                } else if v > 0.0 {
                    b"\"Infinity\""
                } else {
                    b"\"-Infinity\""
                };
                // SAFETY: 11 bytes at most.
                unsafe { std::ptr::copy_nonoverlapping(s.as_ptr(), dst, s.len()) };
                s.len()
            }
        }};
    }
    match kind {
        Kind::U8 => unsigned!(b[0]),
        Kind::I8 => signed!(b[0] as i8),
        Kind::U16Le => unsigned!(int!(u16, from_le_bytes)),
        Kind::U16Be => unsigned!(int!(u16, from_be_bytes)),
        Kind::I16Le => signed!(int!(i16, from_le_bytes)),
        Kind::I16Be => signed!(int!(i16, from_be_bytes)),
        Kind::U32Le => unsigned!(int!(u32, from_le_bytes)),
        Kind::U32Be => unsigned!(int!(u32, from_be_bytes)),
        Kind::I32Le => signed!(int!(i32, from_le_bytes)),
        Kind::I32Be => signed!(int!(i32, from_be_bytes)),
        Kind::U64Le => unsigned!(int!(u64, from_le_bytes)),
        Kind::U64Be => unsigned!(int!(u64, from_be_bytes)),
        Kind::I64Le => signed!(int!(i64, from_le_bytes)),
        Kind::I64Be => signed!(int!(i64, from_be_bytes)),
        Kind::F32Le => float!(int!(f32, from_le_bytes)),
        Kind::F32Be => float!(int!(f32, from_be_bytes)),
        Kind::F64Le => float!(int!(f64, from_le_bytes)),
        Kind::F64Be => float!(int!(f64, from_be_bytes)),
        _ => 0,
    }
}

/// Runs `f` on `buf` holding the first `len` bytes (all written), for the rare fields that
/// are written through `Vec` methods; returns the new length. `f` stays within the reserved
/// capacity (`max_out` counts its widest output), so the buffer does not move, and the
/// caller reloads its pointer anyway.
#[cold]
#[inline(never)]
pub(super) unsafe fn through_vec(
    buf: &mut Vec<u8>,
    len: usize,
    f: impl FnOnce(&mut Vec<u8>),
) -> usize {
    // SAFETY: the caller has initialized the first `len` bytes.
    unsafe { buf.set_len(len) };
    f(buf);
    buf.len()
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
            crate::emit::json::copy_short(t.as_ptr(), dst, t.len());
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

/// The op of an emitted field's type, and the most bytes its value takes as JSON. None when
/// the raw path cannot write it.
pub(super) fn kind_of(
    t: &TypePlan,
    order: ByteOrder,
    n: usize,
    enums: &[EnumPlan],
) -> Option<(Kind, usize)> {
    let le = |o: &Option<ByteOrder>| o.unwrap_or(order) == ByteOrder::Little;
    let pick = |o: &Option<ByteOrder>, l: Kind, b: Kind| if le(o) { l } else { b };
    // escaped text: `\u00xx` for every byte at worst, and the quotes
    let text_most = n.checked_mul(6)?.checked_add(2)?;
    Some(match t {
        TypePlan::Int {
            size,
            signed,
            order: o,
        } => {
            let kind = match (size, signed) {
                (1, false) => Kind::U8,
                (1, true) => Kind::I8,
                (2, false) => pick(o, Kind::U16Le, Kind::U16Be),
                (2, true) => pick(o, Kind::I16Le, Kind::I16Be),
                (4, false) => pick(o, Kind::U32Le, Kind::U32Be),
                (4, true) => pick(o, Kind::I32Le, Kind::I32Be),
                (8, false) => pick(o, Kind::U64Le, Kind::U64Be),
                (8, true) => pick(o, Kind::I64Le, Kind::I64Be),
                _ => Kind::Other,
            };
            (kind, 21)
        }
        TypePlan::Float { size: 4, order: o } => (pick(o, Kind::F32Le, Kind::F32Be), FLOAT_MAX),
        TypePlan::Float { size: 8, order: o } => (pick(o, Kind::F64Le, Kind::F64Be), FLOAT_MAX),
        TypePlan::Float { .. } => (Kind::Other, FLOAT_MAX),
        TypePlan::Bool => (Kind::Other, 5),
        TypePlan::Enum { id, .. } => {
            let e = enums.get(*id as usize)?;
            if e.is_flags {
                return None;
            }
            let longest = e.members.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
            (Kind::Other, longest.checked_mul(6)?.checked_add(2)?.max(40))
        }
        // hex: 2n + 2, base64: 4n/3 + 4, array: 4n + 1 (`[255,255]`)
        TypePlan::Bytes(LenPlan::Fixed(_)) => (Kind::Other, n.checked_mul(4)?.checked_add(4)?),
        TypePlan::Str {
            kind: kind @ (StrKind::Fixed | StrKind::ZFixed),
            len: LenPlan::Fixed(_),
            enc: enc @ (Encoding::Utf8 | Encoding::Ascii),
            trim,
        } => {
            let k = match (
                trim.is_none(),
                *kind == StrKind::ZFixed,
                *enc == Encoding::Ascii,
            ) {
                (false, _, _) => Kind::Other,
                (true, false, false) => Kind::Text,
                (true, false, true) => Kind::TextAscii,
                (true, true, false) => Kind::TextZ,
                (true, true, true) => Kind::TextZAscii,
            };
            (k, text_most)
        }
        _ => return None,
    })
}

/// Fields of the fast path that are not plain numbers or text.
pub(super) fn write_other(
    buf: &mut Vec<u8>,
    style: BytesStyle,
    ty: &TypePlan,
    b: &[u8],
    order: ByteOrder,
    enums: &[EnumPlan],
) -> Result<(), usize> {
    match ty {
        TypePlan::Bytes(LenPlan::Fixed(_)) => push_bytes(buf, b, style, false),
        TypePlan::Str {
            kind, enc, trim, ..
        } => {
            let t = text_slice(b, *kind, *enc, trim.as_deref())?;
            buf.push(b'"');
            escape_str(buf, t);
            buf.push(b'"');
        }
        ty => match read_scalar(ty, b, order) {
            Some(Scalar::U(v)) => push_u64(buf, v),
            Some(Scalar::I(v)) => push_i64(buf, v),
            Some(Scalar::F32(f)) => push_f32(buf, f),
            Some(Scalar::F64(f)) => push_f64(buf, f),
            Some(Scalar::Bool(v)) => extend(buf, if v { b"true" } else { b"false" }),
            Some(Scalar::Enum(id, v)) => match enums[id as usize].name_of(v) {
                Some(name) => {
                    buf.push(b'"');
                    escape_str(buf, name.as_bytes());
                    buf.push(b'"');
                }
                None => extend(buf, itoa::Buffer::new().format(v).as_bytes()),
            },
            // `kind_of` admits no other types
            None => buf.extend_from_slice(b"null"),
        },
    }
    Ok(())
}

/// The text of a fixed-size string field (cut at NUL for `strz[N]`, trimmed), validated as
/// UTF-8 or ASCII. Err: the position of the first bad byte.
#[inline(always)]
pub(super) fn text_slice<'a>(
    b: &'a [u8],
    kind: StrKind,
    enc: Encoding,
    trim: Option<&[u8]>,
) -> Result<&'a [u8], usize> {
    let mut n = if kind == StrKind::ZFixed {
        b.iter().position(|&c| c == 0).unwrap_or(b.len())
    } else {
        b.len()
    };
    if let Some(t) = trim {
        while n >= t.len() && &b[n - t.len()..n] == t {
            n -= t.len();
        }
    }
    let t = &b[..n];
    if !t.is_ascii() {
        if enc == Encoding::Ascii {
            return Err(t.iter().position(|c| !c.is_ascii()).unwrap_or(0));
        }
        if let Err(e) = std::str::from_utf8(t) {
            return Err(e.valid_up_to());
        }
    }
    Ok(t)
}
