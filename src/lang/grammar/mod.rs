//! The descriptor grammar, written with nom.
//!
//! Layout rules: a field ends at the end of its line (or at `;` or `}`); inside brackets,
//! parentheses, match blocks and after a binary operator a field may continue on the next line.
//! `#` starts a comment that runs to the end of the line. Keywords are not reserved as names:
//! a keyword that follows a complete operand ends the expression, so `size size` is the
//! modifier `size` applied to the field named `size`.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while},
    character::complete::{char, satisfy},
    combinator::recognize,
    error::{ErrorKind, ParseError},
    sequence::pair,
};

mod expr;
mod types;

pub use expr::expr;
use expr::*;
use types::*;
pub use types::{prim_from_name, type_spec};

use super::ast::*;
use crate::text::Encoding;

/// A syntax error: where (as remaining input length) and what was expected.
#[derive(Debug, Clone, PartialEq)]
pub struct SyntaxError {
    pub rem: usize,
    pub message: String,
}

impl<'a> ParseError<&'a str> for SyntaxError {
    fn from_error_kind(input: &'a str, kind: ErrorKind) -> Self {
        SyntaxError {
            rem: input.len(),
            message: format!("unexpected input ({kind:?})"),
        }
    }
    fn append(_: &'a str, _: ErrorKind, other: Self) -> Self {
        other
    }
    fn or(self, other: Self) -> Self {
        // keep the error that got furthest into the input
        if other.rem < self.rem { other } else { self }
    }
}

type In<'a> = &'a str;
type R<'a, T> = IResult<In<'a>, T, SyntaxError>;

/// A recoverable "expected ..." error at `i`.
fn expected<T>(i: In, what: &str) -> R<'static, T> {
    Err(nom::Err::Error(SyntaxError {
        rem: i.len(),
        message: format!("expected {what}"),
    }))
}

/// An unrecoverable error at `i` (after a keyword has committed the parser).
fn fatal<T>(i: In, message: impl Into<String>) -> R<'static, T> {
    Err(nom::Err::Failure(SyntaxError {
        rem: i.len(),
        message: message.into(),
    }))
}

/// Turns a recoverable error into a fatal one (like nom's `cut`, for a finished result).
fn cut_err<T>(r: R<'_, T>) -> R<'_, T> {
    match r {
        Err(nom::Err::Error(e)) => Err(nom::Err::Failure(e)),
        other => other,
    }
}

fn span_from(start: In, end: In) -> Span {
    Span {
        rem: start.len() as u32,
        len: (start.len() - end.len()) as u32,
    }
}

// ---------------------------------------------------------------- whitespace and tokens

fn comment(i: In) -> R<In> {
    recognize(pair(char('#'), take_while(|c| c != '\n'))).parse(i)
}

/// Spaces, tabs and comments, but not newlines.
fn sp(mut i: In) -> R<()> {
    loop {
        let (r, _) = take_while(|c| c == ' ' || c == '\t' || c == '\r').parse(i)?;
        i = r;
        match comment(i) {
            Ok((r, _)) => i = r,
            Err(_) => {
                // a backslash at the end of a line continues it
                if let Some(r) = i.strip_prefix("\\\n").or_else(|| i.strip_prefix("\\\r\n")) {
                    i = r;
                    continue;
                }
                return Ok((i, ()));
            }
        }
    }
}

/// The modifier keywords: a line that starts with one (and not `word:`, a field) continues
/// the field above.
const MODIFIERS: &[&str] = &[
    "if", "at", "in", "size", "valid", "each", "until", "while", "lazy", "process", "parent",
];

/// Tokens that continue an expression from the line above when a line starts with them.
const CONTINUE_OPS: &[&str] = &[
    "||", "&&", "|", "^", "&", "==", "!=", "<", ">", "+", "-", "*", "/", "%", "??", "?", ":",
];

/// Like [`sp`], and at the end of a line also skips the line break (and blank or comment
/// lines) when the next line continues the field: it starts with a binary operator, `?` or
/// `:`, or with `modifiers`, a modifier keyword not followed by `:`. A line holding `=>` is a
/// match arm and never continues one above.
fn sp_cont(i: In, modifiers: bool) -> R<()> {
    let (i, _) = sp(i)?;
    if !(i.starts_with('\n') || i.starts_with("\r\n")) {
        return Ok((i, ()));
    }
    let (next, _) = spnl(i)?;
    let line = next.split('\n').next().unwrap_or_default();
    let line = line.split('#').next().unwrap_or_default();
    if line.contains("=>") || line.starts_with("::") {
        return Ok((i, ()));
    }
    let op = CONTINUE_OPS.iter().any(|op| next.starts_with(op));
    let modifier = modifiers
        && raw_ident(next).is_ok_and(|(rest, word)| {
            MODIFIERS.contains(&word)
                && sp(rest).is_ok_and(|(rest, _)| !rest.starts_with(':') || rest.starts_with("::"))
        });
    Ok((if op || modifier { next } else { i }, ()))
}

/// All whitespace, newlines and comments.
fn spnl(mut i: In) -> R<()> {
    loop {
        let (r, _) = take_while(|c: char| c.is_whitespace()).parse(i)?;
        i = r;
        match comment(i) {
            Ok((r, _)) => i = r,
            Err(_) => return Ok((i, ())),
        }
    }
}

/// `s` after optional spaces.
fn sym<'a>(s: &'static str) -> impl Fn(In<'a>) -> R<'a, In<'a>> {
    move |i| {
        let (i, _) = sp(i)?;
        match tag::<_, _, SyntaxError>(s).parse(i) {
            Ok(r) => Ok(r),
            Err(_) => expected(i, &format!("`{s}`")),
        }
    }
}

/// `s` after optional whitespace including newlines.
fn symnl<'a>(s: &'static str) -> impl Fn(In<'a>) -> R<'a, In<'a>> {
    move |i| {
        let (i, _) = spnl(i)?;
        sym(s)(i)
    }
}

fn is_ident_start(c: char) -> bool {
    c.is_ascii_alphabetic() || c == '_'
}

fn is_ident_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || c == '_'
}

fn raw_ident(i: In) -> R<In> {
    recognize(pair(satisfy(is_ident_start), take_while(is_ident_char))).parse(i)
}

/// An identifier after optional spaces.
fn ident(i: In) -> R<Ident> {
    let (i, _) = sp(i)?;
    match raw_ident(i) {
        Ok((r, name)) => Ok((
            r,
            Ident {
                name: name.to_string(),
                span: span_from(i, r),
            },
        )),
        Err(_) => expected(i, "a name"),
    }
}

/// The keyword `w` (not a prefix of a longer name) after optional spaces.
fn kw<'a>(w: &'static str) -> impl Fn(In<'a>) -> R<'a, In<'a>> {
    move |i| {
        let (i, _) = sp(i)?;
        match raw_ident(i) {
            Ok((r, name)) if name == w => Ok((r, name)),
            _ => expected(i, &format!("`{w}`")),
        }
    }
}

/// Peeks whether the next word is `w`.
fn at_kw(i: In, w: &str) -> bool {
    let (i, _) = match sp(i) {
        Ok(r) => r,
        Err(_) => return false,
    };
    matches!(raw_ident(i), Ok((_, name)) if name == w)
}

// ---------------------------------------------------------------- literals

fn int_literal(i: In) -> R<i128> {
    let (i, _) = sp(i)?;
    let start = i;
    let (radix, body) = if let Some(r) = i.strip_prefix("0x").or_else(|| i.strip_prefix("0X")) {
        (16, r)
    } else if let Some(r) = i.strip_prefix("0b").or_else(|| i.strip_prefix("0B")) {
        (2, r)
    } else if let Some(r) = i.strip_prefix("0o").or_else(|| i.strip_prefix("0O")) {
        (8, r)
    } else {
        (10, i)
    };
    let (rest, digits) = take_while(|c: char| c.is_ascii_alphanumeric() || c == '_').parse(body)?;
    if digits.is_empty() || !digits.starts_with(|c: char| c.is_digit(radix)) {
        return if radix == 10 {
            expected(start, "a number")
        } else {
            fatal(body, "expected digits")
        };
    }
    let mut v: i128 = 0;
    for c in digits.chars().filter(|&c| c != '_') {
        let Some(d) = c.to_digit(radix) else {
            return fatal(start, format!("invalid digit `{c}` in number"));
        };
        v = match v
            .checked_mul(radix as i128)
            .and_then(|v| v.checked_add(d as i128))
        {
            Some(v) if v <= u64::MAX as i128 => v,
            _ => return fatal(start, "number too large (the limit is 2^64-1)"),
        };
    }
    Ok((rest, v))
}

/// A decimal float literal: digits with a fraction (`1.5`, `24000.`), an exponent (`2e-3`) or
/// both. `1..2` stays an integer followed by `..`. None when the text is not a float.
fn float_literal(i: In) -> Option<(In, f64)> {
    let b = i.as_bytes();
    let digits = |k: usize| {
        b[k..]
            .iter()
            .take_while(|c| c.is_ascii_digit() || **c == b'_')
            .count()
    };
    if b.starts_with(b"0x") || b.starts_with(b"0b") || b.starts_with(b"0o") {
        return None;
    }
    let mut k = digits(0);
    let mut float = false;
    if b.get(k) == Some(&b'.') && b.get(k + 1).is_some_and(u8::is_ascii_digit) {
        k += 1 + digits(k + 1);
        float = true;
    } else if b.get(k) == Some(&b'.')
        && !b
            .get(k + 1)
            .is_some_and(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.'))
    {
        // `24000.`: an empty fraction
        return Some((&i[k + 1..], i[..k].replace('_', "").parse().ok()?));
    }
    if matches!(b.get(k), Some(b'e' | b'E')) {
        let sign = usize::from(matches!(b.get(k + 1), Some(b'+' | b'-')));
        let n = b[k + 1 + sign..]
            .iter()
            .take_while(|c| c.is_ascii_digit())
            .count();
        if n > 0 {
            k += 1 + sign + n;
            float = true;
        }
    }
    if !float
        || b.get(k)
            .is_some_and(|c| c.is_ascii_alphanumeric() || *c == b'_')
    {
        return None;
    }
    let text: String = i[..k].chars().filter(|&c| c != '_').collect();
    Some((&i[k..], text.parse().ok()?))
}

/// A string literal with escapes `\0 \n \r \t \\ \" \' \xHH`, as bytes.
fn string_literal(i: In) -> R<Vec<u8>> {
    quoted(i, '"')
}

/// A character literal `'c'`: one ASCII character or one escape, as its byte value.
fn char_literal(i: In) -> R<i128> {
    let (i, _) = sp(i)?;
    let (r, bytes) = quoted(i, '\'')?;
    match bytes[..] {
        [b] if b.is_ascii() || i[1..].starts_with('\\') => Ok((r, i128::from(b))),
        _ => fatal(
            i,
            "a character literal holds one ASCII character or one escape (`'a'`, `'\\n'`, `'\\xff'`); use \"…\" for text",
        ),
    }
}

/// Text between `q` quotes with escapes, as bytes.
fn quoted(i: In, q: char) -> R<Vec<u8>> {
    let (i, _) = sp(i)?;
    let Some(mut rest) = i.strip_prefix(q) else {
        return expected(i, if q == '"' { "a string" } else { "a character" });
    };
    let mut out = Vec::new();
    loop {
        let mut chars = rest.chars();
        match chars.next() {
            None | Some('\n') => return fatal(i, "unterminated string"),
            Some(c) if c == q => return Ok((chars.as_str(), out)),
            Some('\\') => {
                let esc = chars.next();
                let after = chars.as_str();
                match esc {
                    Some('0') => out.push(0),
                    Some('n') => out.push(b'\n'),
                    Some('r') => out.push(b'\r'),
                    Some('t') => out.push(b'\t'),
                    Some('\\') => out.push(b'\\'),
                    Some('"') => out.push(b'"'),
                    Some('\'') => out.push(b'\''),
                    Some('x') => {
                        let hex = after
                            .get(..2)
                            .filter(|h| h.chars().all(|c| c.is_ascii_hexdigit()));
                        let Some(hex) = hex else {
                            return fatal(rest, "`\\x` needs two hex digits");
                        };
                        out.push(u8::from_str_radix(hex, 16).unwrap_or(0));
                        rest = &after[2..];
                        continue;
                    }
                    _ => {
                        return fatal(
                            rest,
                            "unknown escape (use \\0 \\n \\r \\t \\\\ \\\" \\' or \\xHH)",
                        );
                    }
                }
                rest = after;
            }
            Some(c) => {
                let mut buf = [0; 4];
                out.extend_from_slice(c.encode_utf8(&mut buf).as_bytes());
                rest = chars.as_str();
            }
        }
    }
}

// ---------------------------------------------------------------- declarations

fn field(i: In) -> R<Field> {
    let (i, _) = sp(i)?;
    let start = i;
    // `name:` (but not `Enum::member`)
    let named = raw_ident(i).ok().and_then(|(r, name)| {
        let (r2, _) = sp(r).ok()?;
        let r3 = r2.strip_prefix(':')?;
        (!r3.starts_with(':')).then(|| {
            (
                r3,
                Ident {
                    name: name.to_string(),
                    span: span_from(i, r),
                },
            )
        })
    });
    let (i, name) = match named {
        Some((r, id)) if id.name == "_" => (r, FieldName::Skip(id.span)),
        Some((r, id)) if id.name.starts_with('_') => (r, FieldName::Hidden(id)),
        Some((r, id)) => (r, FieldName::Named(id)),
        None => (i, FieldName::Embed),
    };
    let (i, spec) = cut_err(type_spec(i))?;
    Ok((
        i,
        Field {
            name,
            spec,
            span: span_from(start, i),
        },
    ))
}

/// Fields up to and including the closing `}`.
fn field_block(i: In) -> R<Vec<Field>> {
    let mut fields = Vec::new();
    let mut i = i;
    loop {
        let (r, _) = spnl(i)?;
        if let Some(r) = r.strip_prefix('}') {
            return Ok((r, fields));
        }
        if r.is_empty() {
            return fatal(r, "expected `}` to close the struct");
        }
        let (r, f) = cut_err(field(r))?;
        fields.push(f);
        let (r, _) = sp(r)?;
        i = if let Some(r) = r.strip_prefix(';') {
            r
        } else if r.starts_with('\n') || r.starts_with('}') {
            r
        } else {
            return fatal(r, end_of_field_error(fields.last(), r));
        };
    }
}

/// "expected the end of the field", with the usual mistake behind it when there is one.
fn end_of_field_error(last: Option<&Field>, rest: In) -> String {
    let base = "expected the end of the field (a new line, `;` or `}`)";
    let word = raw_ident(rest).map(|(_, w)| w).unwrap_or_default();
    let hint = if rest.starts_with(',') {
        "fields are separated by new lines or `;`, not `,`".to_string()
    } else if rest.starts_with('=') && !rest.starts_with("==") {
        "`=` does not compare: write `==`".to_string()
    } else if let Some(Field { name, spec, .. }) = last
        && let TypeExpr::Named { name: n, .. } = &spec.ty
        && !word.is_empty()
    {
        match (foreign_type_hint(&n.name), name) {
            (Some(hint), _) => hint,
            (None, FieldName::Embed) => {
                format!("missing `:` after the field name? (`{}: {word}`)", n.name)
            }
            (None, _) => foreign_type_hint(word).unwrap_or_else(|| {
                format!(
                    "a type is one word (or `match`): `{}` then `{word}`",
                    n.name
                )
            }),
        }
    } else if let Some(hint) = foreign_type_hint(word) {
        hint
    } else {
        return base.to_string();
    };
    format!("{base}; {hint}")
}

/// What to write for a C, Kaitai Struct or other common type name (`uint32`, `char`, `u4`).
pub fn foreign_type_hint(name: &str) -> Option<String> {
    let ours = match name {
        "uint8" | "uint8_t" | "uchar" | "byte" | "u1" => "u8",
        "int8" | "int8_t" | "s1" | "sbyte" => "i8",
        "uint16" | "uint16_t" | "ushort" | "word" | "u2" => "u16",
        "int16" | "int16_t" | "short" | "s2" => "i16",
        "uint32" | "uint32_t" | "uint" | "dword" | "u4" => "u32",
        "int32" | "int32_t" | "int" | "long" | "s4" => "i32",
        "uint64" | "uint64_t" | "ulong" | "qword" => "u64",
        "int64" | "int64_t" | "s8" => "i64",
        "float" | "f4" => "f32",
        "double" | "f8" => "f64",
        "char" => "`u8` for a number, `str[N]` or `strz` for text",
        "unsigned" | "signed" => "`u8` … `u64` or `i8` … `i64` (the size is in the name)",
        "string" | "String" | "str" => "`str[N]`, `strz` or `strz[N]`",
        _ => return None,
    };
    let ours = if ours.starts_with('`') {
        ours.to_string()
    } else {
        format!("`{ours}`")
    };
    Some(format!("`{name}` is not a type here: write {ours}"))
}

fn endian_word(i: In) -> R<Endian> {
    let (i, _) = sp(i)?;
    let (r, w) = ident(i)?;
    match w.name.as_str() {
        "little" => Ok((r, Endian::Little)),
        "big" => Ok((r, Endian::Big)),
        "native" => Ok((r, Endian::Native)),
        _ => fatal(i, "expected `little`, `big` or `native`"),
    }
}

fn endian_spec(i: In) -> R<EndianSpec> {
    if at_kw(i, "match") {
        let (r, _) = kw("match")(i)?;
        let (r, on) = cut_err(expr(r))?;
        let (mut r, _) = cut_err(symnl("{")(r))?;
        let mut arms = Vec::new();
        loop {
            let (r2, _) = spnl(r)?;
            if let Some(r2) = r2.strip_prefix('}') {
                return Ok((r2, EndianSpec::Match(on, arms)));
            }
            let (r2, pats) = cut_err(patterns(r2))?;
            let (r2, _) = cut_err(sym("=>")(r2))?;
            let (r2, e) = cut_err(endian_word(r2))?;
            arms.push((pats, e));
            let (r2, _) = sp(r2)?;
            r = r2.strip_prefix(',').unwrap_or(r2);
        }
    }
    let (r, e) = cut_err(endian_word(i))?;
    Ok((r, EndianSpec::Fixed(e)))
}

fn struct_decl(i: In) -> R<StructDecl> {
    let (i, name) = cut_err(ident(i))?;
    let (i2, _) = sp(i)?;
    let (mut i, params) = if let Some(r) = i2.strip_prefix('(') {
        let mut params = Vec::new();
        let mut r = r;
        loop {
            let (r2, _) = spnl(r)?;
            if let Some(r2) = r2.strip_prefix(')') {
                r = r2;
                break;
            }
            let (r2, p) = cut_err(ident(r2))?;
            params.push(p);
            let (r2, _) = spnl(r2)?;
            r = r2.strip_prefix(',').unwrap_or(r2);
            if r.len() == r2.len() && !r2.starts_with(')') {
                return fatal(r2, "expected `,` or `)` in the parameter list");
            }
        }
        (r, params)
    } else {
        (i, Vec::new())
    };
    let mut decl = StructDecl {
        name,
        params,
        emit_params: false,
        endian: None,
        bits_little: None,
        valid: None,
        fields: Vec::new(),
    };
    loop {
        let (r, _) = spnl(i)?;
        if let Some(r) = r.strip_prefix('{') {
            let (r, fields) = cut_err(field_block(r))?;
            decl.fields = fields;
            return Ok((r, decl));
        }
        let (r2, w) = match ident(r) {
            Ok(x) => x,
            Err(_) => return fatal(r, "expected `{`, `endian`, `bits` or `valid`"),
        };
        match w.name.as_str() {
            "endian" => {
                let (r2, e) = cut_err(endian_spec(r2))?;
                decl.endian = Some(e);
                i = r2;
            }
            "bits" => {
                let (r2, e) = cut_err(ident(r2))?;
                decl.bits_little = Some(match e.name.as_str() {
                    "little" => true,
                    "big" => false,
                    _ => return fatal(r2, "expected `little` or `big` after `bits`"),
                });
                i = r2;
            }
            "valid" => {
                let (r2, e) = cut_err(expr(r2))?;
                decl.valid = Some(e);
                i = r2;
            }
            _ => return fatal(r, "expected `{`, `endian`, `bits` or `valid`"),
        }
    }
}

fn enum_decl(i: In, is_flags: bool) -> R<EnumDecl> {
    let (i, name) = cut_err(ident(i))?;
    let (i, _) = cut_err(sym(":")(i))?;
    let (i, _) = sp(i)?;
    let base_start = i;
    let (i, base_name) = cut_err(ident(i))?;
    let base_span = span_from(base_start, i);
    let base = match prim_from_name(&base_name.name) {
        Some(p @ Prim::Int { .. }) => p,
        _ => {
            return fatal(
                base_start,
                "an enum's base type must be an integer type such as `u16`",
            );
        }
    };
    let (mut i, _) = cut_err(symnl("{")(i))?;
    let mut members = Vec::new();
    loop {
        let (r, _) = spnl(i)?;
        if let Some(r) = r.strip_prefix('}') {
            return Ok((
                r,
                EnumDecl {
                    name,
                    is_flags,
                    base,
                    base_span,
                    members,
                },
            ));
        }
        let (r, m) = cut_err(ident(r))?;
        let (r, _) = cut_err(sym("=")(r))?;
        let (r, _) = sp(r)?;
        let (r, neg) = match r.strip_prefix('-') {
            Some(r) => (r, true),
            None => (r, false),
        };
        let (r, v) = cut_err(int_literal(r))?;
        members.push((m, if neg { -v } else { v }));
        let (r, _) = sp(r)?;
        i = r.strip_prefix(',').unwrap_or(r);
    }
}

fn item(i: In) -> R<Item> {
    let (i, _) = spnl(i)?;
    let start = i;
    let (r, w) = ident(i)?;
    match w.name.as_str() {
        "struct" => {
            let (r, s) = struct_decl(r)?;
            Ok((r, Item::Struct(s)))
        }
        "enum" | "flags" => {
            let (r, e) = enum_decl(r, w.name == "flags")?;
            Ok((r, Item::Enum(e)))
        }
        "endian" => {
            let (r, e) = cut_err(endian_word(r))?;
            Ok((r, Item::Endian(e, span_from(start, r))))
        }
        "encoding" => {
            let (r, e) = cut_err(ident(r))?;
            Ok((r, Item::Encoding(e)))
        }
        "root" => {
            let (r, e) = cut_err(ident(r))?;
            Ok((r, Item::Root(e)))
        }
        "import" => {
            let (r, s) = cut_err(string_literal(r))?;
            let path = String::from_utf8_lossy(&s).into_owned();
            Ok((r, Item::Import(path, span_from(start, r))))
        }
        _ => fatal(
            start,
            format!(
                "expected `struct`, `enum`, `flags`, `endian`, `encoding`, `root` or `import`, found `{}`",
                w.name
            ),
        ),
    }
}

/// Parses a whole descriptor file.
pub fn parse_file(src: &str) -> Result<Vec<Item>, SyntaxError> {
    if let Some(at) = too_deep(src) {
        return Err(SyntaxError {
            rem: src.len() - at,
            message: format!("brackets nested deeper than {MAX_BRACKETS} levels"),
        });
    }
    let mut items = Vec::new();
    let mut i = src;
    loop {
        let (r, _) = spnl(i).map_err(unwrap_err)?;
        if r.is_empty() {
            return Ok(items);
        }
        let (r, it) = item(r).map_err(unwrap_err)?;
        items.push(it);
        // the rest of the line must be empty
        let (r, _) = sp(r).map_err(unwrap_err)?;
        if !(r.is_empty() || r.starts_with('\n')) {
            return Err(SyntaxError {
                rem: r.len(),
                message: "expected a new line".into(),
            });
        }
        i = r;
    }
}

fn unwrap_err(e: nom::Err<SyntaxError>) -> SyntaxError {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        nom::Err::Incomplete(_) => SyntaxError {
            rem: 0,
            message: "unexpected end of input".into(),
        },
    }
}

/// Parses a standalone expression (used by tests and `--where`-like options).
pub fn parse_expr(src: &str) -> Result<Expr, SyntaxError> {
    if let Some(at) = too_deep(src) {
        return Err(SyntaxError {
            rem: src.len() - at,
            message: format!("brackets nested deeper than {MAX_BRACKETS} levels"),
        });
    }
    let (r, e) = expr(src).map_err(unwrap_err)?;
    let (r, _) = spnl(r).map_err(unwrap_err)?;
    if !r.is_empty() {
        return Err(SyntaxError {
            rem: r.len(),
            message: "unexpected input after the expression".into(),
        });
    }
    Ok(e)
}
