//! Byte orders across files: an imported file's `endian` line holds for its structs.

use std::collections::HashMap;

use crate::plan::{ByteOrder, EndianPlan, Plan, SpecPlan, StructId, TypePlan};

/// An imported file's `endian` line holds for that file's structs wherever they are used:
/// a struct without its own `endian` starts in its file's byte order when it is entered from
/// another file (or as the root), and inherits the caller's order inside its own file.
///
/// `owners[i]` is struct `i`'s file and whether it declares its own `endian`. A file whose
/// structs never declare one runs wholly in its file's order: its structs become
/// `Fixed`. In a file that mixes (a root with `endian match` and chunks that inherit it),
/// each inheriting struct gets a copy that inherits, used by the references from its own
/// file, while the original, used from other files, starts in the file's order.
pub(super) fn apply_file_endians(
    plan: &mut Plan,
    owners: &[(usize, bool)],
    file_endians: &[Option<ByteOrder>],
) {
    for (f, order) in file_endians.iter().enumerate().skip(1) {
        let Some(order) = *order else { continue };
        let members: Vec<usize> = (0..owners.len()).filter(|&i| owners[i].0 == f).collect();
        let inheriting: Vec<usize> = members.iter().copied().filter(|&i| !owners[i].1).collect();
        if members.len() != inheriting.len() {
            let mut copies = HashMap::new();
            for &i in &inheriting {
                copies.insert(i as StructId, plan.structs.len() as StructId);
                let copy = plan.structs[i].clone();
                plan.structs.push(copy);
            }
            let own_file = members
                .iter()
                .copied()
                .chain(copies.values().map(|&c| c as usize));
            for s in own_file.collect::<Vec<_>>() {
                for field in &mut plan.structs[s].fields {
                    redirect_structs(&mut field.spec, &copies);
                }
            }
        }
        for &i in &inheriting {
            plan.structs[i].endian = EndianPlan::Fixed(order);
        }
    }
}

/// Replaces references to the structs in `map` (the keys) by their copies (the values).
fn redirect_structs(spec: &mut SpecPlan, map: &HashMap<StructId, StructId>) {
    match &mut spec.ty {
        TypePlan::Struct { id, .. } => {
            if let Some(&to) = map.get(id) {
                *id = to;
            }
        }
        TypePlan::Array(a) => redirect_structs(&mut a.elem, map),
        TypePlan::Match(m) => {
            for (_, arm) in &mut m.arms {
                redirect_structs(arm, map);
            }
            if let Some(d) = &mut m.default {
                redirect_structs(d, map);
            }
        }
        _ => {}
    }
}
