//! `parent E` on a field (Kaitai Struct's `parent:`): inside the struct the field decodes,
//! `parent` is struct E instead of the struct that holds the field. `parent` is the frame
//! below the innermost one, so the frame stack is cut back to E (or E is pushed, when it is
//! not on it) while the struct is decoded, and restored afterwards.

use super::{DResult, Decoder, Value};
use crate::emit::Sink;
use crate::error::DataErrorKind;
use crate::plan::{ExprId, SpecPlan, StructId, TypePlan};

/// The frames a `parent E` took off the stack.
pub(super) struct Saved {
    /// The stack's length with E on top (what the struct's own frame goes above).
    len: usize,
    /// E was pushed (it was not on the stack): it is popped again.
    pushed: bool,
    /// The frames above E, put back afterwards.
    tail: Vec<(u32, StructId)>,
}

impl<S: Sink> Decoder<'_, '_, '_, S> {
    /// Decodes field spec `spec` whose struct has `parent` = the value of `p`.
    pub(super) fn decode_with_parent(
        &mut self,
        spec: &SpecPlan,
        p: ExprId,
        want: bool,
        emit: bool,
    ) -> DResult<(Value, u64)> {
        let Value::Struct { frame, sid } = self.eval(p)? else {
            return Err(self.err(DataErrorKind::Type("`parent` needs a struct".into())));
        };
        let TypePlan::Struct { id, .. } = &spec.ty else {
            return self.decode_spec_plain(spec, want, emit);
        };
        let mark = self.parent_saved.len();
        let outer = self.parent_override.replace(((frame, sid), *id));
        let r = self.decode_spec_plain(spec, want, emit);
        self.parent_override = outer;
        if self.parent_saved.len() > mark
            && let Some(s) = self.parent_saved.pop()
        {
            // (after an error the struct's own frames may still be on the stack)
            self.st.frames.truncate(s.len);
            if s.pushed {
                self.st.frames.pop();
            }
            self.st.frames.extend(s.tail);
        }
        r
    }

    /// Called where struct `sid` pushes its frame: when a `parent E` is pending for it, the
    /// stack is made to end with E.
    pub(super) fn reparent(&mut self, sid: StructId) {
        let Some((p, for_sid)) = self.parent_override else {
            return;
        };
        if for_sid != sid {
            return;
        }
        self.parent_override = None;
        let frames = &mut self.st.frames;
        let saved = match frames.iter().rposition(|&f| f == p) {
            Some(i) => Saved {
                len: i + 1,
                pushed: false,
                tail: frames.split_off(i + 1),
            },
            None => {
                frames.push(p);
                Saved {
                    len: frames.len(),
                    pushed: true,
                    tail: Vec::new(),
                }
            }
        };
        self.parent_saved.push(saved);
    }
}
