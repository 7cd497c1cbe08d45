//! Expressions: names, operators, casts, `sizeof` and text functions, each checked for its
//! type and lowered to the plan's expression table.

use super::*;

impl Checker<'_> {
    pub(super) fn member(&self, eid: EnumId, m: &Ident) -> CResult<i128> {
        let e = self.enums[eid as usize].1;
        match e.members.iter().find(|(n, _)| n.name == m.name) {
            Some((_, v)) => Ok(*v),
            None => Err(self.unknown(
                m,
                &format!("member of `{}`", e.name.name),
                e.members.iter().map(|(n, _)| n.name.as_str()),
            )),
        }
    }

    pub(super) fn expr(&mut self, e: &Expr, scope: &Scope) -> CResult<(ExprId, Ty)> {
        let (pe, ty) = match &e.kind {
            ExprKind::Int(v) => (PExpr::Int(*v), Ty::Int),
            ExprKind::Float(v) => (PExpr::Float(*v), Ty::Float),
            ExprKind::Bool(b) => (PExpr::Bool(*b), Ty::Bool),
            ExprKind::Str(s) => (PExpr::Lit(s.clone().into_boxed_slice()), Ty::Text),
            ExprKind::This => match &scope.this {
                Some(t) => (PExpr::This, t.clone()),
                None => return Err(self.err(
                    e.span,
                    "`_` means the value being checked; it is only allowed in `valid` and `until`"
                        .into(),
                )),
            },
            ExprKind::Builtin(Builtin::Io) => (PExpr::Builtin(Builtin::Io), Ty::Io),
            ExprKind::Builtin(b) => {
                if *b == Builtin::Size {
                    self.plan.introspect = true;
                }
                (PExpr::Builtin(*b), Ty::Int)
            }
            ExprKind::Name(n) => return self.name(n, scope),
            ExprKind::Member(base, m) => {
                let (b, bt) = self.expr(base, scope)?;
                if bt == Ty::Io {
                    let ty = match m.name.as_str() {
                        "pos" | "size" => Ty::Int,
                        "eof" => Ty::Bool,
                        _ => {
                            return Err(self.err(
                                m.span,
                                format!("a stream has `pos`, `size` and `eof`, not `{}`", m.name),
                            ));
                        }
                    };
                    return Ok((
                        self.push(PExpr::Member(b, m.name.clone().into_boxed_str())),
                        ty,
                    ));
                }
                // `.first` and `.last` of an array, text or bytes: its first or last element
                // (a struct's field of that name otherwise)
                if matches!(bt, Ty::Array(_) | Ty::Text | Ty::Bytes)
                    && matches!(m.name.as_str(), "first" | "last")
                {
                    let ix = self.push(PExpr::Int(if m.name == "first" { 0 } else { -1 }));
                    let ty = match bt {
                        Ty::Array(t) => *t,
                        _ => Ty::Int,
                    };
                    return Ok((self.push(PExpr::Index(b, ix)), ty));
                }
                // `.length` and `.size` of an array, text or bytes: `len` of it
                if matches!(bt, Ty::Array(_) | Ty::Text | Ty::Bytes)
                    && matches!(m.name.as_str(), "length" | "size")
                {
                    let args: Box<[ExprId]> = Box::new([b]);
                    return Ok((self.push(PExpr::Call(Func::Len, args)), Ty::Int));
                }
                match bt {
                    // `x.parent`: the struct that encloses x while it is decoded
                    Ty::Struct(_) | Ty::Any if m.name == "parent" => {
                        let id = self.push(PExpr::Member(b, m.name.clone().into_boxed_str()));
                        return Ok((id, Ty::Struct(None)));
                    }
                    Ty::Struct(Some(sid)) => {
                        let mut names = self.struct_field_names(sid);
                        // a struct value's parameters read like its fields (`hdr.len_key`)
                        let params = &self.structs[sid as usize].1.params;
                        names.extend(params.iter().map(|p| p.name.clone()));
                        if !names.contains(&m.name) {
                            let mut err = self.err(
                                m.span,
                                format!(
                                    "struct `{}` has no field `{}`",
                                    self.structs[sid as usize].1.name.name, m.name
                                ),
                            );
                            err.help = closest(&m.name, names.iter().map(|s| s.as_str()))
                                .map(|c| format!("did you mean `{c}`?"));
                            return Err(err);
                        }
                    }
                    Ty::Struct(None) | Ty::Any => {}
                    other => {
                        return Err(self.err(
                            e.span,
                            format!("`.{}` needs a struct, this is {}", m.name, other.name()),
                        ));
                    }
                }
                (PExpr::Member(b, m.name.clone().into_boxed_str()), Ty::Any)
            }
            ExprKind::Index(a, i) => {
                let (aid, at) = self.expr(a, scope)?;
                let iid = self.int_expr(i, scope)?;
                let ty = match at {
                    Ty::Array(t) => *t,
                    Ty::Text | Ty::Bytes => Ty::Int,
                    Ty::Any => Ty::Any,
                    other => {
                        return Err(self.err(
                            e.span,
                            format!(
                                "indexing needs an array, text or bytes, this is {}",
                                other.name()
                            ),
                        ));
                    }
                };
                (PExpr::Index(aid, iid), ty)
            }
            ExprKind::Slice(a, lo, hi) => {
                let (aid, at) = self.expr(a, scope)?;
                if !matches!(at, Ty::Array(_) | Ty::Text | Ty::Bytes | Ty::Any) {
                    return Err(self.err(
                        e.span,
                        format!(
                            "a slice needs an array, text or bytes, this is {}",
                            at.name()
                        ),
                    ));
                }
                let lo = lo.as_ref().map(|x| self.int_expr(x, scope)).transpose()?;
                let hi = hi.as_ref().map(|x| self.int_expr(x, scope)).transpose()?;
                (PExpr::Slice(aid, lo, hi), at)
            }
            ExprKind::EnumMember(en, m) => {
                let Some(&eid) = self.enum_ix.get(en.name.as_str()) else {
                    return Err(self.unknown(
                        en,
                        "enum",
                        self.enum_ix.keys().copied().collect::<Vec<_>>(),
                    ));
                };
                (PExpr::EnumConst(eid, self.member(eid, m)?), Ty::Enum(eid))
            }
            ExprKind::Unary(op, a) => {
                let (aid, at) = self.expr(a, scope)?;
                match op {
                    UnOp::Not => self.want_cond(a, &at)?,
                    UnOp::Neg if at == Ty::Float => {}
                    _ => self.want_int(a, &at)?,
                }
                let ty = match op {
                    UnOp::Not => Ty::Bool,
                    UnOp::Neg if at == Ty::Float => Ty::Float,
                    _ => Ty::Int,
                };
                (PExpr::Unary(*op, aid), ty)
            }
            ExprKind::Binary(..) => return self.binary_chain(e, scope),
            ExprKind::Cond(c, a, b) => {
                let cid = self.cond_expr(c, scope)?;
                let (aid, at) = self.expr(a, scope)?;
                let (bid, bt) = self.expr(b, scope)?;
                (
                    PExpr::Cond(cid, aid, bid),
                    if at == bt { at } else { Ty::Any },
                )
            }
            ExprKind::Call(f, args) if f.name == "sizeof" => return self.sizeof(e, args, scope),
            ExprKind::Call(f, args) if f.name == "io" => {
                let [a] = args.as_slice() else {
                    return Err(self.err(e.span, "`io` takes one struct value".into()));
                };
                let (id, t) = self.expr(a, scope)?;
                if !matches!(t, Ty::Struct(_) | Ty::Io | Ty::Any) {
                    return Err(
                        self.err(a.span, format!("`io` needs a struct, this is {}", t.name()))
                    );
                }
                self.plan.introspect = true;
                (PExpr::IoOf(id), Ty::Io)
            }
            ExprKind::Call(f, args) if matches!(f.name.as_str(), "str" | "reverse") => {
                return self.text_call(e, f, args, scope);
            }
            ExprKind::Call(f, args) => {
                let Some(&(_, func)) = Func::ALL.iter().find(|(n, _)| *n == f.name) else {
                    let names = Func::ALL.iter().map(|(n, _)| *n);
                    let more = ["str", "reverse", "sizeof", "io"];
                    return Err(self.unknown(f, "function", names.chain(more)));
                };
                let (lo, hi) = match func {
                    Func::Len | Func::Abs | Func::Crc32 | Func::Sum | Func::Fail => (1, 1),
                    Func::Int => (1, 2),
                    Func::Min | Func::Max => (1, usize::MAX),
                    Func::Find | Func::Rfind => (3, 3),
                };
                if args.len() < lo || args.len() > hi {
                    let want = if hi == usize::MAX {
                        format!("at least {lo}")
                    } else {
                        lo.to_string()
                    };
                    return Err(self.err(
                        e.span,
                        format!(
                            "`{}` takes {want} argument(s), {} given",
                            f.name,
                            args.len()
                        ),
                    ));
                }
                let mut ids = Vec::new();
                let mut ty = Ty::Int;
                for (k, a) in args.iter().enumerate() {
                    let (id, t) = self.expr(a, scope)?;
                    let ok = match (func, k) {
                        (Func::Len, _) => {
                            matches!(t, Ty::Text | Ty::Bytes | Ty::Array(_) | Ty::Io | Ty::Any)
                        }
                        // text parsed, a float truncated, an enum's or a boolean's integer
                        (Func::Int, 0) => {
                            t.stringlike() || t == Ty::Float || (args.len() == 1 && t.intlike())
                        }
                        (Func::Crc32 | Func::Sum, _) | (Func::Find | Func::Rfind, 0) => {
                            t.stringlike()
                        }
                        // the message; the value is never made, so it is of any type
                        (Func::Fail, _) => {
                            ty = Ty::Any;
                            t == Ty::Text || t == Ty::Any
                        }
                        // `min(arr)`, `max(bytes)`: the smallest or largest element
                        (Func::Min | Func::Max, 0) if args.len() == 1 => {
                            ty = match &t {
                                Ty::Array(e) => (**e).clone(),
                                Ty::Bytes => Ty::Int,
                                _ => Ty::Any,
                            };
                            matches!(t, Ty::Bytes | Ty::Array(_) | Ty::Any)
                        }
                        (Func::Min | Func::Max | Func::Abs, _) => {
                            if t == Ty::Float {
                                ty = Ty::Float;
                            }
                            t.intlike() || t == Ty::Float
                        }
                        _ => t.intlike(),
                    };
                    if !ok && matches!(func, Func::Min | Func::Max) && args.len() == 1 {
                        return Err(self.err(
                            a.span,
                            format!(
                                "`{}` takes an array (or bytes), or at least 2 values; this is {}",
                                f.name,
                                t.name()
                            ),
                        ));
                    }
                    if !ok {
                        return Err(self.err(
                            a.span,
                            format!("argument {} of `{}` cannot be {}", k + 1, f.name, t.name()),
                        ));
                    }
                    ids.push(id);
                }
                (PExpr::Call(func, ids.into_boxed_slice()), ty)
            }
            ExprKind::Peek(t, at) => {
                let at_id = self.int_expr(at, scope)?;
                let (mut ty, vty) = self.ty(t, e.span, scope, false, false)?;
                // a peeked array is a value of the expression: its elements are kept
                if let TypePlan::Array(a) = &mut ty {
                    a.keep = true;
                }
                (PExpr::Peek { ty, at: at_id }, vty)
            }
            ExprKind::Array(items) => return self.array_literal(items, false, scope),
            ExprKind::Cast(a, to) if to.name == "bytes" && matches!(a.kind, ExprKind::Array(_)) => {
                let ExprKind::Array(items) = &a.kind else {
                    unreachable!("matched above")
                };
                return self.array_literal(items, true, scope);
            }
            ExprKind::Cast(a, en) => {
                let (aid, at) = self.expr(a, scope)?;
                let Some(&eid) = self.enum_ix.get(en.name.as_str()) else {
                    return self.type_cast(a, aid, at, en);
                };
                self.want_int(a, &at)?;
                (PExpr::Cast(aid, eid), Ty::Enum(eid))
            }
        };
        Ok((self.push(pe), ty))
    }

    /// A binary operator and the operators on its left (`a + b + c + …` is a chain of
    /// left operands): checked by a loop, so a long chain costs no stack.
    fn binary_chain(&mut self, e: &Expr, scope: &Scope) -> CResult<(ExprId, Ty)> {
        let mut spine = Vec::new();
        let mut cur = e;
        while let ExprKind::Binary(op, a, b) = &cur.kind {
            spine.push((cur, *op, &**a, &**b));
            cur = a;
        }
        let (mut id, mut ty) = self.expr(cur, scope)?;
        for (node, op, a, b) in spine.into_iter().rev() {
            let (bid, bt) = self.expr(b, scope)?;
            ty = self.binary_ty(op, node, (a, &ty), (b, &bt))?;
            id = self.push(PExpr::Binary(op, id, bid));
        }
        Ok((id, ty))
    }

    pub(super) fn binary_ty(
        &self,
        op: BinOp,
        e: &Expr,
        (a, at): (&Expr, &Ty),
        (b, bt): (&Expr, &Ty),
    ) -> CResult<Ty> {
        use BinOp::*;
        Ok(match op {
            Coalesce => {
                if at == bt {
                    at.clone()
                } else {
                    Ty::Any
                }
            }
            And | Or => {
                self.want_cond(a, at)?;
                self.want_cond(b, bt)?;
                Ty::Bool
            }
            Eq | Ne => {
                let numeric = |t: &Ty| t.intlike() || *t == Ty::Float;
                let ok = (numeric(at) && numeric(bt))
                    || (at.stringlike() && bt.stringlike())
                    || *at == Ty::Any
                    || *bt == Ty::Any;
                if !ok {
                    return Err(self.err(
                        e.span,
                        format!("cannot compare {} with {}", at.name(), bt.name()),
                    ));
                }
                Ty::Bool
            }
            Lt | Le | Gt | Ge => {
                let numeric = |t: &Ty| t.intlike() || *t == Ty::Float;
                let strings =
                    at.stringlike() && bt.stringlike() && (*at != Ty::Any || *bt != Ty::Any);
                if !(strings || numeric(at) && numeric(bt)) {
                    return Err(self.err(
                        e.span,
                        format!(
                            "`{}` compares numbers, not {} and {}",
                            op.symbol(),
                            at.name(),
                            bt.name()
                        ),
                    ));
                }
                Ty::Bool
            }
            // `+` of two texts (or two byte strings) concatenates
            Add if matches!(
                (at, bt),
                (Ty::Text, Ty::Text | Ty::Any) | (Ty::Any, Ty::Text)
            ) =>
            {
                Ty::Text
            }
            Add if matches!(
                (at, bt),
                (Ty::Bytes, Ty::Bytes | Ty::Any) | (Ty::Any, Ty::Bytes)
            ) =>
            {
                Ty::Bytes
            }
            // arithmetic with a float operand is float arithmetic
            Add | Sub | Mul | Div | Rem if *at == Ty::Float || *bt == Ty::Float => {
                for (x, t) in [(a, at), (b, bt)] {
                    if !(t.intlike() || *t == Ty::Float) {
                        self.want_int(x, t)?;
                    }
                }
                Ty::Float
            }
            Add if *at == Ty::Any || *bt == Ty::Any => Ty::Any,
            _ => {
                self.want_int(a, at)?;
                self.want_int(b, bt)?;
                Ty::Int
            }
        })
    }

    /// `x as T` for a type T that is not an enum: a struct, `bytes` or `str` names the
    /// value's type without changing it (Kaitai's `.as<T>`); an integer type keeps the
    /// number; a float type makes it a float.
    pub(super) fn type_cast(
        &mut self,
        a: &Expr,
        aid: ExprId,
        at: Ty,
        to: &Ident,
    ) -> CResult<(ExprId, Ty)> {
        if let Some(&sid) = self.struct_ix.get(to.name.as_str()) {
            if !matches!(at, Ty::Struct(_) | Ty::Any) {
                return Err(self.err(
                    a.span,
                    format!("`as {}` needs a struct, this is {}", to.name, at.name()),
                ));
            }
            return Ok((aid, Ty::Struct(Some(sid))));
        }
        let ty = match (
            to.name.as_str(),
            crate::lang::grammar::prim_from_name(&to.name),
        ) {
            ("bytes", _) if at.stringlike() => Ty::Bytes,
            ("str", _) if at.stringlike() => Ty::Text,
            (_, Some(Prim::Int { .. })) if at.intlike() || at == Ty::Any => Ty::Int,
            (_, Some(Prim::Float { .. })) if at.intlike() || at == Ty::Float => {
                let one = self.push(PExpr::Float(1.0));
                return Ok((self.push(PExpr::Binary(BinOp::Mul, aid, one)), Ty::Float));
            }
            (_, Some(Prim::Bool)) if at.intlike() => Ty::Bool,
            ("bytes" | "str", _) | (_, Some(_)) => {
                return Err(self.err(
                    a.span,
                    format!("cannot take {} as `{}`", at.name(), to.name),
                ));
            }
            _ => {
                let mut names: Vec<&str> = self.enum_ix.keys().copied().collect();
                names.extend(self.struct_ix.keys().copied());
                return Err(self.unknown(to, "enum or type", names));
            }
        };
        Ok((aid, ty))
    }

    /// `[a, b, c]`: bytes when every item is an integer literal 0..=255 (or, with `as_bytes`,
    /// any integer items: a value outside 0..=255 is an error when decoding), else an array
    /// whose element type is the items' common type.
    fn array_literal(
        &mut self,
        items: &[Expr],
        as_bytes: bool,
        scope: &Scope,
    ) -> CResult<(ExprId, Ty)> {
        let bytes = as_bytes
            || (!items.is_empty()
                && items
                    .iter()
                    .all(|x| matches!(x.kind, ExprKind::Int(v) if (0..=255).contains(&v))));
        let mut ids = Vec::with_capacity(items.len());
        let mut elem: Option<Ty> = None;
        for x in items {
            let (id, t) = self.expr(x, scope)?;
            if bytes {
                self.want_int(x, &t)?;
            }
            if matches!(t, Ty::Nothing) {
                return Err(self.err(x.span, "an array item needs a value".into()));
            }
            elem = Some(match elem {
                None => t,
                Some(e) if e == t => e,
                Some(e) if matches!((&e, &t), (Ty::Int, Ty::Float) | (Ty::Float, Ty::Int)) => {
                    Ty::Float
                }
                Some(_) => Ty::Any,
            });
            ids.push(id);
        }
        let ty = if bytes {
            Ty::Bytes
        } else {
            Ty::Array(Box::new(elem.unwrap_or(Ty::Any)))
        };
        let pe = PExpr::Array {
            items: ids.into_boxed_slice(),
            bytes,
        };
        Ok((self.push(pe), ty))
    }

    /// `sizeof(T)`: the fixed size in bytes of a struct or primitive type T; `sizeof(x)` of
    /// a value that is not a type name: the bytes it took.
    pub(super) fn sizeof(
        &mut self,
        e: &Expr,
        args: &[Expr],
        scope: &Scope,
    ) -> CResult<(ExprId, Ty)> {
        let [a] = args else {
            return Err(self.err(e.span, "`sizeof` takes one type name or value".into()));
        };
        // a field named by a path of names: its fixed size needs no decode (so it may be
        // declared later, or be a lazy field that depends on this expression)
        let path = field_path(a).map(|p| (self.cur_sid, p));
        let is_field = |n: &str| {
            scope.names.iter().any(|(x, _)| x == n) || scope.later.iter().any(|(x, _)| x == n)
        };
        let n = match &a.kind {
            ExprKind::Name(n)
                if crate::lang::grammar::prim_from_name(&n.name).is_some()
                    || self.struct_ix.contains_key(n.name.as_str()) =>
            {
                n
            }
            _ if path.is_some() => {
                let (fallback, err) = match self.expr(a, scope) {
                    Ok((id, t)) => {
                        // a number has a size only as a field of a fixed-size type
                        let sized = !matches!(t, Ty::Array(_) | Ty::Nothing);
                        (sized.then_some(id), None)
                    }
                    Err(e) => (None, Some(e)),
                };
                if fallback.is_some() {
                    self.plan.introspect = true;
                }
                let id = self.push(PExpr::Int(0));
                self.sizeofs.push(super::SizeofReq {
                    e: id,
                    ty: None,
                    path,
                    fallback,
                    err,
                    file: self.file,
                    span: e.span,
                });
                return Ok((id, Ty::Int));
            }
            _ => {
                let (id, t) = self.expr(a, scope)?;
                // a number has a size only as a field of a fixed-size type
                let field = matches!(a.kind, ExprKind::Name(_) | ExprKind::Member(..));
                let sized = match t {
                    Ty::Struct(_) | Ty::Text | Ty::Bytes | Ty::Io | Ty::Any => true,
                    Ty::Int | Ty::Float | Ty::Bool | Ty::Enum(_) => field,
                    Ty::Array(_) | Ty::Nothing => false,
                };
                if !sized {
                    return Err(self.err(
                        e.span,
                        format!(
                            "`sizeof` takes one type name, or a field or struct value; this is {}",
                            t.name()
                        ),
                    ));
                }
                self.plan.introspect = true;
                return Ok((self.push(PExpr::SizeOf(id)), Ty::Int));
            }
        };
        if let Some(p) = crate::lang::grammar::prim_from_name(&n.name) {
            return Ok((self.push(PExpr::Int(p.size() as i128)), Ty::Int));
        }
        let Some(&sid) = self.struct_ix.get(n.name.as_str()) else {
            let names: Vec<&str> = self.struct_ix.keys().copied().collect();
            return Err(self.unknown(n, "type", names));
        };
        // a struct's name that also names a field: the field where the struct's size
        // depends on the data
        let (path, fallback) = match path {
            Some(p) if is_field(&n.name) => {
                let fb = self.expr(a, scope).ok().map(|(id, _)| id);
                if fb.is_some() {
                    self.plan.introspect = true;
                }
                (Some(p), fb)
            }
            _ => (None, None),
        };
        let id = self.push(PExpr::Int(0));
        self.sizeofs.push(super::SizeofReq {
            e: id,
            ty: Some(sid),
            path,
            fallback,
            err: None,
            file: self.file,
            span: e.span,
        });
        Ok((id, Ty::Int))
    }

    /// `str(x)`, `str(bytes, encoding)`, `reverse(x)`.
    pub(super) fn text_call(
        &mut self,
        e: &Expr,
        f: &Ident,
        args: &[Expr],
        scope: &Scope,
    ) -> CResult<(ExprId, Ty)> {
        let want = if f.name == "str" { 1..=2 } else { 1..=1 };
        if !want.contains(&args.len()) {
            return Err(self.err(
                e.span,
                format!(
                    "`{}` takes {} argument(s), {} given",
                    f.name,
                    if f.name == "str" { "1 or 2" } else { "1" },
                    args.len()
                ),
            ));
        }
        let (id, t) = self.expr(&args[0], scope)?;
        let (pe, ty) = if f.name == "reverse" {
            if !matches!(t, Ty::Array(_) | Ty::Text | Ty::Bytes | Ty::Any) {
                return Err(self.err(
                    args[0].span,
                    format!(
                        "`reverse` needs an array, text or bytes, this is {}",
                        t.name()
                    ),
                ));
            }
            (PExpr::Reverse(id), t)
        } else {
            let enc = match args.get(1) {
                None => None,
                Some(a) => {
                    let name = match &a.kind {
                        ExprKind::Name(n) => n.name.clone(),
                        ExprKind::Str(s) => String::from_utf8_lossy(s).into_owned(),
                        _ => String::new(),
                    };
                    let Some(enc) = Encoding::from_name(&name) else {
                        let mut err = self.err(a.span, format!("unknown encoding `{name}`"));
                        err.help = closest(&name, Encoding::names())
                            .map(|c| format!("did you mean `{c}`?"));
                        return Err(err);
                    };
                    Some(enc)
                }
            };
            let ok = match enc {
                Some(_) => t.stringlike(),
                None => t.intlike() || t == Ty::Float || t.stringlike(),
            };
            if !ok {
                return Err(self.err(args[0].span, format!("`str` cannot convert {}", t.name())));
            }
            (PExpr::ToText(id, enc), Ty::Text)
        };
        Ok((self.push(pe), ty))
    }

    pub(super) fn name(&mut self, n: &Ident, scope: &Scope) -> CResult<(ExprId, Ty)> {
        if let (Some(this), Some(ty)) = (&scope.this_name, &scope.this)
            && *this == n.name
        {
            return Ok((self.push(PExpr::This), ty.clone()));
        }
        match n.name.as_str() {
            "parent" => return Ok((self.push(PExpr::Frame(1)), Ty::Struct(None))),
            "root" => return Ok((self.push(PExpr::Frame(u32::MAX)), Ty::Struct(None))),
            _ => {}
        }
        for (name, entry) in scope.names.iter().rev() {
            match entry {
                Entry::Slot(slot, ty) if *name == n.name => {
                    return Ok((self.push(PExpr::Slot(*slot)), ty.clone()));
                }
                Entry::Unkept if *name == n.name => {
                    // cannot happen: every referenced name is kept
                    return Err(self.err(n.span, format!("`{}` is not kept", n.name)));
                }
                Entry::Embedded { slot, candidates }
                    if candidates
                        .iter()
                        .any(|&sid| self.struct_field_names(sid).contains(&n.name)) =>
                {
                    return Ok((
                        self.push(PExpr::Embedded {
                            slot: *slot,
                            name: n.name.clone().into_boxed_str(),
                        }),
                        Ty::Any,
                    ));
                }
                _ => {}
            }
        }
        if let Some((_, span)) = scope.later.iter().find(|(x, _)| *x == n.name) {
            let src = &self.sources[self.file];
            let line = src.text[..span.start(src.text.len())].matches('\n').count() + 1;
            return Err(self.err(
                n.span,
                format!(
                    "`{}` is declared later (line {line}); a field can only refer to fields decoded before it",
                    n.name
                ),
            ));
        }
        let mut cands: Vec<&str> = scope
            .names
            .iter()
            .map(|(x, _)| x.as_str())
            .filter(|x| !x.is_empty())
            .collect();
        cands.extend(["parent", "root"]);
        let mut err = self.unknown(n, "name", cands);
        if let Some(b) = ["offset", "remaining", "input_size", "index"]
            .iter()
            .find(|b| **b == n.name)
        {
            err.help = Some(format!("the builtin is written `@{b}`"));
        }
        Err(err)
    }
}

/// `a.b.c` as the names `[a, b, c]`, when the expression is only names.
fn field_path(e: &Expr) -> Option<Vec<String>> {
    match &e.kind {
        ExprKind::Name(n) if n.name == "root" || n.name == "parent" => None,
        ExprKind::Name(n) => Some(vec![n.name.clone()]),
        ExprKind::Member(x, m) => {
            let mut p = field_path(x)?;
            p.push(m.name.clone());
            Some(p)
        }
        _ => None,
    }
}
