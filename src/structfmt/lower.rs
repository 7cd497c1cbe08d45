//! Lowers a parsed Python struct format to the same [`Plan`] that descriptors compile to.

use super::{ByteOrder as SOrder, Format, ItemKind};
use crate::plan::*;
use crate::text::Encoding;

/// How `s`, `p` and `c` values are written.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StringMode {
    /// Text cut at the first NUL (UTF-8, or as the user chose with `--lossy`).
    #[default]
    Text,
    /// Exactly the bytes CPython returns, written as byte strings.
    Raw,
}

/// A problem with `--names` (the format string itself was already parsed).
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum NamesError {
    #[error("{given} name(s) given, but the format has {values} value(s)")]
    Count { given: usize, values: usize },
    #[error("name `{0}` is given twice")]
    Duplicate(String),
    #[error("empty name at position {0}")]
    Empty(usize),
    /// More values than [`MAX_VALUES`] (`'77777777e'`): one plan field per value would
    /// exhaust memory before the input is read.
    #[error("the format has {0} values, more than the {MAX_VALUES} supported")]
    TooManyValues(usize),
}

/// Most values one struct format may unpack to (CPython has no limit; a plan field per
/// value does).
pub const MAX_VALUES: usize = 1 << 20;

/// Builds a plan with one root struct `record` for the format. With `names`, records are
/// JSON objects with those keys (`_` skips a value); without, JSON arrays.
pub fn to_plan(
    f: &Format,
    names: Option<&[String]>,
    strings: StringMode,
) -> Result<Plan, NamesError> {
    let values = f.value_count();
    if values > MAX_VALUES {
        return Err(NamesError::TooManyValues(values));
    }
    if let Some(n) = names {
        if n.len() != values {
            return Err(NamesError::Count {
                given: n.len(),
                values,
            });
        }
        for (i, a) in n.iter().enumerate() {
            if a.is_empty() {
                return Err(NamesError::Empty(i + 1));
            }
            if a != "_" && n[..i].contains(a) {
                return Err(NamesError::Duplicate(a.clone()));
            }
        }
    }
    let order = match f.order {
        SOrder::Little => ByteOrder::Little,
        SOrder::Big => ByteOrder::Big,
    };
    let mut fields = Vec::new();
    let mut at = 0usize;
    let mut value_ix = 0usize;
    let mut push_value = |fields: &mut Vec<FieldPlan>, ty: TypePlan| {
        let name = names.map(|n| n[value_ix].clone());
        let (key, emit) = match &name {
            Some(n) if n == "_" => (None, false),
            Some(n) => (
                Some(
                    serde_json::to_string(n)
                        .unwrap_or_default()
                        .into_bytes()
                        .into_boxed_slice(),
                ),
                true,
            ),
            None => (None, true),
        };
        fields.push(FieldPlan {
            name: name.unwrap_or_else(|| value_ix.to_string()),
            key,
            emit,
            slot: None,
            embed: false,
            spec: SpecPlan::bare(ty),
        });
        value_ix += 1;
    };
    for item in &f.items {
        if item.offset > at {
            fields.push(pad(item.offset - at));
        }
        at = item.offset;
        match item.kind {
            ItemKind::Pad => {
                if item.count > 0 {
                    fields.push(pad(item.count));
                }
                at += item.count;
            }
            ItemKind::Bytes => {
                let ty = match strings {
                    StringMode::Text => TypePlan::Str {
                        kind: StrKind::ZFixed,
                        len: LenPlan::Fixed(item.count as u64),
                        enc: Encoding::Utf8,
                        trim: None,
                    },
                    StringMode::Raw => TypePlan::Bytes(LenPlan::Fixed(item.count as u64)),
                };
                push_value(&mut fields, ty);
                at += item.count;
            }
            ItemKind::Pascal => {
                let ty = TypePlan::Pascal {
                    len: item.count as u64,
                    text: strings == StringMode::Text,
                    enc: Encoding::Utf8,
                };
                push_value(&mut fields, ty);
                at += item.count;
            }
            kind => {
                for _ in 0..item.count {
                    let ty = match kind {
                        ItemKind::Char => match strings {
                            StringMode::Text => TypePlan::Str {
                                kind: StrKind::ZFixed,
                                len: LenPlan::Fixed(1),
                                enc: Encoding::Utf8,
                                trim: None,
                            },
                            StringMode::Raw => TypePlan::Bytes(LenPlan::Fixed(1)),
                        },
                        ItemKind::Int { size, signed } => TypePlan::Int {
                            size,
                            signed,
                            order: Some(order),
                        },
                        ItemKind::Bool => TypePlan::Bool,
                        ItemKind::Float { size } => TypePlan::Float {
                            size,
                            order: Some(order),
                        },
                        _ => unreachable!("handled above"),
                    };
                    push_value(&mut fields, ty);
                }
                at += item.size * item.count;
            }
        }
    }
    let size = f.size as u64;
    let mut plan = Plan {
        structs: vec![StructPlan {
            param_keys: Vec::new(),
            name: "record".into(),
            params: 0,
            nslots: 0,
            fields,
            endian: EndianPlan::Fixed(order),
            bits_little: false,
            valid: None,
            lazy: Vec::new(),
            lookup: Vec::new(),
            static_size: Some(size),
            tuple: names.is_none(),
            flat: None,
        }],
        enums: Vec::new(),
        exprs: Vec::new(),
        root: 0,
        endian: Some(order),
        valid_text: Vec::new(),
        introspect: false,
        derived: Default::default(),
    };
    plan.finalize();
    Ok(plan)
}

fn pad(n: usize) -> FieldPlan {
    FieldPlan {
        name: "_".into(),
        key: None,
        emit: false,
        slot: None,
        embed: false,
        spec: SpecPlan::bare(TypePlan::Pad(LenPlan::Fixed(n as u64))),
    }
}
