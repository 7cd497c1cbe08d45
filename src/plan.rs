//! The checked, resolved plan that the decoder runs.
//!
//! Both front ends (descriptors and Python struct strings) lower to this. Everything is
//! addressed by index into flat vectors; names are resolved to frame slots; JSON keys are
//! pre-rendered; constant lengths are folded.

use crate::text::Encoding;

pub type ExprId = u32;
pub type StructId = u32;
pub type EnumId = u32;

/// A byte order after `native` has been resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ByteOrder {
    Little,
    Big,
}

impl ByteOrder {
    pub const NATIVE: ByteOrder = if cfg!(target_endian = "big") {
        ByteOrder::Big
    } else {
        ByteOrder::Little
    };
}

#[derive(Clone, Debug, Default)]
pub struct Plan {
    pub structs: Vec<StructPlan>,
    pub enums: Vec<EnumPlan>,
    pub exprs: Vec<PExpr>,
    pub root: StructId,
    /// Byte order the root struct starts with.
    pub endian: Option<ByteOrder>,
    /// The source text of `valid` conditions, for error messages.
    pub valid_text: Vec<(ExprId, String)>,
    /// Some expression asks where a struct was decoded (`io(x)`, `sizeof(x)` of a value,
    /// `@size`): the decoder then remembers the stream and extent of every struct.
    pub introspect: bool,
    /// What a consumer (the decoder's compiled programs) derives from the finished plan,
    /// kept with it; emptied by [`Plan::finalize`].
    pub derived: Derived,
}

/// A slot where a consumer of a plan keeps what it derives from it once (the decoder keeps
/// its compiled record programs here: `decode::Programs`). The plan does not know what is
/// inside; whoever fills the slot reads it back by type.
#[derive(Clone, Default)]
pub struct Derived(std::sync::OnceLock<std::sync::Arc<dyn std::any::Any + Send + Sync>>);

impl Derived {
    /// The value of type `T` in the slot, made by `make` on first use. None when the slot
    /// holds a value of another type.
    pub fn get_or_init<T: std::any::Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> T,
    ) -> Option<&T> {
        self.0
            .get_or_init(|| std::sync::Arc::new(make()))
            .downcast_ref::<T>()
    }
}

impl std::fmt::Debug for Derived {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(if self.0.get().is_some() {
            "Derived(..)"
        } else {
            "Derived(empty)"
        })
    }
}

impl Plan {
    /// Computes derived tables (array minimums, the fixed-layout field tables) once the
    /// structs are complete.
    pub fn finalize(&mut self) {
        // the smallest size of every struct, then of every array's elements, so that a count
        // read from the data is compared with the bytes left before anything is decoded
        let n = self.structs.len();
        let mut smin = vec![0u64; n];
        for _ in 0..n.min(64) {
            let mut changed = false;
            for i in 0..n {
                let m = self.structs[i]
                    .fields
                    .iter()
                    .map(|f| spec_min(&self.exprs, &smin, &f.spec))
                    .fold(0u64, u64::saturating_add);
                if m != smin[i] {
                    smin[i] = m;
                    changed = true;
                }
            }
            if !changed {
                break;
            }
        }
        let exprs = std::mem::take(&mut self.exprs);
        for st in &mut self.structs {
            for f in &mut st.fields {
                fix_array_mins(&exprs, &smin, &mut f.spec);
            }
        }
        self.exprs = exprs;
        for st in &mut self.structs {
            st.flat = flat_fields(st).map(Vec::into_boxed_slice);
        }
        self.derived = Derived::default();
    }

    pub fn struct_by_name(&self, name: &str) -> Option<StructId> {
        self.structs
            .iter()
            .position(|s| s.name == name)
            .map(|i| i as StructId)
    }

    /// The source text of a `valid` condition (`valid` when unknown).
    pub fn valid_text(&self, id: ExprId) -> &str {
        self.valid_text
            .iter()
            .find(|(e, _)| *e == id)
            .map_or("valid", |(_, t)| t.as_str())
    }

    pub fn expr(&self, id: ExprId) -> &PExpr {
        &self.exprs[id as usize]
    }
}

#[derive(Clone, Debug)]
pub enum EndianPlan {
    Inherit,
    Fixed(ByteOrder),
    Match(ExprId, Vec<(Vec<PatPlan>, ByteOrder)>),
}

/// Why struct `sid` cannot be decoded as the root (or a record): the parameters it takes,
/// which nothing passes there.
pub fn params_needed(plan: &Plan, sid: StructId) -> Option<String> {
    let s = plan.structs.get(sid as usize)?;
    if s.params == 0 {
        return None;
    }
    let names: Vec<String> = s
        .lookup
        .iter()
        .filter(|(_, l)| matches!(l, Lookup::Slot(i) if *i < s.params))
        .map(|(n, _)| format!("`{n}`"))
        .collect();
    Some(format!(
        "the struct `{}` takes parameters ({}), which nothing passes when it is decoded on its \
         own; decode a struct that passes them, or choose another root (`--root NAME`)",
        s.name,
        names.join(", ")
    ))
}

#[derive(Clone, Debug)]
pub struct StructPlan {
    pub name: String,
    pub params: u32,
    /// JSON keys of the parameters when they are written (before the fields, in a `.ksy`
    /// type, whose objects expose them); empty when they are not.
    pub param_keys: Vec<Box<[u8]>>,
    pub nslots: u32,
    pub fields: Vec<FieldPlan>,
    pub endian: EndianPlan,
    pub bits_little: bool,
    pub valid: Option<ExprId>,
    /// `lazy` fields as (slot, field index): decoded when first named, or at their place.
    pub lazy: Vec<(u32, u32)>,
    /// Names that expressions can look up at run time (`parent.x`, `hdr.x`): (name, slot),
    /// including the fields of embedded structs as (name, slot of the embed) chains.
    pub lookup: Vec<(String, Lookup)>,
    /// The struct's size when it does not depend on the data.
    pub static_size: Option<u64>,
    /// Written as a JSON array of its emitted fields (Python struct strings without names).
    pub tuple: bool,
    /// The fast path: when every field is a fixed-size primitive at a static offset (no
    /// modifiers, nothing kept), the whole struct is checked for length once and its fields
    /// are read from precomputed offsets.
    pub flat: Option<Box<[FlatField]>>,
}

/// One field of a struct on the fast path.
#[derive(Clone, Debug)]
pub struct FlatField {
    pub name: String,
    pub key: Option<Box<[u8]>>,
    pub emit: bool,
    /// Offset from the start of the struct.
    pub off: u32,
    pub size: u32,
    pub ty: TypePlan,
}

impl StructPlan {
    pub fn find(&self, name: &str) -> Option<Lookup> {
        self.lookup.iter().find(|(n, _)| n == name).map(|(_, l)| *l)
    }
}

/// Where a name lives in a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Lookup {
    Slot(u32),
    /// A field of the struct embedded at `slot` (looked up by name in that struct).
    Embedded(u32),
}

#[derive(Clone, Debug)]
pub struct FieldPlan {
    /// The name used in error paths (`_` for skipped fields).
    pub name: String,
    /// The pre-rendered JSON key (`"name"`, with quotes) when the field is emitted.
    pub key: Option<Box<[u8]>>,
    /// Whether the field writes a value (named fields; every value field of a tuple struct).
    pub emit: bool,
    /// The frame slot that keeps the value, when an expression refers to it.
    pub slot: Option<u32>,
    pub embed: bool,
    pub spec: SpecPlan,
}

#[derive(Clone, Debug)]
pub struct SpecPlan {
    pub ty: TypePlan,
    pub if_: Option<ExprId>,
    pub at: Option<ExprId>,
    /// With `at`: the stream (an [`PExpr`] giving a stream value) the offset counts in;
    /// the region then runs to that stream's end. Without it `at` is an offset in the input.
    pub io: Option<ExprId>,
    pub size: Option<ExprId>,
    pub valid: Option<ExprId>,
    /// The region's bytes are transformed first and the type decoded from the result.
    pub process: Option<Box<ProcessPlan>>,
    /// `parent E`: the struct value that `parent` means inside the struct this field
    /// decodes (Kaitai Struct's `parent:`).
    pub parent: Option<ExprId>,
}

impl SpecPlan {
    pub fn bare(ty: TypePlan) -> SpecPlan {
        SpecPlan {
            ty,
            if_: None,
            at: None,
            io: None,
            size: None,
            valid: None,
            process: None,
            parent: None,
        }
    }
}

/// A transformation of a region's bytes before its type is decoded.
#[derive(Clone, Debug)]
pub enum ProcessPlan {
    /// XOR with a key: an integer (its low byte) or bytes, repeated.
    Xor(ExprId),
    /// Rotate every byte left by N bits (right rotations are lowered to left ones).
    Rol(ExprId, bool),
    Zlib,
    Deflate,
}

#[derive(Clone, Debug)]
pub enum LenPlan {
    Fixed(u64),
    Expr(ExprId),
    Rest,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StrKind {
    /// Exactly the given length.
    Fixed,
    /// Up to a NUL, the NUL consumed (length is ignored).
    Z,
    /// A fixed-length field, text up to the first NUL.
    ZFixed,
}

#[derive(Clone, Debug)]
pub enum TypePlan {
    Int {
        size: u8,
        signed: bool,
        order: Option<ByteOrder>,
    },
    Float {
        size: u8,
        order: Option<ByteOrder>,
    },
    Bool,
    Leb128 {
        signed: bool,
    },
    Bits {
        n: u8,
        as_bool: bool,
        /// The field's own bit order (`b6le`, `b3be`), else the struct's.
        little: Option<bool>,
    },
    Bytes(LenPlan),
    Str {
        kind: StrKind,
        len: LenPlan,
        enc: Encoding,
        trim: Option<Box<[u8]>>,
    },
    /// Python struct `p`: a length byte then up to `len - 1` bytes.
    Pascal {
        len: u64,
        text: bool,
        enc: Encoding,
    },
    Const {
        bytes: Box<[u8]>,
        text: bool,
    },
    Pad(LenPlan),
    Align(ExprId),
    Struct {
        id: StructId,
        args: Box<[ExprId]>,
    },
    Enum {
        id: EnumId,
        size: u8,
        signed: bool,
        order: Option<ByteOrder>,
    },
    Array(Box<ArrayPlan>),
    Match(Box<MatchPlan>),
    Computed(ExprId),
    /// The inner spec decoded inside the bytes up to a terminator (Kaitai's `terminator`
    /// on any type).
    Terminated(Terminator, Box<SpecPlan>),
}

/// A region that ends at a terminator byte (or before trailing padding).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Terminator {
    /// None: no terminator, only `pad` is stripped.
    pub byte: Option<u8>,
    /// Without a terminator in the region, trailing bytes of this value are stripped
    /// (Kaitai's `pad-right`).
    pub pad: Option<u8>,
    /// 2 for UTF-16 text: the terminator is two such bytes at an even offset.
    pub unit: u8,
    /// The terminator is skipped after the value (else the next field starts on it).
    pub consume: bool,
    /// The terminator is part of the value.
    pub include: bool,
    /// No terminator before the region ends is an error (else the value runs to the end).
    pub eos_error: bool,
}

#[derive(Clone, Debug)]
pub struct ArrayPlan {
    pub elem: SpecPlan,
    pub len: LenPlan,
    pub until: Option<ExprId>,
    pub while_: Option<ExprId>,
    pub each_if: Option<ExprId>,
    pub each_at: Option<ExprId>,
    pub each_size: Option<ExprId>,
    /// Elements are kept because an expression indexes the array or takes its length.
    pub keep: bool,
    /// Smallest number of bytes one element can take (for rejecting impossible counts early).
    pub min_elem: u64,
}

#[derive(Clone, Debug)]
pub struct MatchPlan {
    pub on: ExprId,
    pub arms: Vec<(Vec<PatPlan>, SpecPlan)>,
    pub default: Option<SpecPlan>,
}

#[derive(Clone, Debug, PartialEq)]
pub enum PatPlan {
    Int(i128),
    /// `lo..=hi`
    Range(i128, i128),
    Bytes(Box<[u8]>),
}

#[derive(Clone, Debug)]
pub struct EnumPlan {
    pub name: String,
    pub is_flags: bool,
    /// Members sorted by value.
    pub members: Vec<(i128, String)>,
}

impl EnumPlan {
    pub fn name_of(&self, v: i128) -> Option<&str> {
        self.members
            .binary_search_by_key(&v, |(k, _)| *k)
            .ok()
            .map(|i| self.members[i].1.as_str())
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    Len,
    Int,
    Min,
    Max,
    Abs,
    Find,
    Rfind,
    Crc32,
    Sum,
    /// `fail(text)`: a data error with this message when it is evaluated.
    Fail,
}

impl Func {
    pub const ALL: [(&'static str, Func); 10] = [
        ("len", Func::Len),
        ("int", Func::Int),
        ("min", Func::Min),
        ("max", Func::Max),
        ("abs", Func::Abs),
        ("find", Func::Find),
        ("rfind", Func::Rfind),
        ("crc32", Func::Crc32),
        ("sum", Func::Sum),
        ("fail", Func::Fail),
    ];
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    Mul,
    Div,
    Rem,
    Add,
    Sub,
    Shl,
    Shr,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    BitAnd,
    BitXor,
    BitOr,
    And,
    Or,
    Coalesce,
}

impl BinOp {
    pub fn symbol(self) -> &'static str {
        match self {
            BinOp::Mul => "*",
            BinOp::Div => "/",
            BinOp::Rem => "%",
            BinOp::Add => "+",
            BinOp::Sub => "-",
            BinOp::Shl => "<<",
            BinOp::Shr => ">>",
            BinOp::Lt => "<",
            BinOp::Le => "<=",
            BinOp::Gt => ">",
            BinOp::Ge => ">=",
            BinOp::Eq => "==",
            BinOp::Ne => "!=",
            BinOp::BitAnd => "&",
            BinOp::BitXor => "^",
            BinOp::BitOr => "|",
            BinOp::And => "&&",
            BinOp::Or => "||",
            BinOp::Coalesce => "??",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnOp {
    Neg,
    Not,
    BitNot,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Builtin {
    Offset,
    Remaining,
    InputSize,
    Index,
    /// The current stream (a stream value): the innermost `size` region (or terminated
    /// or processed region), else the whole input.
    Io,
    /// Bytes the current struct has taken so far (from its start to the cursor).
    Size,
}

#[derive(Clone, Debug)]
pub enum PExpr {
    Int(i128),
    Float(f64),
    Bool(bool),
    /// A string literal (compared as bytes).
    Lit(Box<[u8]>),
    /// `_`
    This,
    /// A field or parameter of the current frame.
    Slot(u32),
    /// A field of the struct embedded at `slot`.
    Embedded {
        slot: u32,
        name: Box<str>,
    },
    /// The frame `n` levels up (`parent` = 1); `u32::MAX` is the root.
    Frame(u32),
    Member(ExprId, Box<str>),
    Index(ExprId, ExprId),
    Builtin(Builtin),
    Unary(UnOp, ExprId),
    Binary(BinOp, ExprId, ExprId),
    Cond(ExprId, ExprId, ExprId),
    Call(Func, Box<[ExprId]>),
    Peek {
        ty: TypePlan,
        at: ExprId,
    },
    Cast(ExprId, EnumId),
    EnumConst(EnumId, i128),
    /// `x[lo..hi]` of text (characters), bytes or an array; a missing end is the start or
    /// the end.
    Slice(ExprId, Option<ExprId>, Option<ExprId>),
    /// `str(x)`: an integer as decimal text, or bytes as text in the given encoding.
    ToText(ExprId, Option<Encoding>),
    /// `reverse(x)`: text (by characters), bytes or an array in reverse order.
    Reverse(ExprId),
    /// `io(x)`: the stream a struct value was decoded in.
    IoOf(ExprId),
    /// `sizeof(x)` of a value: the bytes it took (a struct: its extent, its `size` region
    /// when it had one; a field of a fixed-size type: that size; bytes and text: length).
    SizeOf(ExprId),
    /// `[a, b, c]`: an array of the values, or (`bytes`) bytes of the integer values.
    Array {
        items: Box<[ExprId]>,
        bytes: bool,
    },
}

/// The fast-path table of a struct, when it qualifies.
fn flat_fields(s: &StructPlan) -> Option<Vec<FlatField>> {
    if s.valid.is_some()
        || matches!(s.endian, EndianPlan::Match(..))
        || s.static_size.is_none()
        || !s.param_keys.is_empty()
    {
        return None;
    }
    let mut out = Vec::new();
    let mut off: u64 = 0;
    for f in &s.fields {
        let sp = &f.spec;
        if sp.if_.is_some()
            || sp.at.is_some()
            || sp.size.is_some()
            || sp.valid.is_some()
            || sp.process.is_some()
            || f.slot.is_some()
            || f.embed
        {
            return None;
        }
        let size = match &sp.ty {
            TypePlan::Int { size, .. }
            | TypePlan::Float { size, .. }
            | TypePlan::Enum { size, .. } => *size as u64,
            TypePlan::Bool => 1,
            TypePlan::Bytes(LenPlan::Fixed(n)) | TypePlan::Pad(LenPlan::Fixed(n)) => *n,
            TypePlan::Str {
                kind: StrKind::Fixed | StrKind::ZFixed,
                len: LenPlan::Fixed(n),
                ..
            } => *n,
            TypePlan::Pascal { len, .. } => *len,
            TypePlan::Const { bytes, .. } => bytes.len() as u64,
            _ => return None,
        };
        if !matches!(sp.ty, TypePlan::Pad(_)) {
            out.push(FlatField {
                name: f.name.clone(),
                key: f.key.clone(),
                emit: f.emit,
                off: u32::try_from(off).ok()?,
                size: u32::try_from(size).ok()?,
                ty: sp.ty.clone(),
            });
        }
        off += size;
    }
    (Some(off) == s.static_size).then_some(out)
}

/// A lower bound of the bytes one value of a spec consumes (0 when unknown). `smin` holds
/// the current lower bounds of the structs (recursive structs converge from 0 upwards).
fn spec_min(exprs: &[PExpr], smin: &[u64], s: &SpecPlan) -> u64 {
    if s.at.is_some() || s.if_.is_some() {
        return 0;
    }
    if let Some(sz) = s.size {
        return match exprs.get(sz as usize) {
            Some(PExpr::Int(v)) => (*v).max(0) as u64,
            _ => 0,
        };
    }
    if s.process.is_some() {
        return 0;
    }
    match &s.ty {
        TypePlan::Int { size, .. } | TypePlan::Float { size, .. } | TypePlan::Enum { size, .. } => {
            *size as u64
        }
        TypePlan::Bool | TypePlan::Leb128 { .. } => 1,
        TypePlan::Bytes(LenPlan::Fixed(n)) | TypePlan::Pad(LenPlan::Fixed(n)) => *n,
        TypePlan::Str {
            kind: StrKind::Z, ..
        } => 1,
        TypePlan::Str {
            len: LenPlan::Fixed(n),
            ..
        } => *n,
        TypePlan::Pascal { len, .. } => *len,
        TypePlan::Const { bytes, .. } => bytes.len() as u64,
        TypePlan::Struct { id, .. } => smin.get(*id as usize).copied().unwrap_or(0),
        TypePlan::Array(a) => match a.len {
            LenPlan::Fixed(n)
                if a.each_at.is_none() && a.each_if.is_none() && a.each_size.is_none() =>
            {
                n.saturating_mul(spec_min(exprs, smin, &a.elem))
            }
            _ => 0,
        },
        TypePlan::Match(m) => {
            let arms = m.arms.iter().map(|(_, s)| s).chain(m.default.as_ref());
            arms.map(|s| spec_min(exprs, smin, s)).min().unwrap_or(0)
        }
        _ => 0,
    }
}

/// Sets `min_elem` of every array inside a spec.
fn fix_array_mins(exprs: &[PExpr], smin: &[u64], s: &mut SpecPlan) {
    match &mut s.ty {
        TypePlan::Array(a) => {
            fix_array_mins(exprs, smin, &mut a.elem);
            a.min_elem = if a.each_size.is_some() || a.each_at.is_some() {
                0
            } else {
                spec_min(exprs, smin, &a.elem)
            };
        }
        TypePlan::Match(m) => {
            for (_, arm) in &mut m.arms {
                fix_array_mins(exprs, smin, arm);
            }
            if let Some(d) = &mut m.default {
                fix_array_mins(exprs, smin, d);
            }
        }
        _ => {}
    }
}
