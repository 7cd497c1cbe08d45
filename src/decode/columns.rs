//! The column tier: runs of fixed-layout records handed to a columnar sink column by column
//! ([`crate::emit::columns`]), from the same compiled layout as the record writer
//! ([`super::RawProgram`]). A layout the raw program cannot compile has no column tier
//! either, so both tiers take exactly the same structs; the rest is the general decoder's.
//!
//! Numbers go as strided gathers from the records' bytes, text and bytes as one pass per
//! column that cuts, checks and copies; booleans, enum members and odd-width numbers are
//! read here, value by value, with the interpreter's own reader. A record whose text is not
//! valid ends the run before it: the general decoder then decodes it and reports its error
//! with its path (or skips it, as the caller's error policy says).

use crate::emit::Sink;
use crate::emit::columns::{ColumnsOut, FieldBytes, Value as ColValue};
use crate::plan::{EnumPlan, FlatField, StrKind, TypePlan};
use crate::text::Encoding;

use super::cursor::{Scalar, read_scalar};
use super::flat::{Kind, RawProgram};
use super::{Decoder, StructId};

/// Most bytes of records in one run: every column of a run reads the same records, which
/// stay in the cache from one column to the next.
const RUN_BYTES: usize = 256 << 10;

impl<S: Sink> Decoder<'_, '_, '_, S> {
    /// Records mode's column tier: hands consecutive fixed-layout records of `sid` starting
    /// at `pos` (each ending by `end`), at most `limit` of them, to the sink's
    /// [`ColumnsOut`] in runs. Returns how many were taken and where the next record
    /// starts; stops (taking none) when the sink takes no columns, at the first record with
    /// text that is not valid, and where the general decoder would run out of its value
    /// budget, so that it reports those. Err: writing the output failed.
    pub fn column_records(
        &mut self,
        sid: StructId,
        mut pos: usize,
        end: usize,
        limit: u64,
    ) -> std::io::Result<(u64, usize)> {
        let plan = self.plan;
        let (Some(flat), Some(prog)) = (&plan.structs[sid as usize].flat, self.raw_program(sid))
        else {
            return Ok((0, pos));
        };
        let size = prog.size();
        let data = self.data;
        let end = end.min(data.len());
        let per = flat.len() as u64;
        let run_max = (RUN_BYTES / size).max(1) as u64;
        let mut n = 0u64;
        while n < limit && end.saturating_sub(pos) >= size {
            // the general decoder counts every field against the budget, record by record
            let budget = (self.budget_limit.saturating_sub(self.budget))
                .checked_div(per)
                .unwrap_or(u64::MAX);
            let Some((out, room)) = self.sink.raw_columns() else {
                break;
            };
            let rows = (((end - pos) / size) as u64)
                .min(limit - n)
                .min(room as u64)
                .min(run_max)
                .min(budget) as usize;
            if rows == 0 {
                self.sink.raw_columns_done()?;
                break;
            }
            let recs = &data[pos..pos + rows * size];
            let kept = fill(prog, flat, &plan.enums, recs, rows, out);
            let kept = kept.unwrap_or(0);
            pos += kept * size;
            n += kept as u64;
            self.budget += kept as u64 * per;
            self.sink.raw_columns_done()?;
            if kept < rows {
                break;
            }
        }
        Ok((n, pos))
    }
}

/// Hands the `rows` records of `recs` to `out`, column by column. Returns how many it kept
/// (those before the first record with text that is not valid); None when the sink took
/// none of them.
fn fill(
    prog: &RawProgram,
    flat: &[FlatField],
    enums: &[EnumPlan],
    recs: &[u8],
    rows: usize,
    out: &mut dyn ColumnsOut,
) -> Option<usize> {
    let size = prog.size();
    let field = |off, width, rows| FieldBytes::new(recs, size, off, width, rows);
    // fields only checked: their text must be valid all the same
    let mut keep = rows;
    for (kind, fi, off, width, _) in prog.fields() {
        if kind != Kind::Check {
            continue;
        }
        if let TypePlan::Str {
            kind, enc, trim, ..
        } = &flat[fi].ty
        {
            let (z, ascii) = (*kind == StrKind::ZFixed, *enc == Encoding::Ascii);
            if let Err((r, _)) = field(off, width, keep)?.check_texts(z, ascii, trim.as_deref()) {
                keep = r;
            }
        }
    }
    if !out.begin(rows, prog.columns()) {
        return None;
    }
    let order = prog.order();
    let mut vals: Vec<ColValue<'_>> = Vec::new();
    // two passes: text first, which fixes how many records the run keeps; then the rest,
    // so that nothing is read past a bad record (an enum column's dictionary grows as the
    // general decoder's does)
    let is_text = |kind: Kind, fi: usize| match kind {
        Kind::Text | Kind::TextAscii | Kind::TextZ | Kind::TextZAscii => true,
        Kind::Other => matches!(flat[fi].ty, TypePlan::Str { .. }),
        _ => false,
    };
    let text_first = prog
        .fields()
        .filter(|f| is_text(f.0, f.1))
        .chain(prog.fields().filter(|f| !is_text(f.0, f.1)));
    for (kind, fi, off, width, label) in text_first {
        if !label.written() {
            continue;
        }
        let col = label.col;
        let Some(f) = field(off, width, keep) else {
            out.abort();
            return None;
        };
        // text: a bad record ends the run before it (the columns after it take fewer)
        let texts = |out: &mut dyn ColumnsOut, keep: &mut usize, z, ascii, trim| match out
            .texts(col, f, z, ascii, trim)
        {
            Ok(ok) => ok,
            Err((r, _)) => {
                *keep = (*keep).min(r);
                true
            }
        };
        let ok = if let Some(k) = kind.num() {
            out.numbers(col, k, f)
        } else {
            match kind {
                Kind::Text => texts(out, &mut keep, false, false, None),
                Kind::TextAscii => texts(out, &mut keep, false, true, None),
                Kind::TextZ => texts(out, &mut keep, true, false, None),
                Kind::TextZAscii => texts(out, &mut keep, true, true, None),
                _ => match &flat[fi].ty {
                    TypePlan::Bytes(_) => out.bytes(col, f),
                    TypePlan::Str {
                        kind, enc, trim, ..
                    } => texts(
                        out,
                        &mut keep,
                        *kind == StrKind::ZFixed,
                        *enc == Encoding::Ascii,
                        trim.as_deref(),
                    ),
                    ty => {
                        vals.clear();
                        vals.reserve(f.rows());
                        for b in f.iter() {
                            let v = match read_scalar(ty, b, order) {
                                Some(Scalar::U(x)) => ColValue::Int(x.into()),
                                Some(Scalar::I(x)) => ColValue::Int(x.into()),
                                Some(Scalar::F32(x)) => ColValue::F32(x),
                                Some(Scalar::F64(x)) => ColValue::F64(x),
                                Some(Scalar::Bool(x)) => ColValue::Bool(x),
                                Some(Scalar::Enum(id, x)) => {
                                    match enums.get(id as usize).and_then(|e| e.name_of(x)) {
                                        Some(name) => ColValue::Name(name),
                                        None => ColValue::Int(x),
                                    }
                                }
                                None => {
                                    out.abort();
                                    return None;
                                }
                            };
                            vals.push(v);
                        }
                        out.values(col, &vals)
                    }
                },
            }
        };
        if !ok {
            out.abort();
            return None;
        }
    }
    out.end(keep);
    Some(keep)
}
