//! Format detection: which bundled formats a file looks like, by their magic.
//!
//! A format's magic is not declared anywhere: it is derived from its plan, as the constant
//! fields (`"GIF"`, `[0x89, 0x50, …]`) among the leading fields of its root struct whose
//! offsets do not depend on the data. The walk goes through fixed-size fields (`u32`,
//! `str[4]`, a leading struct) and stops at the first field whose size or presence depends
//! on the data. A format has a magic when this finds at least two constant bytes at offset 0
//! or four in all: PNG, GIF, ELF, gzip, BMP, Java class files, SQLite and WAV (`"WAVE"` at
//! 8) have one. A struct whose byte order is chosen by a match on an integer read at a
//! constant offset (`endian match (u32le at 0) { 0xA1B2C3D4 | … => little … }`), where a
//! value no arm names is a data error, has that integer's listed values as its magic: pcap's
//! four magic numbers in either order. ZIP (read from its end), tar (its `ustar` is inside the
//! first entry) and pyc (two constant bytes at offset 2) have none. A new format needs no
//! table entry, and one whose leading bytes are not constants is never guessed.

use crate::formats::{self, Format};
use crate::lang;
use crate::plan::{ByteOrder, EndianPlan, LenPlan, PExpr, PatPlan, Plan, StructId, TypePlan};

/// Constant bytes at a fixed offset from the start of the input: one of `alternatives`
/// (all of the same length).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Magic {
    pub offset: u64,
    pub alternatives: Vec<Box<[u8]>>,
}

impl Magic {
    fn len(&self) -> usize {
        self.alternatives.first().map_or(0, |b| b.len())
    }
}

/// The magic of a plan's root struct (empty when it has none).
pub fn magic(plan: &Plan) -> Vec<Magic> {
    let mut out = Vec::new();
    out.extend(endian_magic(plan, plan.root));
    leading(plan, plan.root, 0, &mut out, 0);
    out.sort_by_key(|m| m.offset);
    let total: usize = out.iter().map(Magic::len).sum();
    let at_zero = out.first().filter(|m| m.offset == 0).map_or(0, Magic::len);
    if at_zero >= 2 || total >= 4 {
        out
    } else {
        Vec::new()
    }
}

/// Walks the leading fields of struct `sid` starting at `off`; returns the offset after the
/// struct when every field has a static size, `None` where the walk stopped.
fn leading(
    plan: &Plan,
    sid: StructId,
    mut off: u64,
    out: &mut Vec<Magic>,
    depth: u32,
) -> Option<u64> {
    if depth > 8 {
        return None;
    }
    for f in &plan.structs[sid as usize].fields {
        let s = &f.spec;
        if s.if_.is_some() || s.at.is_some() || s.size.is_some() {
            return None;
        }
        off += match &s.ty {
            TypePlan::Const { bytes, .. } => {
                out.push(Magic {
                    offset: off,
                    alternatives: vec![bytes.clone()],
                });
                bytes.len() as u64
            }
            TypePlan::Computed(_) => 0,
            TypePlan::Int { size, .. }
            | TypePlan::Float { size, .. }
            | TypePlan::Enum { size, .. } => u64::from(*size),
            TypePlan::Bool => 1,
            TypePlan::Bytes(LenPlan::Fixed(n)) | TypePlan::Pad(LenPlan::Fixed(n)) => *n,
            TypePlan::Str {
                len: LenPlan::Fixed(n),
                kind: crate::plan::StrKind::Fixed | crate::plan::StrKind::ZFixed,
                ..
            } => *n,
            TypePlan::Struct { id, .. } => leading(plan, *id, off, out, depth + 1)? - off,
            _ => return None,
        };
    }
    Some(off)
}

/// The magic of a struct whose byte order is chosen by a match on an integer peeked at a
/// constant offset: the values its arms list, encoded in the peek's byte order. `None` when
/// the byte order is chosen otherwise or an arm is a range.
fn endian_magic(plan: &Plan, sid: StructId) -> Option<Magic> {
    let EndianPlan::Match(on, arms) = &plan.structs[sid as usize].endian else {
        return None;
    };
    let PExpr::Peek {
        ty:
            TypePlan::Int {
                size,
                order: Some(order),
                ..
            },
        at,
    } = plan.expr(*on)
    else {
        return None;
    };
    let PExpr::Int(offset) = plan.expr(*at) else {
        return None;
    };
    let size = usize::from(*size);
    let mut alternatives = Vec::new();
    for pat in arms.iter().flat_map(|(pats, _)| pats) {
        let PatPlan::Int(v) = pat else { return None };
        let le = v.to_le_bytes();
        let mut b: Box<[u8]> = le.get(..size)?.into();
        if *order == ByteOrder::Big {
            b.reverse();
        }
        alternatives.push(b);
    }
    Some(Magic {
        offset: u64::try_from(*offset).ok()?,
        alternatives,
    })
}

/// Whether `data` has every part of `magic` (an empty magic matches nothing).
pub fn matches(magic: &[Magic], data: &[u8]) -> bool {
    !magic.is_empty()
        && magic.iter().all(|m| {
            let start = m.offset as usize;
            let found = start
                .checked_add(m.len())
                .and_then(|end| data.get(start..end));
            m.alternatives.iter().any(|b| found == Some(&b[..]))
        })
}

/// The bundled formats whose magic `data` has, longest magic first.
pub fn candidates(data: &[u8]) -> Vec<&'static Format> {
    let mut found: Vec<(usize, &'static Format)> = formats::ALL
        .iter()
        .filter_map(|f| {
            let plan = lang::compile_str(f.name, f.text).ok()?;
            let m = magic(&plan);
            matches(&m, data).then(|| (m.iter().map(Magic::len).sum(), f))
        })
        .collect();
    found.sort_by_key(|(n, _)| std::cmp::Reverse(*n));
    found.into_iter().map(|(_, f)| f).collect()
}
