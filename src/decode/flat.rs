//! The fastest path: a struct whose fields all sit at static offsets, written straight
//! into a sink that takes compiled values ([`crate::emit::record`]). Used for record
//! files, where it is the whole per-record cost.
//!
//! [`RawProgram::new`] compiles a struct's fields once into a list of small ops with the
//! byte order, the number width and the field's label resolved, and the most output one
//! record can produce. [`RawProgram::write`] then starts one value with that bound and
//! pushes every field from its bytes.

use crate::emit::record::{FieldOut, Label, Labels, LabelsBuilder, NumKind, RecordOut, most};
use crate::plan::{ByteOrder, EnumPlan, FlatField, LenPlan, StrKind, TypePlan};
use crate::text::{self, Encoding};

use super::cursor::{Scalar, read_scalar};

/// What one op reads and writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub(super) enum Kind {
    // numbers of a standard width, as in [`NumKind`] (a flat enum: the match below is one
    // jump on the byte)
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
    /// UTF-8 or ASCII text, not trimmed; `Z`: cut at the first NUL. (Unit variants keep
    /// the kind one byte, numbers and the rest in one jump table.)
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
    label: Label,
}

/// A fixed-layout struct compiled for [`RawProgram::write`]: see the module docs.
#[derive(Clone, Debug)]
pub struct RawProgram {
    ops: Box<[Op]>,
    labels: Labels,
    /// The bytes one struct takes, padding included.
    size: usize,
    /// Most output one value can take (see [`RecordOut::begin`]).
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
        let mut labels = LabelsBuilder::new(tuple);
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
            let label = labels.push(f.emit, f.key.as_deref())?;
            max_out = max_out.checked_add(label.prefix_len())?.checked_add(most)?;
            ops.push(Op {
                kind,
                field: u32::try_from(i).ok()?,
                off: f.off,
                size: f.size,
                label,
            });
        }
        let size = usize::try_from(size).ok()?;
        if flat
            .last()
            .is_some_and(|f| (f.off + f.size) as usize > size)
        {
            return None;
        }
        let labels = labels.finish();
        Some(RawProgram {
            ops: ops.into_boxed_slice(),
            labels,
            size,
            max_out: max_out.checked_add(Labels::SLACK)?,
            order,
        })
    }

    /// The bytes one record takes.
    #[inline]
    pub fn size(&self) -> usize {
        self.size
    }

    /// The compiled fields in order: (op kind, index in the flat table, offset, size,
    /// label), for the column tier (`decode/columns.rs`).
    pub(super) fn fields(&self) -> impl Iterator<Item = (Kind, usize, usize, usize, Label)> + '_ {
        self.ops.iter().map(|op| {
            (
                op.kind,
                op.field as usize,
                op.off as usize,
                op.size as usize,
                op.label,
            )
        })
    }

    /// Written fields of a record.
    pub(super) fn columns(&self) -> u32 {
        self.labels.cols
    }

    /// The byte order of fields without their own.
    pub(super) fn order(&self) -> ByteOrder {
        self.order
    }

    /// Writes the struct whose bytes start `rec` as one value into `out` (ending the line
    /// when `newline`). On bad text nothing is written.
    #[inline(always)]
    pub(super) fn write<O: RecordOut>(
        &self,
        out: &mut O,
        flat: &[FlatField],
        rec: &[u8],
        enums: &[EnumPlan],
        newline: bool,
    ) -> Result<(), BadText> {
        if rec.len() < self.size {
            return Err((0, 0));
        }
        // SAFETY: `max_out` counts every op's label and its value's bound, and the slack.
        let mut v = unsafe { out.begin(&self.labels, self.max_out) };
        match self.write_fields(&mut v, flat, rec, enums) {
            Ok(()) => {
                v.end(newline);
                Ok(())
            }
            Err(e) => {
                v.abort();
                Err(e)
            }
        }
    }

    /// Pushes the fields once `rec` is known to be long enough.
    #[inline(always)]
    fn write_fields<F: FieldOut>(
        &self,
        v: &mut F,
        flat: &[FlatField],
        rec: &[u8],
        enums: &[EnumPlan],
    ) -> Result<(), BadText> {
        for op in self.ops.iter() {
            let (lo, n) = (op.off as usize, op.size as usize);
            debug_assert!(lo + n <= rec.len());
            // SAFETY: `new` lays the fields out in increasing offsets, the last one ending at
            // `self.size`, which the caller found inside `rec`.
            let b = unsafe { rec.get_unchecked(lo..lo + n) };
            let bad = |p| (op.field as usize, p);
            v.field(op.label);
            // every number kind is its own arm, so that the writer's code for it is
            // specialised and the whole dispatch is one jump
            macro_rules! dispatch {
                ($($k:ident)*) => {
                    match op.kind {
                        $(Kind::$k => v.number(NumKind::$k, b),)*
                        Kind::Text => v.fixed_text(b, false, false).map_err(bad)?,
                        Kind::TextAscii => v.fixed_text(b, false, true).map_err(bad)?,
                        Kind::TextZ => v.fixed_text(b, true, false).map_err(bad)?,
                        Kind::TextZAscii => v.fixed_text(b, true, true).map_err(bad)?,
                        Kind::Check => {
                            if let TypePlan::Str {
                                kind, enc, trim, ..
                            } = &flat[op.field as usize].ty
                            {
                                let (z, ascii) =
                                    (*kind == StrKind::ZFixed, *enc == Encoding::Ascii);
                                text::fixed_text(b, z, ascii, trim.as_deref()).map_err(bad)?;
                            }
                        }
                        Kind::Other => {
                            let ty = &flat[op.field as usize].ty;
                            write_other(v, ty, b, self.order, enums).map_err(bad)?;
                        }
                    }
                };
            }
            dispatch!(
                U8 I8 U16Le U16Be I16Le I16Be U32Le U32Be I32Le I32Be U64Le U64Be I64Le I64Be
                F32Le F32Be F64Le F64Be
            );
        }
        Ok(())
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
    let pick = |o: &Option<ByteOrder>, l, b| if le(o) { l } else { b };
    let text_most = most::text(n)?;
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
            (kind, most::INT)
        }
        TypePlan::Float { size: 4, order: o } => (pick(o, Kind::F32Le, Kind::F32Be), most::NUMBER),
        TypePlan::Float { size: 8, order: o } => (pick(o, Kind::F64Le, Kind::F64Be), most::NUMBER),
        TypePlan::Float { .. } => (Kind::Other, most::NUMBER),
        TypePlan::Bool => (Kind::Other, most::INT),
        TypePlan::Enum { id, .. } => {
            let e = enums.get(*id as usize)?;
            if e.is_flags {
                return None;
            }
            let longest = e.members.iter().map(|(_, m)| m.len()).max().unwrap_or(0);
            (Kind::Other, most::name(longest)?)
        }
        TypePlan::Bytes(LenPlan::Fixed(_)) => (Kind::Other, most::bytes(n)?),
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

/// Fields of the fast path that are not plain numbers or text. Err: the position of a bad
/// byte in text. (Inlined, so that the value being written stays in registers.)
#[inline(always)]
pub(super) fn write_other<F: FieldOut>(
    v: &mut F,
    ty: &TypePlan,
    b: &[u8],
    order: ByteOrder,
    enums: &[EnumPlan],
) -> Result<(), usize> {
    match ty {
        TypePlan::Bytes(LenPlan::Fixed(_)) => v.bytes(b),
        TypePlan::Str {
            kind, enc, trim, ..
        } => {
            let (z, ascii) = (*kind == StrKind::ZFixed, *enc == Encoding::Ascii);
            v.text(text::fixed_text(b, z, ascii, trim.as_deref())?);
        }
        ty => match read_scalar(ty, b, order) {
            Some(Scalar::U(x)) => v.int(x.into()),
            Some(Scalar::I(x)) => v.int(x.into()),
            Some(Scalar::F32(f)) => v.f32(f),
            Some(Scalar::F64(f)) => v.f64(f),
            Some(Scalar::Bool(x)) => v.bool(x),
            Some(Scalar::Enum(id, x)) => match enums[id as usize].name_of(x) {
                Some(name) => v.name(name),
                None => v.int(x),
            },
            // `kind_of` admits no other types
            None => return Err(0),
        },
    }
    Ok(())
}

impl Kind {
    /// The number kind, for the number kinds.
    #[inline(always)]
    pub(super) fn num(self) -> Option<NumKind> {
        macro_rules! map {
            ($($k:ident)*) => {
                match self {
                    $(Kind::$k => Some(NumKind::$k),)*
                    _ => None,
                }
            };
        }
        map!(
            U8 I8 U16Le U16Be I16Le I16Be U32Le U32Be I32Le I32Be U64Le U64Be I64Le I64Be
            F32Le F32Be F64Le F64Be
        )
    }
}
