//! `unstruct layout`: each field's offset and size where they do not depend on the data.

use std::fmt::Write;

use crate::lang::check::static_spec_size;
use crate::plan::*;

/// Renders the layout of every struct (or only `only`).
pub fn render(plan: &Plan, only: Option<StructId>) -> String {
    let mut out = String::new();
    for (i, s) in plan.structs.iter().enumerate() {
        if only.is_some_and(|o| o as usize != i) {
            continue;
        }
        let size = s
            .static_size
            .map_or("variable size".to_string(), |n| format!("{n} bytes"));
        let _ = writeln!(out, "struct {} ({size})", s.name);
        let _ = writeln!(out, "  {:>8}  {:>8}  field", "offset", "size");
        let mut off: Option<u64> = Some(0);
        let mut bits: u64 = 0;
        for f in &s.fields {
            let mut visiting = vec![false; plan.structs.len()];
            let sz = static_spec_size(plan, &f.spec, &mut visiting);
            let name = if f.embed {
                "(embedded)".to_string()
            } else {
                f.name.clone()
            };
            let desc = describe(plan, &f.spec.ty);
            let (off_s, size_s) = match sz {
                Some((n, true)) => {
                    let o = off.map_or("?".into(), |o| format!("{}.{}", o + bits / 8, bits % 8));
                    bits += n;
                    (o, format!("{n} bits"))
                }
                Some((n, false)) => {
                    if bits > 0 {
                        off = off.map(|o| o + bits.div_ceil(8));
                        bits = 0;
                    }
                    let o = off.map_or("?".into(), |o| o.to_string());
                    if f.spec.at.is_none() {
                        off = off.map(|o| o + n);
                    }
                    (o, n.to_string())
                }
                None => {
                    if bits > 0 {
                        off = off.map(|o| o + bits.div_ceil(8));
                        bits = 0;
                    }
                    let o = off.map_or("?".into(), |o| o.to_string());
                    off = None;
                    (o, "?".into())
                }
            };
            let at = if f.spec.at.is_some() { " (at)" } else { "" };
            let cond = if f.spec.if_.is_some() { " (if)" } else { "" };
            let _ = writeln!(out, "  {off_s:>8}  {size_s:>8}  {name}: {desc}{at}{cond}");
        }
        out.push('\n');
    }
    out
}

fn describe(plan: &Plan, t: &TypePlan) -> String {
    match t {
        TypePlan::Int { size, signed, .. } => {
            format!("{}{}", if *signed { "i" } else { "u" }, size * 8)
        }
        TypePlan::Float { size, .. } => format!("f{}", size * 8),
        TypePlan::Bool => "bool".into(),
        TypePlan::Leb128 { signed } => if *signed { "sleb128" } else { "uleb128" }.into(),
        TypePlan::Bits { n, .. } => format!("b{n}"),
        TypePlan::Bytes(_) => "bytes".into(),
        TypePlan::Str { .. } => "str".into(),
        TypePlan::Pascal { .. } => "pascal string".into(),
        TypePlan::Const { .. } => "constant".into(),
        TypePlan::Pad(_) => "pad".into(),
        TypePlan::Align(_) => "align".into(),
        TypePlan::Struct { id, .. } => plan.structs[*id as usize].name.clone(),
        TypePlan::Enum { id, .. } => plan.enums[*id as usize].name.clone(),
        TypePlan::Array(a) => format!("{}[]", describe(plan, &a.elem.ty)),
        TypePlan::Match(_) => "match".into(),
        TypePlan::Computed(_) => "computed".into(),
        TypePlan::Terminated(t, inner) => match t.byte {
            Some(b) => format!("{} up to 0x{b:02x}", describe(plan, &inner.ty)),
            None => describe(plan, &inner.ty),
        },
    }
}
