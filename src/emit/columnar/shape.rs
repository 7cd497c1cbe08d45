//! The column shape of a record, read from the plan: one typed column per emitted field,
//! nested structs as struct columns, arrays as list columns. A field whose type depends on
//! the data (a `match` whose arms differ, a computed value of unknown type) has no column
//! type: that is a [`ShapeError`] naming the field.

use std::sync::Arc;

use arrow_schema::{DataType, Field, Fields, Schema, SchemaRef};

use crate::plan::{BinOp, Func, UnOp};
use crate::plan::{ExprId, FieldPlan, PExpr, Plan, StructId, TypePlan};

/// The type of one column, before it becomes an Arrow type.
#[derive(Clone, Debug, PartialEq)]
pub enum Kind {
    Bool,
    Int {
        bits: u8,
        signed: bool,
    },
    Float {
        bits: u8,
    },
    Utf8,
    Binary,
    /// An enum: dictionary-encoded member names (a value without a name: its number as text).
    Enum,
    /// A flags enum: a list of the names of the bits that are set.
    Flags,
    Struct(Vec<Col>),
    List(Box<Col>),
}

/// One column: its name and, inside a struct, the pre-rendered JSON key the decoder writes
/// before its value (`None` for the fields of a tuple struct, which come in order).
#[derive(Clone, Debug, PartialEq)]
pub struct Col {
    pub name: String,
    pub key: Option<Box<[u8]>>,
    pub kind: Kind,
    /// The struct's values come as a JSON array (Python struct strings without names).
    pub tuple: bool,
}

/// A record whose columns cannot be typed from the descriptor.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error(
    "field `{path}` has no single column type: {reason}; columnar outputs need one type per \
     column: select fields of one type (--select) or use a JSON output (-o ndjson)"
)]
pub struct ShapeError {
    /// Dotted path of the field from the record (`rec.body.payload`).
    pub path: String,
    pub reason: String,
}

/// The columns of records of struct `sid`.
pub fn record_shape(plan: &Plan, sid: StructId) -> Result<Col, ShapeError> {
    let mut w = Walker {
        plan,
        path: vec![plan.structs[sid as usize].name.clone()],
        depth: 0,
    };
    let kind = w.struct_kind(sid)?;
    Ok(Col {
        name: plan.structs[sid as usize].name.clone(),
        key: None,
        kind,
        tuple: plan.structs[sid as usize].tuple,
    })
}

/// Most nesting of struct columns (a recursive struct has no finite shape).
const MAX_DEPTH: usize = 64;

struct Walker<'p> {
    plan: &'p Plan,
    path: Vec<String>,
    depth: usize,
}

impl Walker<'_> {
    fn fail(&self, reason: impl Into<String>) -> ShapeError {
        ShapeError {
            path: self.path.join("."),
            reason: reason.into(),
        }
    }

    fn struct_kind(&mut self, sid: StructId) -> Result<Kind, ShapeError> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(self.fail("its structs nest recursively"));
        }
        let mut cols = Vec::new();
        self.struct_fields(sid, &mut cols)?;
        self.depth -= 1;
        Ok(Kind::Struct(cols))
    }

    /// The columns of a struct's emitted fields (embedded structs' fields inline).
    fn struct_fields(&mut self, sid: StructId, cols: &mut Vec<Col>) -> Result<(), ShapeError> {
        let st = &self.plan.structs[sid as usize];
        let mut ix = 0usize;
        for f in &st.fields {
            if f.embed {
                self.path.push(f.name.clone());
                self.embedded(f, cols)?;
                self.path.pop();
                continue;
            }
            if !f.emit {
                continue;
            }
            let name = if st.tuple {
                format!("f{ix}")
            } else {
                f.name.clone()
            };
            ix += 1;
            self.path.push(name.clone());
            let (kind, tuple) = self.spec_kind(sid, &f.spec.ty)?;
            self.path.pop();
            if let Some(k) = kind {
                if cols.iter().any(|c| c.name == name) {
                    return Err(self.fail(format!("two fields are named `{name}`")));
                }
                cols.push(Col {
                    name,
                    key: if st.tuple { None } else { f.key.clone() },
                    kind: k,
                    tuple,
                });
            }
        }
        Ok(())
    }

    fn embedded(&mut self, f: &FieldPlan, cols: &mut Vec<Col>) -> Result<(), ShapeError> {
        match &f.spec.ty {
            TypePlan::Struct { id, .. } => {
                self.depth += 1;
                if self.depth > MAX_DEPTH {
                    return Err(self.fail("its structs nest recursively"));
                }
                self.struct_fields(*id, cols)?;
                self.depth -= 1;
                Ok(())
            }
            TypePlan::Match(m) => {
                // every arm must put the same columns into the enclosing struct
                let mut first: Option<Vec<Col>> = None;
                for arm in m.arms.iter().map(|(_, s)| s).chain(m.default.as_ref()) {
                    let mut these = cols.clone();
                    let fake = FieldPlan {
                        spec: arm.clone(),
                        ..f.clone()
                    };
                    self.embedded(&fake, &mut these)?;
                    match &first {
                        None => first = Some(these),
                        Some(c) if *c == these => {}
                        Some(_) => {
                            return Err(self.fail(
                                "the arms of its `match` embed structs with different fields",
                            ));
                        }
                    }
                }
                if let Some(c) = first {
                    *cols = c;
                }
                Ok(())
            }
            _ => Ok(()),
        }
    }

    /// The column type of a value of `ty` (None: writes no value, such as `pad`), and whether
    /// it is a tuple struct.
    fn spec_kind(
        &mut self,
        sid: StructId,
        ty: &TypePlan,
    ) -> Result<(Option<Kind>, bool), ShapeError> {
        let kind = match ty {
            TypePlan::Int { size, signed, .. } => int_kind(*size, *signed)
                .ok_or_else(|| self.fail(format!("{}-byte integers have no Arrow type", size)))?,
            TypePlan::Float { size, .. } => Kind::Float {
                bits: if *size <= 4 { 32 } else { 64 },
            },
            TypePlan::Bool => Kind::Bool,
            TypePlan::Leb128 { signed } => Kind::Int {
                bits: 64,
                signed: *signed,
            },
            TypePlan::Bits { n, as_bool, .. } => {
                if *as_bool {
                    Kind::Bool
                } else {
                    int_kind(n.div_ceil(8).next_power_of_two(), false)
                        .ok_or_else(|| self.fail(format!("a {n}-bit field")))?
                }
            }
            TypePlan::Bytes(_) => Kind::Binary,
            TypePlan::Str { .. } => Kind::Utf8,
            TypePlan::Pascal { text, .. } | TypePlan::Const { text, .. } => {
                if *text {
                    Kind::Utf8
                } else {
                    Kind::Binary
                }
            }
            TypePlan::Pad(_) | TypePlan::Align(_) => return Ok((None, false)),
            TypePlan::Terminated(_, inner) => return self.spec_kind(sid, &inner.ty),
            TypePlan::Struct { id, .. } => {
                let tuple = self.plan.structs[*id as usize].tuple;
                return Ok((Some(self.struct_kind(*id)?), tuple));
            }
            TypePlan::Enum { id, .. } => {
                if self.plan.enums[*id as usize].is_flags {
                    Kind::Flags
                } else {
                    Kind::Enum
                }
            }
            TypePlan::Array(a) => {
                let (elem, tuple) = self.spec_kind(sid, &a.elem.ty)?;
                let Some(elem) = elem else {
                    return Err(self.fail("an array of values that write nothing"));
                };
                Kind::List(Box::new(Col {
                    name: "item".into(),
                    key: None,
                    kind: elem,
                    tuple,
                }))
            }
            TypePlan::Match(m) => {
                let mut found: Option<(Kind, bool)> = None;
                for arm in m.arms.iter().map(|(_, s)| s).chain(m.default.as_ref()) {
                    let (k, tuple) = self.spec_kind(sid, &arm.ty)?;
                    // an arm that writes no value (pad) is a null in the column
                    let Some(k) = k else { continue };
                    match &found {
                        None => found = Some((k, tuple)),
                        Some((f, t)) if *f == k && *t == tuple => {}
                        Some((f, _)) => {
                            return Err(self.fail(format!(
                                "the arms of its `match` have different types ({} and {})",
                                describe(f),
                                describe(&k)
                            )));
                        }
                    }
                }
                let Some((k, tuple)) = found else {
                    return Ok((None, false));
                };
                return Ok((Some(k), tuple));
            }
            TypePlan::Computed(e) => self.expr_kind(sid, *e, 0)?,
        };
        Ok((Some(kind), false))
    }

    /// The type of a computed value, where the descriptor fixes it.
    fn expr_kind(&mut self, sid: StructId, e: ExprId, depth: u32) -> Result<Kind, ShapeError> {
        let open =
            |w: &Self| w.fail("it is computed by an expression whose type depends on the data");
        if depth > 32 {
            return Err(open(self));
        }
        Ok(match self.plan.expr(e) {
            PExpr::Int(_) => Kind::Int {
                bits: 64,
                signed: true,
            },
            PExpr::Bool(_) => Kind::Bool,
            PExpr::Lit(_) => Kind::Utf8,
            // @offset, @remaining, @input_size, @index
            PExpr::Builtin(_) => Kind::Int {
                bits: 64,
                signed: true,
            },
            PExpr::Slot(s) => {
                let st = &self.plan.structs[sid as usize];
                let Some(f) = st.fields.iter().find(|f| f.slot == Some(*s)) else {
                    return Err(open(self));
                };
                match &f.spec.ty {
                    TypePlan::Computed(e2) => self.expr_kind(sid, *e2, depth + 1)?,
                    TypePlan::Int { .. }
                    | TypePlan::Float { .. }
                    | TypePlan::Bool
                    | TypePlan::Leb128 { .. }
                    | TypePlan::Bits { .. }
                    | TypePlan::Bytes(_)
                    | TypePlan::Str { .. }
                    | TypePlan::Pascal { .. }
                    | TypePlan::Const { .. }
                    | TypePlan::Enum { .. } => {
                        let (k, _) = self.spec_kind(sid, &f.spec.ty)?;
                        // integers from expressions are written as i128: a value of an
                        // integer field fits a signed 64-bit column unless it is u64
                        match k {
                            Some(Kind::Int {
                                bits: 64,
                                signed: false,
                            }) => Kind::Int {
                                bits: 64,
                                signed: false,
                            },
                            Some(Kind::Int { .. }) => Kind::Int {
                                bits: 64,
                                signed: true,
                            },
                            Some(k) => k,
                            None => return Err(open(self)),
                        }
                    }
                    _ => return Err(open(self)),
                }
            }
            PExpr::Unary(UnOp::Not, _) => Kind::Bool,
            PExpr::Unary(_, a) => match self.expr_kind(sid, *a, depth + 1)? {
                Kind::Int { .. } => Kind::Int {
                    bits: 64,
                    signed: true,
                },
                k @ Kind::Float { .. } => k,
                _ => return Err(open(self)),
            },
            PExpr::Binary(op, a, b) => {
                use BinOp::*;
                match op {
                    Eq | Ne | Lt | Le | Gt | Ge | And | Or => Kind::Bool,
                    Coalesce => {
                        let ka = self.expr_kind(sid, *a, depth + 1)?;
                        if ka != self.expr_kind(sid, *b, depth + 1)? {
                            return Err(open(self));
                        }
                        ka
                    }
                    _ => {
                        let (ka, kb) = (
                            self.expr_kind(sid, *a, depth + 1)?,
                            self.expr_kind(sid, *b, depth + 1)?,
                        );
                        match (ka, kb) {
                            (Kind::Int { .. }, Kind::Int { .. }) => Kind::Int {
                                bits: 64,
                                signed: true,
                            },
                            _ => return Err(open(self)),
                        }
                    }
                }
            }
            PExpr::Cond(_, a, b) => {
                let ka = self.expr_kind(sid, *a, depth + 1)?;
                let kb = self.expr_kind(sid, *b, depth + 1)?;
                if ka != kb {
                    return Err(open(self));
                }
                ka
            }
            PExpr::Call(f, args) => match f {
                Func::Fail => return Err(open(self)),
                Func::Len | Func::Int | Func::Find | Func::Rfind | Func::Crc32 | Func::Sum => {
                    Kind::Int {
                        bits: 64,
                        signed: true,
                    }
                }
                Func::Min | Func::Max | Func::Abs => {
                    let mut k = None;
                    for a in args.iter() {
                        let ka = self.expr_kind(sid, *a, depth + 1)?;
                        if k.as_ref().is_some_and(|k| *k != ka) {
                            return Err(open(self));
                        }
                        k = Some(ka);
                    }
                    match k {
                        Some(Kind::Int { .. }) => Kind::Int {
                            bits: 64,
                            signed: true,
                        },
                        _ => return Err(open(self)),
                    }
                }
            },
            PExpr::Cast(_, id) | PExpr::EnumConst(id, _) => {
                if self.plan.enums[*id as usize].is_flags {
                    Kind::Flags
                } else {
                    Kind::Enum
                }
            }
            _ => return Err(open(self)),
        })
    }
}

fn int_kind(size: u8, signed: bool) -> Option<Kind> {
    let bits = match size {
        1 => 8,
        2 => 16,
        3 | 4 => 32,
        5..=8 => 64,
        _ => return None,
    };
    Some(Kind::Int { bits, signed })
}

/// A short name of a column type for messages.
fn describe(k: &Kind) -> String {
    match k {
        Kind::Bool => "bool".into(),
        Kind::Int { bits, signed } => format!("{}{bits}", if *signed { "i" } else { "u" }),
        Kind::Float { bits } => format!("f{bits}"),
        Kind::Utf8 => "text".into(),
        Kind::Binary => "bytes".into(),
        Kind::Enum => "enum".into(),
        Kind::Flags => "flags".into(),
        Kind::Struct(_) => "struct".into(),
        Kind::List(c) => format!("list of {}", describe(&c.kind)),
    }
}

/// The Arrow type of a column.
pub fn data_type(k: &Kind) -> DataType {
    match k {
        Kind::Bool => DataType::Boolean,
        Kind::Int { bits, signed } => match (bits, signed) {
            (8, true) => DataType::Int8,
            (8, false) => DataType::UInt8,
            (16, true) => DataType::Int16,
            (16, false) => DataType::UInt16,
            (32, true) => DataType::Int32,
            (32, false) => DataType::UInt32,
            (_, true) => DataType::Int64,
            (_, false) => DataType::UInt64,
        },
        Kind::Float { bits: 32 } => DataType::Float32,
        Kind::Float { .. } => DataType::Float64,
        Kind::Utf8 => DataType::Utf8,
        Kind::Binary => DataType::Binary,
        Kind::Enum => dict_type(),
        Kind::Flags => DataType::List(Arc::new(Field::new("item", DataType::Utf8, true))),
        Kind::Struct(cols) => DataType::Struct(fields(cols)),
        Kind::List(c) => DataType::List(Arc::new(field(c))),
    }
}

pub(crate) fn dict_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8))
}

/// Every column is nullable: a field behind a false `if` is absent from its record.
pub fn field(c: &Col) -> Field {
    Field::new(c.name.clone(), data_type(&c.kind), true)
}

pub fn fields(cols: &[Col]) -> Fields {
    cols.iter().map(field).collect()
}

/// The Arrow schema of a record shape (its columns at the top level).
pub fn schema(record: &Col) -> SchemaRef {
    let cols = match &record.kind {
        Kind::Struct(cols) => cols.as_slice(),
        _ => &[],
    };
    Arc::new(Schema::new(fields(cols)))
}
