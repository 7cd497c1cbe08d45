//! The parsed descriptor, as written (before names are resolved).
//!
//! Spans are stored as "remaining input length at the start" plus a length, so the parser
//! needs no position state; [`Span::start`] turns them into byte offsets of the source.

/// The operators and built-in names of expressions are the plan's vocabulary, shared by
/// every front end and the decoder.
pub use crate::plan::{BinOp, Builtin, UnOp};
use crate::text::Encoding;

/// A piece of the descriptor source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Span {
    /// Length of the input that remained when the spanned text began.
    pub rem: u32,
    pub len: u32,
}

impl Span {
    /// Byte offset of the span's start in a source of `src_len` bytes.
    pub fn start(self, src_len: usize) -> usize {
        src_len.saturating_sub(self.rem as usize)
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Endian {
    Little,
    Big,
    Native,
}

#[derive(Clone, Debug)]
pub enum EndianSpec {
    Fixed(Endian),
    Match(Expr, Vec<(Vec<Pattern>, Endian)>),
}

/// A few items per file, parsed once: the size difference of the variants does not matter.
#[allow(clippy::large_enum_variant)]
#[derive(Clone, Debug)]
pub enum Item {
    Endian(Endian, Span),
    Encoding(Ident),
    Root(Ident),
    Import(String, Span),
    Struct(StructDecl),
    Enum(EnumDecl),
}

#[derive(Clone, Debug)]
pub struct StructDecl {
    pub name: Ident,
    pub params: Vec<Ident>,
    /// The parameters are written as keys before the fields (Kaitai objects expose them).
    pub emit_params: bool,
    pub endian: Option<EndianSpec>,
    pub bits_little: Option<bool>,
    pub valid: Option<Expr>,
    pub fields: Vec<Field>,
}

#[derive(Clone, Debug)]
pub struct EnumDecl {
    pub name: Ident,
    pub is_flags: bool,
    pub base: Prim,
    pub base_span: Span,
    pub members: Vec<(Ident, i128)>,
}

#[derive(Clone, Debug)]
pub enum FieldName {
    /// `name: T`
    Named(Ident),
    /// `_name: T`: decoded and referenceable, never emitted.
    Hidden(Ident),
    /// `_: T`: decoded or skipped, never emitted or referenced.
    Skip(Span),
    /// A line without a name: the struct's keys join the enclosing object.
    Embed,
}

#[derive(Clone, Debug)]
pub struct Field {
    pub name: FieldName,
    pub spec: TypeSpec,
    pub span: Span,
}

/// A type with its modifiers (a field's type, an array element, a match arm).
#[derive(Clone, Debug)]
pub struct TypeSpec {
    pub ty: TypeExpr,
    pub span: Span,
    pub if_: Option<Expr>,
    pub at: Option<Expr>,
    /// `at E in S`: E counts from the start of stream S, and the region ends with S.
    pub io: Option<Expr>,
    pub size: Option<Expr>,
    pub valid: Option<Expr>,
    pub each_if: Option<Expr>,
    pub each_at: Option<Expr>,
    pub each_size: Option<Expr>,
    /// `lazy`: decoded when first named (or at its place), so earlier fields can name it.
    pub lazy: Option<Span>,
    /// `parent E`: inside the struct this field decodes, `parent` is struct E.
    pub parent: Option<Expr>,
    /// `process xor(k)` and the like: the region's bytes are transformed before decoding.
    pub process: Option<(Process, Span)>,
    /// `each process …`: every element's region is transformed.
    pub each_process: Option<(Process, Span)>,
}

/// A transformation of a region's bytes (Kaitai Struct's `process`).
#[derive(Clone, Debug)]
pub enum Process {
    /// Each byte XORed with the key: an integer (one byte) or bytes (repeated).
    Xor(Expr),
    /// Each byte rotated left by N bits.
    Rol(Expr),
    /// Each byte rotated right by N bits.
    Ror(Expr),
    /// zlib-wrapped deflate (RFC 1950).
    Zlib,
    /// Raw deflate (RFC 1951).
    Deflate,
}

impl TypeSpec {
    pub fn bare(ty: TypeExpr, span: Span) -> TypeSpec {
        TypeSpec {
            ty,
            span,
            if_: None,
            at: None,
            io: None,
            size: None,
            valid: None,
            each_if: None,
            each_at: None,
            each_size: None,
            lazy: None,
            parent: None,
            process: None,
            each_process: None,
        }
    }
}

/// Primitive numeric types.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Prim {
    Int {
        size: u8,
        signed: bool,
        endian: Option<Endian>,
    },
    Float {
        size: u8,
        endian: Option<Endian>,
    },
    Bool,
}

impl Prim {
    pub fn size(self) -> u8 {
        match self {
            Prim::Int { size, .. } | Prim::Float { size, .. } => size,
            Prim::Bool => 1,
        }
    }
}

/// A length in brackets: `[N]` or `[..]`.
#[derive(Clone, Debug)]
pub enum Len {
    Count(Expr),
    Rest,
}

#[derive(Clone, Debug)]
pub enum StrKind {
    /// `str[N]`, `str[..]`
    Fixed(Len),
    /// `strz`
    Z,
    /// `strz[N]`
    ZFixed(Len),
}

#[derive(Clone, Debug)]
pub enum TypeExpr {
    Prim(Prim),
    /// `uleb128` / `sleb128`: LEB128 variable-length integers (DWARF, protobuf, WebAssembly).
    Leb128 {
        signed: bool,
    },
    Bits {
        n: u8,
        as_bool: bool,
        /// `b6le` / `b6be`: this field's bit order, else the struct's (`bits little`).
        little: Option<bool>,
    },
    Bytes(Len),
    Str {
        kind: StrKind,
        enc: Option<Encoding>,
        trim: Option<Vec<u8>>,
    },
    /// `"RIFF"` (text) or `[0x89, 0x50]` (bytes).
    Const {
        bytes: Vec<u8>,
        text: bool,
    },
    Pad(Len),
    Align(Expr),
    Named {
        name: Ident,
        args: Vec<Expr>,
    },
    Array(Box<ArrayType>),
    Match {
        on: Expr,
        arms: Vec<MatchArm>,
    },
    Computed(Expr),
    /// The inner type decoded inside the bytes up to a terminator.
    Terminated(crate::plan::Terminator, Box<TypeSpec>),
}

#[derive(Clone, Debug)]
pub struct ArrayType {
    pub elem: TypeSpec,
    pub len: Len,
    pub until: Option<Expr>,
    pub while_: Option<Expr>,
}

#[derive(Clone, Debug)]
pub struct MatchArm {
    pub patterns: Vec<Pattern>,
    pub spec: TypeSpec,
}

#[derive(Clone, Debug)]
pub enum Pattern {
    Int(i128, Span),
    /// `lo..=hi`, both ends included.
    Range(i128, i128, Span),
    Bytes(Vec<u8>, Span),
    /// `E::member`, or a bare `member` when the matched value has an enum type.
    Member(Option<Ident>, Ident),
    Wildcard(Span),
}

#[derive(Clone, Debug)]
pub struct Expr {
    pub kind: ExprKind,
    pub span: Span,
}

#[derive(Clone, Debug)]
pub enum ExprKind {
    Int(i128),
    /// `1.5`, `2e-3`
    Float(f64),
    Bool(bool),
    Str(Vec<u8>),
    /// `_`: the value being checked (`valid`, `until`).
    This,
    Name(Ident),
    Builtin(Builtin),
    Member(Box<Expr>, Ident),
    Index(Box<Expr>, Box<Expr>),
    /// `x[lo..hi]`, either end optional
    Slice(Box<Expr>, Option<Box<Expr>>, Option<Box<Expr>>),
    EnumMember(Ident, Ident),
    Unary(UnOp, Box<Expr>),
    Binary(BinOp, Box<Expr>, Box<Expr>),
    Cond(Box<Expr>, Box<Expr>, Box<Expr>),
    Call(Ident, Vec<Expr>),
    /// `(T at E)`
    Peek(Box<TypeExpr>, Box<Expr>),
    /// `x as E`
    Cast(Box<Expr>, Ident),
    /// `[a, b, c]`: an array of the values; integer literals 0..=255 only make bytes.
    Array(Vec<Expr>),
}
