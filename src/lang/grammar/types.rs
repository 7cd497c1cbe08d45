//! Types: primitives, arrays, text options, match arms and the modifiers of a field.

use super::*;

/// Parses a primitive type name such as `u32`, `i16be`, `f64le`, `bool`.
pub fn prim_from_name(name: &str) -> Option<Prim> {
    if name == "bool" {
        return Some(Prim::Bool);
    }
    let (body, endian) = if let Some(b) = name.strip_suffix("le") {
        (b, Some(Endian::Little))
    } else if let Some(b) = name.strip_suffix("be") {
        (b, Some(Endian::Big))
    } else {
        (name, None)
    };
    let (kind, bits) = body.split_at_checked(1)?;
    let bits: u32 = bits.parse().ok()?;
    if bits.to_string().len() != body.len() - 1 {
        return None;
    }
    match (kind, bits) {
        ("u", 8 | 16 | 24 | 32 | 64) => Some(Prim::Int {
            size: (bits / 8) as u8,
            signed: false,
            endian,
        }),
        ("i", 8 | 16 | 24 | 32 | 64) => Some(Prim::Int {
            size: (bits / 8) as u8,
            signed: true,
            endian,
        }),
        ("f", 16 | 32 | 64) => Some(Prim::Float {
            size: (bits / 8) as u8,
            endian,
        }),
        _ => None,
    }
}

/// `b1` … `b64`, `bNle`, `bNbe`: the width and the field's own bit order.
pub(super) fn bits_from_name(name: &str) -> Option<(u8, Option<bool>)> {
    let (base, little) = match name.strip_suffix("le") {
        Some(b) => (b, Some(true)),
        None => match name.strip_suffix("be") {
            Some(b) => (b, Some(false)),
            None => (name, None),
        },
    };
    let n: u8 = base.strip_prefix('b')?.parse().ok()?;
    ((1..=64).contains(&n) && base.len() == n.to_string().len() + 1).then_some((n, little))
}

/// `[N]` or `[..]`
pub(super) fn bracket_len(i: In) -> R<Len> {
    let (i, _) = sym("[")(i)?;
    let (i, _) = spnl(i)?;
    if let Some(r) = i.strip_prefix("..") {
        let (r, _) = cut_err(symnl("]")(r))?;
        return Ok((r, Len::Rest));
    }
    let (i, e) = cut_err(expr(i))?;
    let (i, _) = cut_err(symnl("]")(i))?;
    Ok((i, Len::Count(e)))
}

pub(super) fn str_options(i: In) -> R<(Option<Encoding>, Option<Vec<u8>>)> {
    let mut enc = None;
    let mut trim = None;
    let mut i = i;
    loop {
        let Ok((r, name)) = ident(i) else {
            return Ok((i, (enc, trim)));
        };
        if let Some(e) = Encoding::from_name(&name.name) {
            enc = Some(e);
            i = r;
        } else if name.name == "trim" {
            let (r, s) = cut_err(string_literal(r))?;
            if s.is_empty() {
                return fatal(r, "`trim` needs at least one character");
            }
            trim = Some(s);
            i = r;
        } else {
            return Ok((i, (enc, trim)));
        }
    }
}

/// A type without array suffixes.
pub(super) fn type_atom(i: In) -> R<TypeExpr> {
    let (i, _) = sp(i)?;
    if i.starts_with('"') {
        let (r, bytes) = string_literal(i)?;
        return Ok((r, TypeExpr::Const { bytes, text: true }));
    }
    if let Some(r) = i.strip_prefix('[') {
        // a byte list constant
        let mut bytes = Vec::new();
        let mut r = r;
        loop {
            let (r2, _) = spnl(r)?;
            if let Some(r3) = r2.strip_prefix(']') {
                return Ok((r3, TypeExpr::Const { bytes, text: false }));
            }
            let lit = r2;
            let (r2, v) = cut_err(int_literal(r2))?;
            let Ok(b) = u8::try_from(v) else {
                return fatal(lit, "byte values must be 0..255");
            };
            bytes.push(b);
            let (r2, _) = spnl(r2)?;
            r = r2.strip_prefix(',').unwrap_or(r2);
            if r.len() == r2.len() && !r2.starts_with(']') {
                return fatal(r2, "expected `,` or `]` in a byte list");
            }
        }
    }
    if let Some(r) = i.strip_prefix('=')
        && !r.starts_with(['=', '>'])
    {
        let (r, e) = cut_err(expr(r))?;
        return Ok((r, TypeExpr::Computed(e)));
    }
    let (r, name) = match raw_ident(i) {
        Ok(x) => x,
        Err(_) => return expected(i, "a type"),
    };
    let name_id = Ident {
        name: name.to_string(),
        span: span_from(i, r),
    };
    if let Some(p) = prim_from_name(name) {
        return Ok((r, TypeExpr::Prim(p)));
    }
    if name == "uleb128" || name == "sleb128" {
        return Ok((
            r,
            TypeExpr::Leb128 {
                signed: name == "sleb128",
            },
        ));
    }
    if let Some((n, little)) = bits_from_name(name) {
        if at_kw(r, "as") {
            let (r, _) = kw("as")(r)?;
            let (r, _) = cut_err(kw("bool")(r))?;
            return Ok((
                r,
                TypeExpr::Bits {
                    n,
                    as_bool: true,
                    little,
                },
            ));
        }
        return Ok((
            r,
            TypeExpr::Bits {
                n,
                as_bool: false,
                little,
            },
        ));
    }
    match name {
        "bytes" => {
            let (r, len) = cut_err(bracket_len(r))?;
            Ok((r, TypeExpr::Bytes(len)))
        }
        "str" => {
            let (r, len) = cut_err(bracket_len(r))?;
            let (r, (enc, trim)) = str_options(r)?;
            Ok((
                r,
                TypeExpr::Str {
                    kind: StrKind::Fixed(len),
                    enc,
                    trim,
                },
            ))
        }
        "strz" => {
            let (r2, _) = sp(r)?;
            let (r, kind) = if r2.starts_with('[') {
                let (r, len) = cut_err(bracket_len(r2))?;
                (r, StrKind::ZFixed(len))
            } else {
                (r, StrKind::Z)
            };
            let (r, (enc, trim)) = str_options(r)?;
            Ok((r, TypeExpr::Str { kind, enc, trim }))
        }
        "pad" => {
            let (r, len) = cut_err(bracket_len(r))?;
            Ok((r, TypeExpr::Pad(len)))
        }
        "align" => {
            let (r, e) = cut_err(unary_expr(r))?;
            Ok((r, TypeExpr::Align(e)))
        }
        "match" => {
            let (r, on) = cut_err(expr(r))?;
            let (r, arms) = cut_err(match_arms(r))?;
            Ok((r, TypeExpr::Match { on, arms }))
        }
        _ => {
            let (r2, _) = sp(r)?;
            if let Some(r3) = r2.strip_prefix('(') {
                let (r3, args) = cut_err(arg_list(r3))?;
                return Ok((
                    r3,
                    TypeExpr::Named {
                        name: name_id,
                        args,
                    },
                ));
            }
            Ok((
                r,
                TypeExpr::Named {
                    name: name_id,
                    args: Vec::new(),
                },
            ))
        }
    }
}

pub(super) fn pattern(i: In) -> R<Pattern> {
    let (i, _) = sp(i)?;
    let start = i;
    if i.starts_with('"') {
        let (r, s) = string_literal(i)?;
        return Ok((r, Pattern::Bytes(s, span_from(start, r))));
    }
    if i.starts_with('\'') {
        let (r, v) = char_literal(i)?;
        let (r2, _) = sp(r)?;
        if let Some(r3) = r2.strip_prefix("..=") {
            let (r3, hi) = cut_err(char_literal(r3))?;
            if hi < v {
                return fatal(r2, "empty range");
            }
            return Ok((r3, Pattern::Range(v, hi, span_from(start, r3))));
        }
        return Ok((r, Pattern::Int(v, span_from(start, r))));
    }
    if i.starts_with('-') || i.starts_with(|c: char| c.is_ascii_digit()) {
        let neg = i.starts_with('-');
        let (r, v) = cut_err(int_literal(if neg { &i[1..] } else { i }))?;
        let lo = if neg { -v } else { v };
        let (r2, _) = sp(r)?;
        if let Some(r3) = r2.strip_prefix("..=") {
            let (r3, _) = sp(r3)?;
            let neg = r3.starts_with('-');
            let (r3, v) = cut_err(int_literal(if neg { &r3[1..] } else { r3 }))?;
            let hi = if neg { -v } else { v };
            if hi < lo {
                return fatal(r2, format!("empty range {lo}..={hi}"));
            }
            return Ok((r3, Pattern::Range(lo, hi, span_from(start, r3))));
        }
        return Ok((r, Pattern::Int(lo, span_from(start, r))));
    }
    let (r, first) = ident(i)?;
    if first.name == "_" {
        return Ok((r, Pattern::Wildcard(first.span)));
    }
    if let Some(r2) = r.strip_prefix("::") {
        let (r2, member) = cut_err(ident(r2))?;
        return Ok((r2, Pattern::Member(Some(first), member)));
    }
    Ok((r, Pattern::Member(None, first)))
}

pub(super) fn patterns(i: In) -> R<Vec<Pattern>> {
    let (mut i, first) = pattern(i)?;
    let mut out = vec![first];
    loop {
        let (i2, _) = sp(i)?;
        match i2.strip_prefix('|') {
            Some(r) if !r.starts_with('|') => {
                let (r, _) = spnl(r)?;
                let (r, p) = cut_err(pattern(r))?;
                out.push(p);
                i = r;
            }
            _ => return Ok((i, out)),
        }
    }
}

/// `{ P => T, ... }` (arms separated by `,` or newlines).
pub(super) fn match_arms(i: In) -> R<Vec<MatchArm>> {
    let (mut i, _) = symnl("{")(i)?;
    let mut arms = Vec::new();
    loop {
        let (r, _) = spnl(i)?;
        if let Some(r) = r.strip_prefix('}') {
            return Ok((r, arms));
        }
        let (r, pats) = cut_err(patterns(r))?;
        let (r, _) = cut_err(sym("=>")(r))?;
        let (r, _) = spnl(r)?;
        let (r, spec) = cut_err(type_spec(r))?;
        arms.push(MatchArm {
            patterns: pats,
            spec,
        });
        let (r, _) = sp(r)?;
        i = if let Some(r) = r.strip_prefix(',') {
            r
        } else if r.starts_with('\n') || r.starts_with('}') {
            r
        } else {
            return fatal(r, "expected `,`, a new line or `}` after a match arm");
        };
    }
}

/// A type with its array suffixes and modifiers.
pub fn type_spec(i: In) -> R<TypeSpec> {
    let (i, _) = sp(i)?;
    let start = i;
    let (mut i, mut ty) = type_atom(i)?;
    // array suffixes: T[R][C] is R rows of C elements
    let mut dims = Vec::new();
    loop {
        let (i2, _) = sp(i)?;
        if !i2.starts_with('[') {
            break;
        }
        let (r, len) = cut_err(bracket_len(i2))?;
        dims.push((len, span_from(start, r)));
        if dims.len() > MAX_DIMS {
            return fatal(i2, format!("an array takes at most {MAX_DIMS} dimensions"));
        }
        i = r;
    }
    for (len, span) in dims.into_iter().rev() {
        let elem = TypeSpec::bare(ty, span);
        ty = TypeExpr::Array(Box::new(ArrayType {
            elem,
            len,
            until: None,
            while_: None,
        }));
    }
    let mut spec = TypeSpec::bare(ty, Span::default());
    // modifiers, in any order
    loop {
        let (i2, _) = sp_cont(i, true)?;
        let Ok((r, word)) = raw_ident(i2) else { break };
        let slot: &mut Option<Expr> = match word {
            "process" => {
                if spec.process.is_some() {
                    return fatal(i2, "`process` given twice");
                }
                let (r, p) = cut_err(process(r))?;
                spec.process = Some((p, span_from(i2, r)));
                i = r;
                continue;
            }
            "lazy" => {
                if spec.lazy.is_some() {
                    return fatal(i2, "`lazy` given twice");
                }
                spec.lazy = Some(span_from(i2, r));
                i = r;
                continue;
            }
            "if" => &mut spec.if_,
            "at" => &mut spec.at,
            "in" => &mut spec.io,
            "size" => &mut spec.size,
            "valid" => &mut spec.valid,
            "parent" => &mut spec.parent,
            "until" | "while" => {
                let TypeExpr::Array(arr) = &mut spec.ty else {
                    return fatal(i2, format!("`{word}` applies to arrays (`T[..] {word} E`)"));
                };
                if arr.until.is_some() || arr.while_.is_some() {
                    return fatal(i2, "an array takes one `until` or `while`");
                }
                let (r, e) = cut_err(expr(r))?;
                if word == "until" {
                    arr.until = Some(e);
                } else {
                    arr.while_ = Some(e);
                }
                i = r;
                continue;
            }
            "each" if at_kw(r, "process") => {
                let (r, _) = kw("process")(r)?;
                if spec.each_process.is_some() {
                    return fatal(i2, "`each process` given twice");
                }
                let (r, p) = cut_err(process(r))?;
                spec.each_process = Some((p, span_from(i2, r)));
                i = r;
                continue;
            }
            "each" => {
                let (r, which) = cut_err(ident(r))?;
                let slot = match which.name.as_str() {
                    "if" => &mut spec.each_if,
                    "at" => &mut spec.each_at,
                    "size" => &mut spec.each_size,
                    _ => return fatal(r, "expected `if`, `at` or `size` after `each`"),
                };
                if slot.is_some() {
                    return fatal(i2, format!("`each {}` given twice", which.name));
                }
                let (r, e) = cut_err(expr(r))?;
                *slot = Some(e);
                i = r;
                continue;
            }
            _ => break,
        };
        if slot.is_some() {
            return fatal(i2, format!("`{word}` given twice"));
        }
        let (r, e) = cut_err(expr(r))?;
        *slot = Some(e);
        i = r;
    }
    spec.span = span_from(start, i);
    Ok((i, spec))
}

/// What follows `process`: `xor(E)`, `rol(E)`, `ror(E)`, `zlib`, `deflate`.
pub(super) fn process(i: In) -> R<Process> {
    let (i, _) = sp(i)?;
    let (r, name) = match raw_ident(i) {
        Ok(x) => x,
        Err(_) => return expected(i, "`xor(key)`, `rol(n)`, `ror(n)`, `zlib` or `deflate`"),
    };
    let arg = |r| -> R<Expr> {
        let (r, _) = sym("(")(r)?;
        let (r, _) = spnl(r)?;
        let (r, e) = cut_err(expr(r))?;
        let (r, _) = cut_err(symnl(")")(r))?;
        Ok((r, e))
    };
    match name {
        "zlib" => Ok((r, Process::Zlib)),
        "deflate" => Ok((r, Process::Deflate)),
        "xor" | "rol" | "ror" => {
            let (r, e) = cut_err(arg(r))?;
            Ok((
                r,
                match name {
                    "xor" => Process::Xor(e),
                    "rol" => Process::Rol(e),
                    _ => Process::Ror(e),
                },
            ))
        }
        _ => fatal(
            i,
            format!("unknown process `{name}` (known: xor(key), rol(n), ror(n), zlib, deflate)"),
        ),
    }
}
