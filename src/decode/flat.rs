//! The fastest path: a struct whose fields all sit at static offsets, written as compact
//! JSON straight into the writer's buffer with pre-rendered `,"key":` prefixes. Used for
//! record files, where it is the whole per-record cost.

use crate::emit::BytesStyle;
use crate::emit::json::{escape_str, extend, push_bytes, push_f32, push_f64, push_i64, push_u64};
use crate::plan::{ByteOrder, EnumPlan, FlatField, FlatOp, LenPlan, StrKind, TypePlan};
use crate::text::Encoding;

use super::cursor::{f16_to_f32, read_uint, sign_extend};

const PLAIN: u8 = 0;
const NUL: u8 = 1;
const OTHER: u8 = 2;

/// Bytes that JSON strings take as they are (printable ASCII but `"` and `\\`), the NUL that
/// ends a C string, and everything else (escapes, non-ASCII: the careful path).
static CLASS: [u8; 256] = {
    let mut t = [OTHER; 256];
    let mut c = 0x20;
    while c < 0x7f {
        t[c] = PLAIN;
        c += 1;
    }
    t[b'"' as usize] = OTHER;
    t[b'\\' as usize] = OTHER;
    t[0] = NUL;
    t
};

/// Text that is not valid in its encoding: (field index, byte position in the field).
pub(super) type BadText = (usize, usize);

/// Writes one struct whose bytes are `rec` (already length-checked) as a compact JSON value.
pub(super) fn write(
    buf: &mut Vec<u8>,
    style: BytesStyle,
    flat: &[FlatField],
    tuple: bool,
    rec: &[u8],
    order: ByteOrder,
    enums: &[EnumPlan],
) -> Result<(), BadText> {
    // fields are laid out in increasing offsets, so the last one ends furthest
    if flat
        .last()
        .is_some_and(|f| (f.off + f.size) as usize > rec.len())
    {
        return Err((0, 0));
    }
    let mut any = false;
    for (i, f) in flat.iter().enumerate() {
        let (lo, hi) = (f.off as usize, (f.off + f.size) as usize);
        debug_assert!(lo <= hi && hi <= rec.len());
        // SAFETY: `Plan::finalize` lays the fields out back to back (`lo <= hi`, offsets
        // increasing) and the check above found the last one inside `rec`.
        let b = unsafe { rec.get_unchecked(lo..hi) };
        if !f.emit {
            // not written, but text is still checked
            if let TypePlan::Str {
                kind, enc, trim, ..
            } = &f.ty
            {
                text_slice(b, *kind, *enc, trim.as_deref()).map_err(|p| (i, p))?;
            }
            continue;
        }
        any = true;
        extend(buf, &f.prefix);
        let le = |o: Option<ByteOrder>| o.unwrap_or(order) == ByteOrder::Little;
        macro_rules! num {
            ($t:ty, $o:expr) => {{
                let a: [u8; std::mem::size_of::<$t>()] = match b.try_into() {
                    Ok(a) => a,
                    Err(_) => return Err((i, 0)),
                };
                if le($o) {
                    <$t>::from_le_bytes(a)
                } else {
                    <$t>::from_be_bytes(a)
                }
            }};
        }
        match f.op {
            FlatOp::U8 => push_u64(buf, b[0] as u64),
            FlatOp::I8 => push_i64(buf, b[0] as i8 as i64),
            FlatOp::U16(o) => push_u64(buf, num!(u16, o) as u64),
            FlatOp::I16(o) => push_i64(buf, num!(i16, o) as i64),
            FlatOp::U32(o) => push_u64(buf, num!(u32, o) as u64),
            FlatOp::I32(o) => push_i64(buf, num!(i32, o) as i64),
            FlatOp::U64(o) => push_u64(buf, num!(u64, o)),
            FlatOp::I64(o) => push_i64(buf, num!(i64, o)),
            FlatOp::F32(o) => push_f32(buf, num!(f32, o)),
            FlatOp::F64(o) => push_f64(buf, num!(f64, o)),
            FlatOp::Text { z, ascii } => {
                // one pass for the common case: printable ASCII up to the NUL (or the end)
                let mut n = b.len();
                let mut clean = true;
                for (k, &c) in b.iter().enumerate() {
                    match CLASS[c as usize] {
                        PLAIN => {}
                        NUL if z => {
                            n = k;
                            break;
                        }
                        _ => {
                            clean = false;
                            break;
                        }
                    }
                }
                if clean {
                    buf.push(b'"');
                    extend(buf, &b[..n]);
                    buf.push(b'"');
                    continue;
                }
                let n = if z {
                    b.iter().position(|&c| c == 0).unwrap_or(b.len())
                } else {
                    b.len()
                };
                let t = &b[..n];
                if !t.is_ascii() {
                    let bad = if ascii {
                        Some(t.iter().position(|c| !c.is_ascii()).unwrap_or(0))
                    } else {
                        std::str::from_utf8(t).err().map(|e| e.valid_up_to())
                    };
                    if let Some(p) = bad {
                        return Err((i, p));
                    }
                }
                buf.push(b'"');
                escape_str(buf, t);
                buf.push(b'"');
            }
            FlatOp::Other => write_other(buf, style, f, b, order, enums).map_err(|p| (i, p))?,
        }
    }
    if !any {
        buf.push(if tuple { b'[' } else { b'{' });
    }
    buf.push(if tuple { b']' } else { b'}' });
    Ok(())
}

/// Fields of the fast path that are not plain numbers or text.
fn write_other(
    buf: &mut Vec<u8>,
    style: BytesStyle,
    f: &FlatField,
    b: &[u8],
    order: ByteOrder,
    enums: &[EnumPlan],
) -> Result<(), usize> {
    match &f.ty {
        TypePlan::Int {
            size,
            signed,
            order: o,
        } => {
            let raw = read_uint(b, o.unwrap_or(order));
            if *signed {
                push_i64(buf, sign_extend(raw, *size as usize));
            } else {
                push_u64(buf, raw);
            }
        }
        TypePlan::Float { size, order: o } => {
            let raw = read_uint(b, o.unwrap_or(order));
            match size {
                2 => push_f32(buf, f16_to_f32(raw as u16)),
                4 => push_f32(buf, f32::from_bits(raw as u32)),
                _ => push_f64(buf, f64::from_bits(raw)),
            }
        }
        TypePlan::Bool => extend(buf, if b[0] != 0 { b"true" } else { b"false" }),
        TypePlan::Enum {
            id,
            size,
            signed,
            order: o,
        } => {
            let raw = read_uint(b, o.unwrap_or(order));
            let v = if *signed {
                sign_extend(raw, *size as usize) as i128
            } else {
                raw as i128
            };
            match enums[*id as usize].name_of(v) {
                Some(name) => {
                    buf.push(b'"');
                    escape_str(buf, name.as_bytes());
                    buf.push(b'"');
                }
                None => extend(buf, itoa::Buffer::new().format(v).as_bytes()),
            }
        }
        TypePlan::Bytes(LenPlan::Fixed(_)) => push_bytes(buf, b, style, false),
        TypePlan::Str {
            kind, enc, trim, ..
        } => {
            let t = text_slice(b, *kind, *enc, trim.as_deref())?;
            buf.push(b'"');
            escape_str(buf, t);
            buf.push(b'"');
        }
        // `Plan::finalize` admits no other types to this path
        _ => buf.extend_from_slice(b"null"),
    }
    Ok(())
}

/// The text of a fixed-size string field (cut at NUL for `strz[N]`, trimmed), validated as
/// UTF-8 or ASCII. Err: the position of the first bad byte.
#[inline(always)]
fn text_slice<'a>(
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
