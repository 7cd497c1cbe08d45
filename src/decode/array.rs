//! Arrays: counted, until, while and to-the-end repeats, their elements (through the
//! compiled programs where a struct has one) and kept arrays.

use super::*;

impl<'a, 'p, 's, S: Sink> Decoder<'a, 'p, 's, S> {
    pub(super) fn decode_array(&mut self, a: &ArrayPlan, want: bool, emit: bool) -> DResult<Value> {
        self.enter()?;
        let keep = want && a.keep;
        let pending = self.pending_array.take();
        let arr_id = if keep {
            Some(pending.unwrap_or_else(|| self.new_array()))
        } else {
            None
        };
        // the array's own name inside its elements refers to the elements so far
        let count = match &a.len {
            LenPlan::Rest => None,
            LenPlan::Fixed(n) => Some(*n as i128),
            LenPlan::Expr(e) => Some(self.eval_int(*e)?),
        };
        if let Some(n) = count {
            if n < 0 {
                return Err(self.err(DataErrorKind::NegativeLength(n)));
            }
            let left = self.remaining() as u64;
            let need = (n as u128).saturating_mul(a.min_elem as u128);
            // holes (`each if`) and elements elsewhere (`each at`) need no bytes here
            if a.each_at.is_none() && a.each_if.is_none() && need > left as u128 {
                return Err(self.err(DataErrorKind::CountTooLarge {
                    count: n,
                    need,
                    left,
                }));
            }
        }
        if emit {
            self.sink.begin_array();
        }
        self.st.index.push(0);
        let elem_want = keep || a.until.is_some();
        // elements that are plain structs, which a compiled program may write straight into
        // a sink that takes compiled values (see `try_raw_elem`, `try_seq_elem`)
        let fast = match &a.elem.ty {
            TypePlan::Struct { id, args }
                if emit
                    && !elem_want
                    && a.each_if.is_none()
                    && a.each_at.is_none()
                    && a.each_size.is_none()
                    && a.elem.if_.is_none()
                    && a.elem.at.is_none()
                    && a.elem.size.is_none()
                    && a.elem.valid.is_none()
                    && a.elem.process.is_none()
                    && a.elem.parent.is_none()
                    && self.plan.structs[*id as usize].lazy.is_empty() =>
            {
                if args.is_empty() && self.progs.has_raw(*id) {
                    Some((*id, &args[..], true))
                } else if self.progs.has_seq(*id) {
                    Some((*id, &args[..], false))
                } else {
                    None
                }
            }
            _ => None,
        };
        let mut i: u64 = 0;
        loop {
            match count {
                Some(n) => {
                    if i as i128 >= n {
                        break;
                    }
                }
                None => {
                    if let Some(w) = a.while_ {
                        if self.remaining() == 0 {
                            break;
                        }
                        *self.st.index.last_mut().unwrap_or(&mut 0) = i;
                        let c = self.eval(w)?;
                        if !self.truthy(c)? {
                            break;
                        }
                    } else if self.remaining() == 0 && self.bitpos == 0 {
                        if a.until.is_some() {
                            return Err(self.err(DataErrorKind::UntilEnd));
                        }
                        break;
                    }
                }
            }
            if let Some(ix) = self.st.index.last_mut() {
                *ix = i;
            }
            if self.pos >= self.progress_next {
                self.progress_at(self.pos);
                self.progress_next = self.pos + (1 << 20);
            }
            if self.sink.failed() {
                return Err(self.err(DataErrorKind::OutputFailed));
            }
            if let Some((id, args, raw)) = fast
                && (if raw {
                    self.try_raw_elem(id)
                } else {
                    self.try_seq_elem(id, args)
                })
            {
                i += 1;
                continue;
            }
            let before = (self.pos, self.bitpos);
            let v = self
                .decode_elem(a, elem_want, emit)
                .map_err(|e| e.in_index(i))?;
            // an element that consumed nothing ends the array only through `until`
            let stuck = count.is_none() && a.each_at.is_none() && (self.pos, self.bitpos) == before;
            if let Some(id) = arr_id {
                self.st.arrays[id as usize].push(v);
                // keep the slot's view current for expressions inside later elements
            }
            if let Some(u) = a.until {
                let saved = std::mem::replace(&mut self.this, v);
                let done = self.eval(u).and_then(|r| self.truthy(r));
                self.this = saved;
                if done.map_err(|e| e.in_index(i))? {
                    break;
                }
            }
            if stuck {
                return Err(self.err(DataErrorKind::NoProgress { index: i }));
            }
            i += 1;
        }
        self.st.index.pop();
        if emit {
            self.sink.end_array();
        }
        self.depth -= 1;
        Ok(match arr_id {
            Some(id) => Value::Array(id),
            None => Value::Absent,
        })
    }

    /// An array element that is struct `id` (no arguments), a fixed layout written by its
    /// compiled program; false (nothing written, nothing moved) when the sink takes no
    /// compiled values here or the element needs the general path (too few bytes left, bad
    /// text: the general path reports it). Counts what the general path would: the
    /// element's value and its fields.
    #[inline]
    pub(super) fn try_raw_elem(&mut self, id: StructId) -> bool {
        let plan = self.plan;
        let sp = &plan.structs[id as usize];
        let order = match sp.endian {
            EndianPlan::Fixed(o) => o,
            EndianPlan::Inherit => self.order,
            EndianPlan::Match(..) => return false,
        };
        let (Some(flat), Some(prog)) = (&sp.flat, self.progs.raw(id, order)) else {
            return false;
        };
        let size = prog.size();
        if self.opts.lossy
            || self.bitpos != 0
            || size == 0
            || size > self.remaining()
            || self.depth + 1 > self.opts.max_depth
            || self.budget + 1 + flat.len() as u64 > self.budget_limit
        {
            return false;
        }
        let rec = &self.data[self.pos..self.pos + size];
        let Some(out) = self.sink.raw_value() else {
            return false;
        };
        match prog.write(out, flat, rec, &plan.enums, false) {
            Ok(()) => {
                self.sink.raw_done();
                self.pos += size;
                self.budget += 1 + flat.len() as u64;
                true
            }
            Err(_) => {
                self.sink.raw_abort();
                false
            }
        }
    }

    /// An array element that is struct `id` called with `args`, written by the struct's
    /// sequence program when it has one and the element decodes cleanly; false (nothing
    /// written, nothing moved) otherwise, and the general path decodes the element. Counts
    /// what the general path would: the element's value, its fields, its depth.
    #[inline]
    pub(super) fn try_seq_elem(&mut self, id: StructId, args: &[ExprId]) -> bool {
        let plan = self.plan;
        let sp = &plan.structs[id as usize];
        let order = match sp.endian {
            EndianPlan::Fixed(o) => o,
            EndianPlan::Inherit => self.order,
            EndianPlan::Match(..) => return false,
        };
        let Some(prog) = self.progs.seq(id, order) else {
            return false;
        };
        if self.opts.lossy
            || self.bitpos != 0
            || self.depth + 1 + prog.depth() > self.opts.max_depth
            || self.budget + 1 + prog.values() > self.budget_limit
        {
            return false;
        }
        // an argument that fails to evaluate fails the same way on the general path
        let Ok(argv) = self.eval_args(args) else {
            return false;
        };
        let (data, pos, base) = (&self.data[..self.end], self.pos, self.base);
        let Some(out) = self.sink.raw_value() else {
            return false;
        };
        // an element of no bytes is the general path's to report (in `[..]` arrays)
        match prog.write(out, data, pos, base, &argv, &plan.enums, false, true) {
            Some((next, ticks)) => {
                self.sink.raw_done();
                self.pos = next;
                self.budget += 1 + ticks;
                true
            }
            _ => {
                self.sink.raw_abort();
                false
            }
        }
    }

    pub(super) fn decode_elem(&mut self, a: &ArrayPlan, want: bool, emit: bool) -> DResult<Value> {
        if let Some(c) = a.each_if {
            let v = self.eval(c)?;
            if !self.truthy(v)? {
                // holes count against the budget, so a huge count of holes stops early
                self.tick()?;
                return Ok(Value::Absent);
            }
        }
        if a.each_at.is_none() && a.each_size.is_none() {
            return Ok(self.decode_spec(&a.elem, want, emit)?.0);
        }
        let outer = SpecPlan {
            ty: TypePlan::Computed(0),
            if_: None,
            at: a.each_at,
            io: None,
            size: a.each_size,
            valid: None,
            process: None,
            parent: None,
        };
        let (v, _) = self.with_regions(&outer, |d| Ok(d.decode_spec(&a.elem, want, emit)?.0))?;
        Ok(v)
    }

    pub(super) fn new_array(&mut self) -> u32 {
        let id = self.st.arrays_used;
        if (id as usize) < self.st.arrays.len() {
            self.st.arrays[id as usize].clear();
        } else {
            self.st.arrays.push(Vec::new());
        }
        self.st.arrays_used += 1;
        id
    }
}
