//! Expressions: operators by precedence level, postfix access, literals, peeks.

use super::*;

/// Limits that keep hostile descriptors from exhausting the stack while they are parsed,
/// checked, and dropped: brackets nested per file, operators chained in one expression,
/// prefix and postfix operators in a row, array dimensions, and the depth of one expression.
pub(super) const MAX_BRACKETS: usize = 32;
pub(super) const MAX_CHAIN: usize = 128;
pub(super) const MAX_AFFIX: usize = 64;
pub(super) const MAX_DIMS: usize = 8;
pub(super) const MAX_EXPR_DEPTH: usize = 256;

pub fn expr(i: In) -> R<Expr> {
    let (r, e) = cond_expr(i)?;
    if expr_depth(&e) > MAX_EXPR_DEPTH {
        return fatal(
            i,
            format!("expression nested deeper than {MAX_EXPR_DEPTH} levels"),
        );
    }
    Ok((r, e))
}

/// Depth of an expression tree (parsing limits keep it small enough to recurse).
pub(super) fn expr_depth(e: &Expr) -> usize {
    1 + match &e.kind {
        ExprKind::Member(a, _) | ExprKind::Unary(_, a) | ExprKind::Cast(a, _) => expr_depth(a),
        ExprKind::Index(a, b) | ExprKind::Binary(_, a, b) => expr_depth(a).max(expr_depth(b)),
        ExprKind::Slice(a, lo, hi) => [Some(a), lo.as_ref(), hi.as_ref()]
            .into_iter()
            .flatten()
            .map(|e| expr_depth(e))
            .max()
            .unwrap_or(0),
        ExprKind::Cond(a, b, c) => expr_depth(a).max(expr_depth(b)).max(expr_depth(c)),
        ExprKind::Call(_, args) | ExprKind::Array(args) => {
            args.iter().map(expr_depth).max().unwrap_or(0)
        }
        ExprKind::Peek(_, at) => expr_depth(at),
        _ => 0,
    }
}

/// Where brackets nest deeper than [`MAX_BRACKETS`] (skipping strings and comments).
pub(super) fn too_deep(src: &str) -> Option<usize> {
    let mut depth = 0usize;
    let mut chars = src.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '#' => {
                for (_, c) in chars.by_ref() {
                    if c == '\n' {
                        break;
                    }
                }
            }
            '"' => {
                while let Some((_, c)) = chars.next() {
                    match c {
                        '\\' => {
                            chars.next();
                        }
                        '"' | '\n' => break,
                        _ => {}
                    }
                }
            }
            '(' | '[' | '{' => {
                depth += 1;
                if depth > MAX_BRACKETS {
                    return Some(i);
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

pub(super) fn boxed(e: Expr) -> Box<Expr> {
    Box::new(e)
}

pub(super) fn cond_expr(i: In) -> R<Expr> {
    let (i, _) = sp(i)?;
    let start = i;
    let (i, c) = coalesce_expr(i)?;
    let (i2, _) = sp_cont(i, false)?;
    if i2.starts_with('?') && !i2.starts_with("??") {
        let (i, _) = spnl(&i2[1..])?;
        let (i, a) = cut_err(cond_expr(i))?;
        let (i, _) = cut_err(symnl(":")(i))?;
        let (i, _) = spnl(i)?;
        let (i, b) = cut_err(cond_expr(i))?;
        let span = span_from(start, i);
        return Ok((
            i,
            Expr {
                kind: ExprKind::Cond(boxed(c), boxed(a), boxed(b)),
                span,
            },
        ));
    }
    Ok((i, c))
}

pub(super) fn coalesce_expr(i: In) -> R<Expr> {
    let (i, _) = sp(i)?;
    let start = i;
    let (i, a) = binary_level(i, 0)?;
    let (i2, _) = sp_cont(i, false)?;
    if let Some(r) = i2.strip_prefix("??") {
        let (r, _) = spnl(r)?;
        let (r, b) = cut_err(coalesce_expr(r))?;
        let span = span_from(start, r);
        return Ok((
            r,
            Expr {
                kind: ExprKind::Binary(BinOp::Coalesce, boxed(a), boxed(b)),
                span,
            },
        ));
    }
    Ok((i, a))
}

/// Binary operator levels from loosest to tightest; each entry lists (token, op), longest
/// tokens first, with tokens that must not follow (so `|` is not read from `||`).
pub(super) const LEVELS: &[&[(&str, BinOp)]] = &[
    &[("||", BinOp::Or)],
    &[("&&", BinOp::And)],
    &[("|", BinOp::BitOr)],
    &[("^", BinOp::BitXor)],
    &[("&", BinOp::BitAnd)],
    &[("==", BinOp::Eq), ("!=", BinOp::Ne)],
    &[
        ("<=", BinOp::Le),
        (">=", BinOp::Ge),
        ("<", BinOp::Lt),
        (">", BinOp::Gt),
    ],
    &[("<<", BinOp::Shl), (">>", BinOp::Shr)],
    &[("+", BinOp::Add), ("-", BinOp::Sub)],
    &[("*", BinOp::Mul), ("/", BinOp::Div), ("%", BinOp::Rem)],
];

pub(super) fn match_op(i: In, level: usize) -> Option<(In, BinOp)> {
    for &(tok, op) in LEVELS[level] {
        if let Some(r) = i.strip_prefix(tok) {
            // do not split a longer operator: `|` in `||`, `&` in `&&`, `<` in `<<`/`<=`,
            // `=` of `=>` and `==`
            let bad_next = match tok {
                "|" => r.starts_with('|'),
                "&" => r.starts_with('&'),
                "<" => r.starts_with('<') || r.starts_with('='),
                ">" => r.starts_with('>') || r.starts_with('='),
                "<<" | ">>" => r.starts_with('='),
                _ => false,
            };
            if !bad_next {
                return Some((r, op));
            }
        }
    }
    None
}

pub(super) fn binary_level(i: In, level: usize) -> R<Expr> {
    if level == LEVELS.len() {
        return unary_expr(i);
    }
    let (i, _) = sp(i)?;
    let start = i;
    let (mut i, mut lhs) = binary_level(i, level + 1)?;
    let mut chain = 0;
    loop {
        let (i2, _) = sp_cont(i, false)?;
        let Some((r, op)) = match_op(i2, level) else {
            return Ok((i, lhs));
        };
        chain += 1;
        if chain > MAX_CHAIN {
            return fatal(
                i2,
                format!("more than {MAX_CHAIN} operators in a row; split the expression"),
            );
        }
        let (r, _) = spnl(r)?;
        let (r, rhs) = cut_err(binary_level(r, level + 1))?;
        let span = span_from(start, r);
        lhs = Expr {
            kind: ExprKind::Binary(op, boxed(lhs), boxed(rhs)),
            span,
        };
        i = r;
    }
}

pub(super) fn unary_expr(i: In) -> R<Expr> {
    let (i, _) = sp(i)?;
    let start = i;
    let prefixes = i
        .chars()
        .take_while(|c| matches!(c, '-' | '+' | '!' | '~' | ' '))
        .count();
    if prefixes > MAX_AFFIX {
        return fatal(
            i,
            format!("more than {MAX_AFFIX} prefix operators in a row"),
        );
    }
    let op = if i.starts_with('-') {
        Some(UnOp::Neg)
    } else if i.starts_with('!') && !i.starts_with("!=") {
        Some(UnOp::Not)
    } else if i.starts_with('~') {
        Some(UnOp::BitNot)
    } else {
        None
    };
    if let Some(r) = i.strip_prefix('+') {
        // unary plus: the operand itself
        let (r, mut e) = cut_err(unary_expr(r))?;
        e.span = span_from(start, r);
        return Ok((r, e));
    }
    if let Some(op) = op {
        let (r, e) = cut_err(unary_expr(&i[1..]))?;
        let span = span_from(start, r);
        // fold negative literals so `-1` is a literal (keeps i128 literal range symmetric)
        if let (UnOp::Neg, ExprKind::Int(v)) = (op, &e.kind) {
            return Ok((
                r,
                Expr {
                    kind: ExprKind::Int(-*v),
                    span,
                },
            ));
        }
        return Ok((
            r,
            Expr {
                kind: ExprKind::Unary(op, boxed(e)),
                span,
            },
        ));
    }
    postfix_expr(i)
}

pub(super) fn postfix_expr(i: In) -> R<Expr> {
    let (i, _) = sp(i)?;
    let start = i;
    let (mut i, mut e) = primary(i)?;
    let mut count = 0;
    loop {
        let (i2, _) = sp(i)?;
        count += 1;
        if count > MAX_AFFIX {
            return fatal(
                i2,
                format!("more than {MAX_AFFIX} postfix operators in a row"),
            );
        }
        if let Some(r) = i2.strip_prefix('.').filter(|r| !r.starts_with('.')) {
            let (r, name) = cut_err(ident(r))?;
            e = Expr {
                kind: ExprKind::Member(boxed(e), name),
                span: span_from(start, r),
            };
            i = r;
        } else if let Some(r) = i2.strip_prefix('[') {
            let (r, _) = spnl(r)?;
            let (r, lo) = if r.starts_with("..") {
                (r, None)
            } else {
                let (r, lo) = cut_err(expr(r))?;
                (r, Some(lo))
            };
            let (r, _) = spnl(r)?;
            let kind = if let Some(r2) = r.strip_prefix("..") {
                // a slice `x[lo..hi]`, either end optional
                let (r2, _) = spnl(r2)?;
                let (r2, hi) = if r2.starts_with(']') {
                    (r2, None)
                } else {
                    let (r2, hi) = cut_err(expr(r2))?;
                    (r2, Some(boxed(hi)))
                };
                i = r2;
                ExprKind::Slice(boxed(e), lo.map(boxed), hi)
            } else {
                let Some(lo) = lo else {
                    return expected(r, "an index");
                };
                i = r;
                ExprKind::Index(boxed(e), boxed(lo))
            };
            let (r, _) = cut_err(symnl("]")(i))?;
            e = Expr {
                kind,
                span: span_from(start, r),
            };
            i = r;
        } else if at_kw(i2, "as") {
            let (r, _) = kw("as")(i2)?;
            let (r, name) = cut_err(ident(r))?;
            e = Expr {
                kind: ExprKind::Cast(boxed(e), name),
                span: span_from(start, r),
            };
            i = r;
        } else {
            return Ok((i, e));
        }
    }
}

pub(super) fn builtin(i: In) -> R<Builtin> {
    let Some(r) = i.strip_prefix('@') else {
        return expected(i, "`@`");
    };
    let (r2, name) = match raw_ident(r) {
        Ok(x) => x,
        Err(_) => return fatal(r, "expected a builtin name after `@`"),
    };
    let b = match name {
        "offset" => Builtin::Offset,
        "remaining" => Builtin::Remaining,
        "input_size" => Builtin::InputSize,
        "index" => Builtin::Index,
        "io" => Builtin::Io,
        "size" => Builtin::Size,
        _ => {
            return fatal(
                i,
                format!(
                    "unknown builtin `@{name}` (known: @offset, @remaining, @input_size, @index, @io, @size)"
                ),
            );
        }
    };
    Ok((r2, b))
}

pub(super) fn primary(i: In) -> R<Expr> {
    let (i, _) = sp(i)?;
    let start = i;
    let mk = |kind, r: In<'_>| Expr {
        kind,
        span: span_from(start, r),
    };
    if i.starts_with('"') {
        let (r, s) = string_literal(i)?;
        return Ok((r, mk(ExprKind::Str(s), r)));
    }
    if i.starts_with(|c: char| c.is_ascii_digit()) {
        if let Some((r, f)) = float_literal(i) {
            return Ok((r, mk(ExprKind::Float(f), r)));
        }
        let (r, v) = int_literal(i)?;
        return Ok((r, mk(ExprKind::Int(v), r)));
    }
    if i.starts_with('\'') {
        let (r, v) = char_literal(i)?;
        return Ok((r, mk(ExprKind::Int(v), r)));
    }
    if let Some(r) = i.strip_prefix('[') {
        let (r, items) = cut_err(list_items(r, ']'))?;
        return Ok((r, mk(ExprKind::Array(items), r)));
    }
    if i.starts_with('@') {
        let (r, b) = builtin(i)?;
        return Ok((r, mk(ExprKind::Builtin(b), r)));
    }
    if let Some(r) = i.strip_prefix('(') {
        let (r, _) = spnl(r)?;
        // a peek: `(T at E)`, T any type but `match` and constants
        if let Ok((r2, (ty, off))) = peek(r) {
            let (r2, _) = cut_err(symnl(")")(r2))?;
            return Ok((r2, mk(ExprKind::Peek(Box::new(ty), boxed(off)), r2)));
        }
        let (r, e) = cut_err(expr(r))?;
        let (r, _) = cut_err(symnl(")")(r))?;
        return Ok((
            r,
            Expr {
                kind: e.kind,
                span: span_from(start, r),
            },
        ));
    }
    if let Ok((r, name)) = raw_ident(i) {
        let id = Ident {
            name: name.to_string(),
            span: span_from(i, r),
        };
        match name {
            "true" => return Ok((r, mk(ExprKind::Bool(true), r))),
            "false" => return Ok((r, mk(ExprKind::Bool(false), r))),
            "_" => return Ok((r, mk(ExprKind::This, r))),
            _ => {}
        }
        if let Some(r2) = r.strip_prefix("::") {
            let (r2, member) = cut_err(ident(r2))?;
            return Ok((r2, mk(ExprKind::EnumMember(id, member), r2)));
        }
        let (r2, _) = sp(r)?;
        if let Some(r3) = r2.strip_prefix('(') {
            let (r3, args) = cut_err(arg_list(r3))?;
            return Ok((r3, mk(ExprKind::Call(id, args), r3)));
        }
        return Ok((r, mk(ExprKind::Name(id), r)));
    }
    expected(i, "an expression")
}

/// Arguments after `(` up to and including `)`.
pub(super) fn arg_list(i: In) -> R<Vec<Expr>> {
    list_items(i, ')')
}

/// Expressions separated by commas up to and including `close` (a trailing comma allowed
/// in an array literal).
fn list_items(i: In, close: char) -> R<Vec<Expr>> {
    let mut args = Vec::new();
    let (mut i, _) = spnl(i)?;
    if let Some(r) = i.strip_prefix(close) {
        return Ok((r, args));
    }
    loop {
        let (r, _) = spnl(i)?;
        if close == ']'
            && !args.is_empty()
            && let Some(r) = r.strip_prefix(close)
        {
            return Ok((r, args));
        }
        let (r, e) = cut_err(expr(r))?;
        args.push(e);
        let (r, _) = spnl(r)?;
        if let Some(r) = r.strip_prefix(',') {
            i = r;
        } else if let Some(r) = r.strip_prefix(close) {
            return Ok((r, args));
        } else if close == ']' {
            return fatal(r, "expected `,` or `]`");
        } else {
            return fatal(r, "expected `,` or `)`");
        }
    }
}

/// The inside of a peek `(T at E)`: any type but `match`, constants, padding and computed
/// values (`u16`, `strz`, a struct, `u8[4]`), with only the `at` modifier.
pub(super) fn peek(i: In) -> R<(TypeExpr, Expr)> {
    let (r, spec) = type_spec(i)?;
    let TypeSpec {
        ty,
        at: Some(at),
        io: None,
        ..
    } = spec
    else {
        return expected(i, "a peek");
    };
    let plain = spec.if_.is_none()
        && spec.size.is_none()
        && spec.valid.is_none()
        && spec.each_if.is_none()
        && spec.each_at.is_none()
        && spec.each_size.is_none()
        && spec.lazy.is_none()
        && spec.process.is_none()
        && spec.each_process.is_none();
    match ty {
        TypeExpr::Match { .. }
        | TypeExpr::Const { .. }
        | TypeExpr::Computed(_)
        | TypeExpr::Pad(_)
        | TypeExpr::Align(_) => expected(i, "a peek type"),
        _ if !plain => fatal(i, "a peek `(T at E)` takes no modifier but `at`"),
        ty => Ok((r, (ty, at))),
    }
}
