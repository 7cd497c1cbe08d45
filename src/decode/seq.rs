//! The fast path for variable-length structs: a struct that is a sequence of fields
//! (numbers, text and bytes whose lengths are constants or integer expressions of earlier
//! fields and parameters, C strings, padding, computed integers, fields under `if`, embedded
//! structs of the same kind) compiled into ops like [`super::flat::RawProgram`], but read
//! with a moving cursor. Used for records, and inside documents for structs whose value
//! nothing keeps (the elements of `packets: record(magic)[..]`).
//!
//! The program only handles structs that decode cleanly: anything unusual (a length out of
//! range or negative, invalid text, a missing NUL, arithmetic overflow, an absent value,
//! the end of the data) makes [`SeqProgram::write`] give up and leave the buffer as it was,
//! and the general decoder then decodes the struct and reports the error with its path and
//! offset. Both paths produce the same JSON (`tests/fastpath.rs` compares them, and so does
//! the `descriptor_data` fuzz target).

use crate::emit::record::{FieldOut, Label, Labels, LabelsBuilder, RecordOut, most};
use crate::plan::{BinOp, Builtin, UnOp};
use crate::plan::{
    ByteOrder, EndianPlan, EnumPlan, LenPlan, PExpr, Plan, StrKind, StructPlan, TypePlan,
};
use crate::text::Encoding;

use super::Value;
use super::cursor::read_scalar;
use super::flat::{Kind, kind_of, write_other};

/// Most values (parameters and integer fields that expressions name) a program keeps.
const MAX_VALS: usize = 16;

/// Deepest expression a program evaluates (`a * b + c - 4` is 3).
const MAX_EXPR_DEPTH: u32 = 8;

/// Deepest nesting of embedded structs a program inlines.
const MAX_EMBED_DEPTH: u32 = 4;

/// What a kept value is, as far as the general decoder's JSON is concerned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum VKind {
    Int,
    Bool,
    /// An enum member (written as its name): only usable inside arithmetic or comparisons.
    Enum,
    /// A parameter: its kind is only known when the struct is called.
    Param,
}

/// An expression over kept values, evaluated in i128 like the general decoder (booleans as
/// 0 and 1).
#[derive(Clone, Debug)]
enum Expr {
    Int(i128),
    Val(u8),
    /// `@offset`: the absolute input offset of the field.
    Offset,
    /// The most common condition, `field OP constant` (a comparison), without the tree.
    Cmp(BinOp, u8, i128),
    Un(UnOp, Box<Expr>),
    Bin(BinOp, Box<Expr>, Box<Expr>),
}

/// The values a running program keeps; `present` has bit `i` set once `vals[i]` is known.
struct Regs {
    vals: [i128; MAX_VALS],
    present: u32,
    /// Absolute offset of the data's first byte.
    base: u64,
}

impl Expr {
    fn eval(&self, r: &Regs, pos: usize) -> Option<i128> {
        let truthy = |v: i128| v != 0;
        Some(match self {
            Expr::Int(v) => *v,
            Expr::Val(i) => {
                if r.present & (1 << i) == 0 {
                    return None;
                }
                r.vals[*i as usize]
            }
            Expr::Offset => i128::from(r.base) + pos as i128,
            Expr::Cmp(op, i, c) => {
                if r.present & (1 << i) == 0 {
                    return None;
                }
                let v = r.vals[*i as usize];
                i128::from(match op {
                    BinOp::Eq => v == *c,
                    BinOp::Ne => v != *c,
                    BinOp::Lt => v < *c,
                    BinOp::Le => v <= *c,
                    BinOp::Gt => v > *c,
                    _ => v >= *c,
                })
            }
            Expr::Un(op, a) => {
                let v = a.eval(r, pos)?;
                match op {
                    UnOp::Not => i128::from(!truthy(v)),
                    UnOp::Neg => v.checked_neg()?,
                    UnOp::BitNot => !v,
                }
            }
            Expr::Bin(BinOp::And, a, b) => {
                i128::from(truthy(a.eval(r, pos)?) && truthy(b.eval(r, pos)?))
            }
            Expr::Bin(BinOp::Or, a, b) => {
                i128::from(truthy(a.eval(r, pos)?) || truthy(b.eval(r, pos)?))
            }
            Expr::Bin(op, a, b) => {
                let (x, y) = (a.eval(r, pos)?, b.eval(r, pos)?);
                match op {
                    BinOp::Add => x.checked_add(y)?,
                    BinOp::Sub => x.checked_sub(y)?,
                    BinOp::Mul => x.checked_mul(y)?,
                    BinOp::Div => super::expr::floor_div(x, y)?,
                    BinOp::Rem => super::expr::floor_rem(x, y)?,
                    BinOp::Shl if (0..64).contains(&y) => {
                        let v = x << y;
                        if v >> y != x {
                            return None;
                        }
                        v
                    }
                    BinOp::Shr if (0..64).contains(&y) => x >> y,
                    BinOp::BitAnd => x & y,
                    BinOp::BitOr => x | y,
                    BinOp::BitXor => x ^ y,
                    BinOp::Eq => i128::from(x == y),
                    BinOp::Ne => i128::from(x != y),
                    BinOp::Lt => i128::from(x < y),
                    BinOp::Le => i128::from(x <= y),
                    BinOp::Gt => i128::from(x > y),
                    BinOp::Ge => i128::from(x >= y),
                    _ => return None,
                }
            }
        })
    }
}

/// A length: a constant, or an expression.
#[derive(Clone, Debug)]
enum Len {
    Const(usize),
    Expr(Expr),
}

#[derive(Clone, Debug)]
enum What {
    /// A fixed-size scalar (number, bool, enum) of `size` bytes in `order`; its value is
    /// kept in `vals[keep]` when an expression names it.
    Scalar {
        kind: Kind,
        size: usize,
        ty: TypePlan,
        order: ByteOrder,
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
    /// `= expr`: an integer (or, with `bool`, a condition written as true/false).
    Computed {
        expr: Expr,
        bool: bool,
        keep: Option<u8>,
    },
}

#[derive(Clone, Debug)]
struct Op {
    what: What,
    /// The field is decoded only when this holds (its own `if` and its embedding's); a kept
    /// field that is skipped stays absent, so an expression naming it gives up.
    cond: Option<Expr>,
    emit: bool,
    label: Label,
}

/// A variable-length struct compiled for [`SeqProgram::write`]: see the module docs.
#[derive(Clone, Debug)]
pub struct SeqProgram {
    ops: Box<[Op]>,
    labels: Labels,
    /// Parameter `i` goes to `vals[params[i]]`.
    params: Box<[u8]>,
    /// Most output the struct writes besides its text and bytes fields (see
    /// [`RecordOut::begin`]).
    fixed_out: usize,
    /// Levels of embedded structs inlined (the general decoder enters each).
    depth: u32,
}

/// What the compiler knows while it goes through the fields of one struct.
struct Scope {
    /// Frame slot -> kept value and its kind.
    slots: Vec<(u32, u8, VKind)>,
}

/// The program being built.
struct Builder<'p> {
    plan: &'p Plan,
    ops: Vec<Op>,
    labels: LabelsBuilder,
    nvals: u8,
    fixed_out: usize,
    depth: u32,
}

impl SeqProgram {
    /// Compiles struct `sp` for byte order `order` (the struct's own, or the one it is
    /// called in); None when a field is not a sequence element the program handles.
    pub fn new(plan: &Plan, sp: &StructPlan, order: ByteOrder) -> Option<SeqProgram> {
        if sp.fields.is_empty() {
            return None;
        }
        let mut b = Builder {
            plan,
            ops: Vec::with_capacity(sp.fields.len()),
            labels: LabelsBuilder::new(sp.tuple),
            nvals: 0,
            fixed_out: 0,
            depth: 0,
        };
        let mut scope = Scope { slots: Vec::new() };
        let mut params = Vec::new();
        for slot in 0..sp.params {
            let k = b.new_val()?;
            scope.slots.push((slot, k, VKind::Param));
            params.push(k);
        }
        b.fields(sp, order, &mut scope, None, 0)?;
        Some(SeqProgram {
            ops: b.ops.into_boxed_slice(),
            labels: b.labels.finish(),
            params: params.into_boxed_slice(),
            fixed_out: b.fixed_out.checked_add(Labels::SLACK + most::NUMBER)?,
            depth: b.depth,
        })
    }

    /// Most values one struct counts against the decode budget.
    pub fn values(&self) -> u64 {
        self.ops.len() as u64
    }

    /// Levels of embedded structs the general decoder would enter.
    pub fn depth(&self) -> u32 {
        self.depth
    }

    /// Writes the struct at `data[pos..]` (`base`: the absolute offset of `data[0]`),
    /// called with `args`, as one value into `out` (ending the line when `newline`).
    /// Returns where the struct ends and how many values it counted; None (nothing
    /// written) when the struct needs the general decoder, or when it takes no bytes and
    /// `advance` asks for at least one (a record or array element of no bytes is the
    /// general decoder's to report).
    #[allow(clippy::too_many_arguments)]
    #[inline]
    pub(super) fn write<O: RecordOut>(
        &self,
        out: &mut O,
        data: &[u8],
        pos: usize,
        base: u64,
        args: &[Value],
        enums: &[EnumPlan],
        newline: bool,
        advance: bool,
    ) -> Option<(usize, u64)> {
        // SAFETY: `fixed_out` counts every label and the bound of every value but text and
        // bytes (after which a writer makes room again), and the slack.
        let mut v = unsafe { out.begin(&self.labels, self.fixed_out) };
        match self.write_fields(&mut v, data, pos, base, args, enums) {
            Some(r) if !advance || r.0 > pos => {
                v.end(newline);
                Some(r)
            }
            _ => {
                v.abort();
                None
            }
        }
    }

    #[inline(always)]
    fn write_fields<F: FieldOut>(
        &self,
        v: &mut F,
        data: &[u8],
        mut pos: usize,
        base: u64,
        args: &[Value],
        enums: &[EnumPlan],
    ) -> Option<(usize, u64)> {
        let mut r = Regs {
            vals: [0; MAX_VALS],
            present: 0,
            base,
        };
        for (&k, a) in self.params.iter().zip(args) {
            r.vals[k as usize] = match *a {
                Value::Int(v) | Value::Enum { v, .. } => v,
                Value::Bool(b) => i128::from(b),
                // anything else is for the general decoder to judge
                _ => continue,
            };
            r.present |= 1 << k;
        }
        let mut ticks = 0u64;
        for op in self.ops.iter() {
            if let Some(c) = &op.cond
                && c.eval(&r, pos)? == 0
            {
                continue;
            }
            ticks += 1;
            if op.emit {
                v.field(op.label);
            }
            match &op.what {
                What::Scalar {
                    kind,
                    size,
                    ty,
                    order,
                    keep,
                } => {
                    let b = data.get(pos..pos.checked_add(*size)?)?;
                    pos += size;
                    if let Some(k) = keep
                        && let Some(Value::Int(x)) = read_scalar(ty, b, *order).map(|s| s.value())
                    {
                        r.vals[*k as usize] = x;
                        r.present |= 1 << k;
                    }
                    if !op.emit {
                        continue;
                    }
                    match kind.num() {
                        Some(k) => v.number(k, b),
                        None => write_other(v, ty, b, *order, enums).ok()?,
                    }
                }
                What::Text { len: l, z, ascii } => {
                    let n = length(l, &r, pos)?;
                    let b = data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                    let t = if *z {
                        &b[..memchr::memchr(0, b).unwrap_or(n)]
                    } else {
                        b
                    };
                    valid_text(t, *ascii)?;
                    if op.emit {
                        v.text(t);
                    }
                }
                What::CStr { ascii } => {
                    let rest = data.get(pos..)?;
                    let z = memchr::memchr(0, rest)?;
                    let t = &rest[..z];
                    pos += z + 1;
                    valid_text(t, *ascii)?;
                    if op.emit {
                        v.text(t);
                    }
                }
                What::Bytes { len: l } => {
                    let n = length(l, &r, pos)?;
                    let b = data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                    if op.emit {
                        v.bytes(b);
                    }
                }
                What::Pad { len: l } => {
                    let n = length(l, &r, pos)?;
                    data.get(pos..pos.checked_add(n)?)?;
                    pos += n;
                }
                What::Computed { expr, bool, keep } => {
                    let x = expr.eval(&r, pos)?;
                    if let Some(k) = keep {
                        r.vals[*k as usize] = x;
                        r.present |= 1 << k;
                    }
                    if op.emit {
                        if *bool {
                            v.bool(x != 0);
                        } else {
                            v.int(x);
                        }
                    }
                }
            }
        }
        Some((pos, ticks))
    }
}

impl Builder<'_> {
    fn new_val(&mut self) -> Option<u8> {
        let k = self.nvals;
        if k as usize >= MAX_VALS {
            return None;
        }
        self.nvals += 1;
        Some(k)
    }

    /// Appends the ops of the fields of `sp` (in byte order `order`, each under `outer`).
    fn fields(
        &mut self,
        sp: &StructPlan,
        order: ByteOrder,
        scope: &mut Scope,
        outer: Option<&Expr>,
        depth: u32,
    ) -> Option<()> {
        if sp.valid.is_some()
            || matches!(sp.endian, EndianPlan::Match(..))
            || !sp.param_keys.is_empty()
        {
            return None;
        }
        let order = match sp.endian {
            EndianPlan::Fixed(o) => o,
            _ => order,
        };
        let plan = self.plan;
        for f in &sp.fields {
            let s = &f.spec;
            if s.at.is_some()
                || s.size.is_some()
                || s.valid.is_some()
                || s.process.is_some()
                || s.parent.is_some()
            {
                return None;
            }
            let own = match s.if_ {
                Some(c) => Some(self.expr(c, scope, 0)?.0),
                None => None,
            };
            let cond = match (outer, own) {
                (Some(o), Some(c)) => Some(Expr::Bin(BinOp::And, Box::new(o.clone()), Box::new(c))),
                (Some(o), None) => Some(o.clone()),
                (None, c) => c,
            };
            if f.embed {
                // an embedded struct without parameters: its fields, inline, under the
                // embedding's condition; its slots are its own
                let TypePlan::Struct { id, args } = &s.ty else {
                    return None;
                };
                let inner = plan.structs.get(*id as usize)?;
                if !args.is_empty() || inner.params > 0 || depth + 1 > MAX_EMBED_DEPTH {
                    return None;
                }
                // (its slot serves lookups of its fields, which the program does not do:
                // an expression naming one is left to the general decoder)
                self.depth = self.depth.max(depth + 1);
                let mut inner_scope = Scope { slots: Vec::new() };
                self.fields(inner, order, &mut inner_scope, cond.as_ref(), depth + 1)?;
                continue;
            }
            let emit = f.emit && !matches!(s.ty, TypePlan::Pad(_) | TypePlan::Align(_));
            // a kept value, when an expression names the field
            let mut keep_kind = None;
            let what = match &s.ty {
                TypePlan::Int { size, .. }
                | TypePlan::Enum { size, .. }
                | TypePlan::Float { size, .. } => {
                    let (kind, most) = kind_of(&s.ty, order, *size as usize, &plan.enums)?;
                    self.fixed_out = self.fixed_out.checked_add(most)?;
                    if f.slot.is_some() {
                        // the general decoder keeps an enum field's number, like an integer's
                        keep_kind = Some(match s.ty {
                            TypePlan::Int { .. } | TypePlan::Enum { .. } => VKind::Int,
                            _ => return None,
                        });
                    }
                    What::Scalar {
                        kind,
                        size: *size as usize,
                        ty: s.ty.clone(),
                        order,
                        keep: None,
                    }
                }
                TypePlan::Bool => {
                    self.fixed_out = self.fixed_out.checked_add(most::INT)?;
                    What::Scalar {
                        kind: Kind::Other,
                        size: 1,
                        ty: s.ty.clone(),
                        order,
                        keep: None,
                    }
                }
                TypePlan::Str {
                    kind,
                    len,
                    enc: enc @ (Encoding::Utf8 | Encoding::Ascii),
                    trim: None,
                } => {
                    let ascii = *enc == Encoding::Ascii;
                    match kind {
                        StrKind::Z => What::CStr { ascii },
                        StrKind::Fixed | StrKind::ZFixed => What::Text {
                            len: self.len(len, scope)?,
                            z: *kind == StrKind::ZFixed,
                            ascii,
                        },
                    }
                }
                TypePlan::Bytes(len) => What::Bytes {
                    len: self.len(len, scope)?,
                },
                TypePlan::Pad(len) => What::Pad {
                    len: self.len(len, scope)?,
                },
                TypePlan::Computed(e) => {
                    let (expr, kind) = self.expr(*e, scope, 0)?;
                    // an enum member is written as its name, a parameter as whatever it is:
                    // the general decoder's job
                    let bool = match kind {
                        VKind::Int => false,
                        VKind::Bool => true,
                        VKind::Enum | VKind::Param => return None,
                    };
                    self.fixed_out = self.fixed_out.checked_add(most::INT)?;
                    if f.slot.is_some() {
                        keep_kind = Some(kind);
                    }
                    What::Computed {
                        expr,
                        bool,
                        keep: None,
                    }
                }
                _ => return None,
            };
            let mut what = what;
            if let (Some(slot), Some(kind)) = (f.slot, keep_kind) {
                let k = self.new_val()?;
                match &mut what {
                    What::Scalar { keep, .. } | What::Computed { keep, .. } => *keep = Some(k),
                    _ => return None,
                }
                scope.slots.retain(|(s, _, _)| *s != slot);
                scope.slots.push((slot, k, kind));
            } else if f.slot.is_some() {
                // kept text or bytes: only the general decoder keeps those
                return None;
            }
            let label = self
                .labels
                .push_if(emit, cond.is_some(), f.key.as_deref())?;
            self.fixed_out = self.fixed_out.checked_add(label.prefix_len())?;
            self.ops.push(Op {
                what,
                cond,
                emit,
                label,
            });
        }
        Some(())
    }

    fn len(&self, l: &LenPlan, scope: &Scope) -> Option<Len> {
        match l {
            LenPlan::Fixed(n) => Some(Len::Const(usize::try_from(*n).ok()?)),
            LenPlan::Expr(e) => match self.expr(*e, scope, 0)?.0 {
                Expr::Int(n) => Some(Len::Const(usize::try_from(n).ok()?)),
                e => Some(Len::Expr(e)),
            },
            LenPlan::Rest => None,
        }
    }

    /// An expression over kept values and `@offset`, and what it yields; None for anything
    /// else, which the general decoder evaluates.
    fn expr(&self, e: u32, scope: &Scope, depth: u32) -> Option<(Expr, VKind)> {
        if depth > MAX_EXPR_DEPTH {
            return None;
        }
        let sub = |e: u32| self.expr(e, scope, depth + 1);
        Some(match self.plan.exprs.get(e as usize)? {
            PExpr::Int(v) => (Expr::Int(*v), VKind::Int),
            PExpr::Bool(b) => (Expr::Int(i128::from(*b)), VKind::Bool),
            PExpr::EnumConst(_, v) => (Expr::Int(*v), VKind::Enum),
            PExpr::Slot(s) => {
                let (_, k, kind) = scope.slots.iter().rev().find(|(slot, _, _)| slot == s)?;
                (Expr::Val(*k), *kind)
            }
            PExpr::Builtin(Builtin::Offset) => (Expr::Offset, VKind::Int),
            PExpr::Unary(op, a) => {
                let (a, _) = sub(*a)?;
                let kind = if *op == UnOp::Not {
                    VKind::Bool
                } else {
                    VKind::Int
                };
                (Expr::Un(*op, Box::new(a)), kind)
            }
            PExpr::Binary(op, a, b) => {
                let ((a, _), (b, _)) = (sub(*a)?, sub(*b)?);
                let cmp = matches!(
                    op,
                    BinOp::Eq | BinOp::Ne | BinOp::Lt | BinOp::Le | BinOp::Gt | BinOp::Ge
                );
                if let (true, Expr::Val(k), Expr::Int(c)) = (cmp, &a, &b) {
                    return Some((Expr::Cmp(*op, *k, *c), VKind::Bool));
                }
                let kind = match op {
                    BinOp::Eq
                    | BinOp::Ne
                    | BinOp::Lt
                    | BinOp::Le
                    | BinOp::Gt
                    | BinOp::Ge
                    | BinOp::And
                    | BinOp::Or => VKind::Bool,
                    BinOp::Coalesce => return None,
                    _ => VKind::Int,
                };
                (Expr::Bin(*op, Box::new(a), Box::new(b)), kind)
            }
            _ => return None,
        })
    }
}

/// Evaluates a length; None when it is negative or does not fit.
#[inline(always)]
fn length(l: &Len, r: &Regs, pos: usize) -> Option<usize> {
    match l {
        Len::Const(n) => Some(*n),
        Len::Expr(e) => usize::try_from(e.eval(r, pos)?).ok(),
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
