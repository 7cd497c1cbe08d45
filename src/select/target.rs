//! What a `--select` path selects, read from the plan before decoding: the columnar outputs
//! need the selected values to be records of one struct, to know their columns up front.

use crate::plan::{Plan, SpecPlan, StructId, TypePlan};

use super::{Path, Step};

/// The struct whose values `path` selects (`packets[*]` → the packet struct), or why the
/// path does not select values of one struct: a name that is not a field, an index into
/// something that is not an array, a `match` whose arms differ, a value that is not a struct.
pub fn selected_struct(plan: &Plan, path: &Path) -> Result<StructId, String> {
    let mut spec: Option<&SpecPlan> = None;
    let mut here = String::new();
    for step in &path.steps {
        let ty = match spec {
            None => None,
            Some(s) => Some(unwrap(s, &here)?),
        };
        match step {
            Step::Field(name) => {
                let sid = match ty {
                    None => plan.root,
                    Some(TypePlan::Struct { id, .. }) => *id,
                    Some(_) => return Err(format!("`{here}` is not a struct: it has no `{name}`")),
                };
                spec =
                    Some(field(plan, sid, name).ok_or_else(|| no_field(plan, sid, name, &here))?);
                if !here.is_empty() {
                    here.push('.');
                }
                here.push_str(name);
            }
            Step::Index(_) | Step::All => match ty {
                Some(TypePlan::Array(a)) => {
                    spec = Some(&a.elem);
                    here.push_str(if *step == Step::All { "[*]" } else { "[i]" });
                }
                _ => {
                    let what = if here.is_empty() {
                        "the root".to_string()
                    } else {
                        format!("`{here}`")
                    };
                    return Err(format!("{what} is not an array"));
                }
            },
        }
    }
    match spec {
        None => Ok(plan.root),
        Some(s) => match unwrap(s, &here)? {
            TypePlan::Struct { id, .. } => Ok(*id),
            _ => Err(format!(
                "`{here}` is not a struct: a columnar output needs a path to records (structs)"
            )),
        },
    }
}

/// The type a spec's value has, looking through terminators and `match`es whose arms all
/// decode the same struct.
fn unwrap<'p>(spec: &'p SpecPlan, here: &str) -> Result<&'p TypePlan, String> {
    match &spec.ty {
        TypePlan::Terminated(_, inner) => unwrap(inner, here),
        TypePlan::Match(m) => {
            let mut one: Option<StructId> = None;
            for s in m.arms.iter().map(|(_, s)| s).chain(m.default.as_ref()) {
                match unwrap(s, here)? {
                    TypePlan::Struct { id, .. } if one.is_none_or(|o| o == *id) => one = Some(*id),
                    _ => {
                        return Err(format!(
                            "`{here}` is a match whose arms decode different types: its columns are not known before decoding"
                        ));
                    }
                }
            }
            match (m.arms.first(), &m.default) {
                (Some((_, s)), _) | (None, Some(s)) => unwrap(s, here),
                (None, None) => Err(format!("`{here}` is an empty match")),
            }
        }
        ty => Ok(ty),
    }
}

/// The field `name` of struct `sid` as the output shows it (fields of embedded structs
/// appear in the struct that embeds them).
fn field<'p>(plan: &'p Plan, sid: StructId, name: &str) -> Option<&'p SpecPlan> {
    for f in &plan.structs[sid as usize].fields {
        if f.embed {
            if let TypePlan::Struct { id, .. } = &f.spec.ty
                && let Some(s) = field(plan, *id, name)
            {
                return Some(s);
            }
        } else if f.emit && f.name == name {
            return Some(&f.spec);
        }
    }
    None
}

fn no_field(plan: &Plan, sid: StructId, name: &str, here: &str) -> String {
    let st = &plan.structs[sid as usize];
    let names: Vec<&str> = st
        .fields
        .iter()
        .filter(|f| f.emit && !f.embed)
        .map(|f| f.name.as_str())
        .collect();
    let what = if here.is_empty() {
        format!("struct `{}`", st.name)
    } else {
        format!("`{here}` (struct `{}`)", st.name)
    };
    format!(
        "{what} has no field `{name}` (its fields: {})",
        names.join(", ")
    )
}
