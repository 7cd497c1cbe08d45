//! The fast path for variable-length records: a struct that is a plain sequence of fields
//! (numbers, text and bytes whose lengths are constants or come from earlier integer fields,
//! C strings, padding) compiled into ops like [`super::flat::RawProgram`], but read with a
//! moving cursor.
//!
//! The program only handles records that decode cleanly: anything unusual (a length out of
//! range or negative, invalid text, a missing NUL, arithmetic overflow, the end of the data)
//! makes [`SeqProgram::write`] give up on that record and leave the buffer as it was, and the
//! general decoder then decodes it and reports the error with its path and offset. Both
//! paths produce the same JSON (`tests/fastpath.rs` compares them).

use crate::emit::BytesStyle;
use crate::emit::json::{FLOAT_MAX, escape_str, push_bytes};
use crate::lang::ast::BinOp;
use crate::plan::{ByteOrder, EnumPlan, LenPlan, PExpr, Plan, StrKind, StructPlan, TypePlan};
use crate::text::Encoding;

use super::Value;
use super::cursor::read_scalar;
use super::flat::{
    KEYS_SLACK, Keys, KeysBuilder, Kind, kind_of, through_vec, write_number, write_other,
};

/// Most integer fields a program keeps for lengths.
const MAX_VALS: usize = 8;

/// Deepest length expression a program evaluates (`a * b + c - 4` is 3).
const MAX_EXPR_DEPTH: u32 = 8;

/// A length: a constant, or an expression over kept integer fields.
#[derive(Clone, Debug)]
enum Len {
    Const(usize),
    Val(u8),
    Expr(Box<LenExpr>),
}

#[derive(Clone, Debug)]
enum LenExpr {
    Int(i128),
    Val(u8),
    Bin(BinOp, Box<LenExpr>, Box<LenExpr>),
}

impl LenExpr {
    fn eval(&self, vals: &[i128; MAX_VALS]) -> Option<i128> {
        match self {
            LenExpr::Int(v) => Some(*v),
            LenExpr::Val(i) => Some(vals[*i as usize]),
            LenExpr::Bin(op, a, b) => {
                let (a, b) = (a.eval(vals)?, b.eval(vals)?);
                match op {
                    BinOp::Add => a.checked_add(b),
                    BinOp::Sub => a.checked_sub(b),
                    BinOp::Mul => a.checked_mul(b),
                    _ => None,
                }
            }
        }
    }
}

#[derive(Clone, Debug)]
enum What {
    /// A fixed-size scalar (number, bool, enum) of `size` bytes; its value is kept in
    /// `vals[keep]` when a later length names it.
    Scalar {
        kind: Kind,
        size: usize,
        keep: Option<u8>,
    },
    /// `str[len]` (cut at the first NUL when `z`: `strz[len]`).
    Text {
        len: Len,
        z: bool,
        ascii: bool,
    },
    /// `strz`: text up to a NUL, the NUL consumed.
    CStr {
        ascii: bool,
    },
    Bytes {
        len: Len,
    },
    Pad {
        len: Len,
    },
}

#[derive(Clone, Debug)]
struct Op {
    what: What,
    /// Index of the field in the struct (for [`Kind::Other`]).
    field: u32,
    emit: bool,
    /// The field's `,"key":` prefix in [`Keys`].
    pre: u32,
    pre_len: u32,
}

/// A variable-length struct compiled for [`SeqProgram::write`]: see the module docs.
#[derive(Clone, Debug)]
pub struct SeqProgram {
    ops: Box<[Op]>,
    keys: Keys,
    order: ByteOrder,
    /// Most bytes one record writes besides its text and bytes fields (which reserve their
    /// own), closing bracket, newline and copy slack included.
    fixed_out: usize,
}

impl SeqProgram {
    /// Compiles struct `sp` for records in byte order `order`; None when a field is not a
    /// plain sequence element.
    pub fn new(plan: &Plan, sp: &StructPlan, order: ByteOrder) -> Option<SeqProgram> {
        if sp.valid.is_some() || sp.params > 0 || sp.fields.is_empty() {
            return None;
        }
        // frame slot -> index in the kept values
        let mut kept: Vec<(u32, u8)> = Vec::new();
        let mut ops = Vec::with_capacity(sp.fields.len());
        let mut keys = KeysBuilder::new(sp.tuple);
        let mut fixed_out = 0usize;
        for (i, f) in sp.fields.iter().enumerate() {
            let s = &f.spec;
            if s.if_.is_some() || s.at.is_some() || s.size.is_some() || s.valid.is_some() || f.embed
            {
                return None;
            }
            let len = |l: &LenPlan| -> Option<Len> {
                match l {
                    LenPlan::Fixed(n) => Some(Len::Const(usize::try_from(*n).ok()?)),
                    LenPlan::Expr(e) => match len_expr(plan, *e, &kept, 0)? {
                        LenExpr::Int(n) => Some(Len::Const(usize::try_from(n).ok()?)),
                        LenExpr::Val(v) => Some(Len::Val(v)),
                        e => Some(Len::Expr(Box::new(e))),
                    },
                    LenPlan::Rest => None,
                }
            };
            let emit = f.emit && !matches!(s.ty, TypePlan::Pad(_));
            let what = match &s.ty {
                TypePlan::Int { size, .. } | TypePlan::Enum { size, .. } => {
                    let (kind, most) = kind_of(&s.ty, order, *size as usize, &plan.enums)?;
                    let keep = match f.slot {
                        Some(slot) => {
                            let k = u8::try_from(kept.len())
                                .ok()
                                .filter(|&k| (k as usize) < MAX_VALS)?;
                            kept.push((slot, k));
                            Some(k)
                        }
                        None => None,
                    };
                    fixed_out = fixed_out.checked_add(most)?;
                    What::Scalar {
                        kind,
                        size: *size as usize,
                        keep,
                    }
                }
                TypePlan::Float { size, .. } => {
                    let (kind, most) = kind_of(&s.ty, order, *size as usize, &plan.enums)?;
                    fixed_out = fixed_out.checked_add(most)?;
                    What::Scalar {
                        kind,
                        size: *size as usize,
                        keep: None,
                    }
                }
                TypePlan::Bool => {
                    fixed_out = fixed_out.checked_add(5)?;
                    What::Scalar {
                        kind: Kind::Other,
                        size: 1,
                        keep: None,
                    }
                }
                TypePlan::Str {
                    kind,
                    len: l,
                    enc: enc @ (Encoding::Utf8 | Encoding::Ascii),
                    trim: None,
                } => {
                    let ascii = *enc == Encoding::Ascii;
                    match kind {
                        StrKind::Z => What::CStr { ascii },
                        StrKind::Fixed | StrKind::ZFixed => What::Text {
                            len: len(l)?,
                            z: *kind == StrKind::ZFixed,
                            ascii,
                        },
                    }
                }
                TypePlan::Bytes(l) => What::Bytes { len: len(l)? },
                TypePlan::Pad(l) => What::Pad { len: len(l)? },
                _ => return None,
            };
            let (pre, pre_len) = keys.push(emit, f.key.as_deref())?;
            fixed_out = fixed_out.checked_add(pre_len as usize)?;
            ops.push(Op {
                what,
                field: u32::try_from(i).ok()?,
                emit,
                pre,
                pre_len,
            });
        }
        Some(SeqProgram {
            ops: ops.into_boxed_slice(),
            keys: keys.finish(),
            order,
            fixed_out: fixed_out.checked_add(KEYS_SLACK + FLOAT_MAX)?,
        })
    }

    /// How many values one record counts against the decode budget.
    pub fn values(&self) -> u64 {
        self.ops.len() as u64
    }

    /// Appends the record at `data[pos..]` as one line of compact JSON and returns where the
    /// next record starts; None (nothing appended) when the record needs the general decoder.
    #[inline]
    pub(super) fn write(
        &self,
        buf: &mut Vec<u8>,
        style: BytesStyle,
        sp: &StructPlan,
        data: &[u8],
        pos: usize,
        enums: &[EnumPlan],
    ) -> Option<usize> {
        let start = buf.len();
        let r = self.write_fields(buf, style, sp, data, pos, enums);
        if r.is_none() {
            buf.truncate(start);
        }
        r
    }

    #[inline(always)]
    fn write_fields(
        &self,
        buf: &mut Vec<u8>,
        style: BytesStyle,
        sp: &StructPlan,
        data: &[u8],
        mut pos: usize,
        enums: &[EnumPlan],
    ) -> Option<usize> {
        let mut vals = [0i128; MAX_VALS];
        buf.reserve(self.fixed_out);
        let mut len = buf.len();
        let mut out = buf.as_mut_ptr();
        for op in self.ops.iter() {
            if op.emit {
                // SAFETY: `fixed_out` (reserved above, and again after every variable-size
                // field) counts every prefix plus KEYS_SLACK.
                len += unsafe { self.keys.put(op.pre, op.pre_len, out.add(len)) };
            }
            match &op.what {
                What::Scalar { kind, size, keep } => {
                    let b = data.get(pos..pos.checked_add(*size)?)?;
                    pos += size;
                    if let Some(k) = keep {
                        let ty = &sp.fields[op.field as usize].spec.ty;
                        if let Some(Value::Int(v)) =
                            read_scalar(ty, b, self.order).map(|s| s.value())
                        {
                            vals[*k as usize] = v;
                        }
                    }
                    if !op.emit {
                        continue;
                    }
                    if *kind == Kind::Other {
                        let ty = &sp.fields[op.field as usize].spec.ty;
                        // SAFETY: `len` bytes are written; see `through_vec`.
                        let mut r = Ok(());
                        len = unsafe {
                            through_vec(buf, len, |buf| {
                                r = write_other(buf, style, ty, b, self.order, enums);
                            })
                        };
                        r.ok()?;
                        buf.reserve(self.fixed_out);
                        out = buf.as_mut_ptr();
                    } else {
                        // SAFETY: FLOAT_MAX is part of `fixed_out`; `b` has the kind's width.
                        len += unsafe { write_number(*kind, b, out.add(len)) };
                    }
                }
                What::Text { len: l, z, ascii } => {
                    let n = self.len(l, &vals)?;
                    let b = data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                    let t = if *z {
                        &b[..memchr::memchr(0, b).unwrap_or(n)]
                    } else {
                        b
                    };
                    valid_text(t, *ascii)?;
                    if op.emit {
                        len = write_text(buf, len, t, self.fixed_out);
                        out = buf.as_mut_ptr();
                    }
                }
                What::CStr { ascii } => {
                    let rest = data.get(pos..)?;
                    let z = memchr::memchr(0, rest)?;
                    let t = &rest[..z];
                    pos += z + 1;
                    valid_text(t, *ascii)?;
                    if op.emit {
                        len = write_text(buf, len, t, self.fixed_out);
                        out = buf.as_mut_ptr();
                    }
                }
                What::Bytes { len: l } => {
                    let n = self.len(l, &vals)?;
                    let b = data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                    if op.emit {
                        // SAFETY: `len` bytes are written.
                        len = unsafe {
                            through_vec(buf, len, |buf| push_bytes(buf, b, style, false))
                        };
                        buf.reserve(self.fixed_out);
                        out = buf.as_mut_ptr();
                    }
                }
                What::Pad { len: l } => {
                    let n = self.len(l, &vals)?;
                    data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                }
            }
        }
        // SAFETY: the closing bracket and newline are counted in `fixed_out`.
        unsafe {
            len += self.keys.close(out.add(len));
            *out.add(len) = b'\n';
            buf.set_len(len + 1);
        }
        Some(pos)
    }

    #[inline(always)]
    fn len(&self, l: &Len, vals: &[i128; MAX_VALS]) -> Option<usize> {
        match l {
            Len::Const(n) => Some(*n),
            Len::Val(i) => usize::try_from(vals[*i as usize]).ok(),
            Len::Expr(e) => usize::try_from(e.eval(vals)?).ok(),
        }
    }
}

/// None when `t` is not valid UTF-8 (or, with `ascii`, not ASCII).
#[inline(always)]
fn valid_text(t: &[u8], ascii: bool) -> Option<()> {
    if t.is_ascii() {
        return Some(());
    }
    if ascii {
        return None;
    }
    std::str::from_utf8(t).ok().map(|_| ())
}

/// Appends `t` as a JSON string to `buf` (whose first `len` bytes are written) and reserves
/// `then` more bytes for the fields after it; returns the new length.
#[inline(always)]
fn write_text(buf: &mut Vec<u8>, len: usize, t: &[u8], then: usize) -> usize {
    // SAFETY: `len` bytes are written.
    unsafe { buf.set_len(len) };
    buf.push(b'"');
    escape_str(buf, t);
    buf.push(b'"');
    buf.reserve(then);
    buf.len()
}

/// A length expression over kept integer fields (`n`, `n - 4`, `count * 8`); None for
/// anything else, which the general decoder evaluates.
fn len_expr(plan: &Plan, e: u32, kept: &[(u32, u8)], depth: u32) -> Option<LenExpr> {
    if depth > MAX_EXPR_DEPTH {
        return None;
    }
    match plan.exprs.get(e as usize)? {
        PExpr::Int(v) => Some(LenExpr::Int(*v)),
        PExpr::Slot(s) => kept
            .iter()
            .find(|(slot, _)| slot == s)
            .map(|(_, k)| LenExpr::Val(*k)),
        PExpr::Binary(op @ (BinOp::Add | BinOp::Sub | BinOp::Mul), a, b) => Some(LenExpr::Bin(
            *op,
            Box::new(len_expr(plan, *a, kept, depth + 1)?),
            Box::new(len_expr(plan, *b, kept, depth + 1)?),
        )),
        _ => None,
    }
}
