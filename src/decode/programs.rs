//! The decoder's compiled fast tiers of a plan: for every struct, its fixed-layout program
//! ([`RawProgram`]) or its sequence program ([`SeqProgram`]), each for little- and
//! big-endian records. Built once from a finished plan and kept in the plan's
//! [`crate::plan::Derived`] slot, so every decoder over the same plan shares them.

use crate::plan::{ByteOrder, EndianPlan, Plan, StructId};

use super::{RawProgram, SeqProgram};

/// The compiled programs of one struct.
#[derive(Debug, Default)]
struct Compiled {
    raw: Option<Box<[RawProgram; 2]>>,
    seq: Option<Box<[SeqProgram; 2]>>,
}

/// The compiled programs of a plan's structs, indexed by [`StructId`].
#[derive(Debug, Default)]
pub struct Programs {
    structs: Vec<Compiled>,
}

impl Programs {
    /// Compiles every struct of `plan` that qualifies.
    pub fn new(plan: &Plan) -> Programs {
        let structs = plan
            .structs
            .iter()
            .map(|st| {
                let raw = st.flat.as_ref().and_then(|flat| {
                    let size = st.static_size?;
                    let build = |o| RawProgram::new(flat, size, st.tuple, o, &plan.enums);
                    Some(Box::new(match st.endian {
                        EndianPlan::Fixed(o) => [build(o)?, build(o)?],
                        _ => [build(ByteOrder::Little)?, build(ByteOrder::Big)?],
                    }))
                });
                let seq = match (&raw, &st.endian) {
                    (Some(_), _) | (None, EndianPlan::Match(..)) => None,
                    // lazy fields are decoded out of order: the general decoder's
                    _ if !st.lazy.is_empty() => None,
                    (None, endian) => {
                        let build = |o| SeqProgram::new(plan, st, o);
                        (|| {
                            Some(Box::new(match endian {
                                EndianPlan::Fixed(o) => [build(*o)?, build(*o)?],
                                _ => [build(ByteOrder::Little)?, build(ByteOrder::Big)?],
                            }))
                        })()
                    }
                };
                Compiled { raw, seq }
            })
            .collect();
        Programs { structs }
    }

    /// The programs of `plan`, compiled on first use and kept with the plan.
    pub fn of(plan: &Plan) -> &Programs {
        static EMPTY: Programs = Programs {
            structs: Vec::new(),
        };
        plan.derived
            .get_or_init(|| Programs::new(plan))
            .unwrap_or(&EMPTY)
    }

    /// Whether struct `sid` has a fixed-layout program.
    pub fn has_raw(&self, sid: StructId) -> bool {
        self.structs
            .get(sid as usize)
            .is_some_and(|c| c.raw.is_some())
    }

    /// Whether struct `sid` has a sequence program.
    pub fn has_seq(&self, sid: StructId) -> bool {
        self.structs
            .get(sid as usize)
            .is_some_and(|c| c.seq.is_some())
    }

    /// The fixed-layout program of `sid` for records in byte order `order`.
    #[inline]
    pub fn raw(&self, sid: StructId, order: ByteOrder) -> Option<&RawProgram> {
        self.structs
            .get(sid as usize)?
            .raw
            .as_ref()
            .map(|r| &r[usize::from(order != ByteOrder::Little)])
    }

    /// The sequence program of `sid` for records in byte order `order`.
    #[inline]
    pub fn seq(&self, sid: StructId, order: ByteOrder) -> Option<&SeqProgram> {
        self.structs
            .get(sid as usize)?
            .seq
            .as_ref()
            .map(|r| &r[usize::from(order != ByteOrder::Little)])
    }
}
