//! Positions of values for sinks that show them ([`Sink::POSITIONS`]): where each written
//! value starts and ends, down to the bit.

use super::{DResult, Decoder};
use crate::decode::Value;
use crate::emit::{BitPos, Sink};
use crate::plan::TypePlan;

impl<S: Sink> Decoder<'_, '_, '_, S> {
    /// The cursor as an absolute position.
    fn bit_pos(&self) -> BitPos {
        BitPos {
            byte: self.abs(self.pos),
            bit: self.bitpos as u8,
        }
    }

    /// [`Decoder::decode_type`] for a written value, between `value_start` and `value_end`.
    /// A `match` is not a value of its own: its arm is.
    pub(super) fn decode_type_placed(&mut self, ty: &TypePlan, want: bool) -> DResult<Value> {
        if matches!(ty, TypePlan::Match(_)) {
            return self.decode_type_in(ty, want, true);
        }
        // types that read whole bytes start at the next byte boundary; bit fields, structs
        // and arrays go on from the bit where the cursor is
        let unaligned = matches!(
            ty,
            TypePlan::Bits { .. }
                | TypePlan::Struct { .. }
                | TypePlan::Array(_)
                | TypePlan::Computed(_)
        );
        let mut start = self.bit_pos();
        if !unaligned && start.bit != 0 {
            start = BitPos {
                byte: start.byte + 1,
                bit: 0,
            };
        }
        self.sink.value_start(start);
        let v = self.decode_type_in(ty, want, true)?;
        let end = self.bit_pos().max(start);
        let lo = (start.byte - self.base) as usize;
        let hi = (end.byte - self.base) as usize + usize::from(end.bit > 0);
        let bytes = self
            .data
            .get(lo..hi.min(self.data.len()))
            .unwrap_or_default();
        self.sink.value_end(end, bytes);
        Ok(v)
    }
}
