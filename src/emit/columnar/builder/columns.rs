//! The builder's side of the column tier ([`crate::emit::columns`]): runs of records come
//! column by column and go straight into the typed column buffers.

use crate::emit::columns::{ColumnsOut, FieldBytes, Value};
use crate::emit::record::NumKind;

use super::{BatchBuilder, Buf};

impl BatchBuilder {
    /// The node of the record's column `col`.
    fn column(&self, col: u32) -> Option<usize> {
        match &self.nodes.first()?.buf {
            Buf::Struct { children } => children.get(col as usize).copied(),
            _ => None,
        }
    }

    /// Cuts every column of the record back to `rows` rows.
    fn cut_columns(&mut self, rows: usize) {
        let children = match &self.nodes[0].buf {
            Buf::Struct { children } => children.clone(),
            _ => return,
        };
        for c in children {
            self.truncate(c, rows);
        }
    }
}

impl ColumnsOut for BatchBuilder {
    fn begin(&mut self, _rows: usize, cols: u32) -> bool {
        let fits = matches!(&self.nodes[0].buf, Buf::Struct { children } if children.len() == cols as usize);
        if !fits {
            self.columns_off = true;
            return false;
        }
        self.run_start = self.rows();
        true
    }

    fn numbers(&mut self, col: u32, kind: NumKind, f: FieldBytes<'_>) -> bool {
        use NumKind::*;
        let Some(id) = self.column(col) else {
            return false;
        };
        let node = &mut self.nodes[id];
        // the column's type must be the number's exactly (the plan makes them so)
        let ok = match (&mut node.buf, kind) {
            (Buf::U8(v), U8) => f.gather(kind, v),
            (Buf::I8(v), I8) => f.gather(kind, v),
            (Buf::U16(v), U16Le | U16Be) => f.gather(kind, v),
            (Buf::I16(v), I16Le | I16Be) => f.gather(kind, v),
            (Buf::U32(v), U32Le | U32Be) => f.gather(kind, v),
            (Buf::I32(v), I32Le | I32Be) => f.gather(kind, v),
            (Buf::U64(v), U64Le | U64Be) => f.gather(kind, v),
            (Buf::I64(v), I64Le | I64Be) => f.gather(kind, v),
            (Buf::F32(v), F32Le | F32Be) => f.gather(kind, v),
            (Buf::F64(v), F64Le | F64Be) => f.gather(kind, v),
            _ => false,
        };
        if ok {
            node.nulls.append_n_non_nulls(f.rows());
        }
        ok
    }

    fn texts(
        &mut self,
        col: u32,
        f: FieldBytes<'_>,
        z: bool,
        ascii: bool,
        trim: Option<&[u8]>,
    ) -> Result<bool, (usize, usize)> {
        let Some(id) = self.column(col) else {
            return Ok(false);
        };
        let node = &mut self.nodes[id];
        let Buf::Var {
            offsets,
            data,
            binary: false,
        } = &mut node.buf
        else {
            return Ok(false);
        };
        match f.texts(z, ascii, trim, offsets, data) {
            Ok(()) => {
                node.nulls.append_n_non_nulls(f.rows());
                Ok(true)
            }
            Err((r, p)) => {
                node.nulls.append_n_non_nulls(r);
                Err((r, p))
            }
        }
    }

    fn bytes(&mut self, col: u32, f: FieldBytes<'_>) -> bool {
        let Some(id) = self.column(col) else {
            return false;
        };
        let node = &mut self.nodes[id];
        let Buf::Var {
            offsets,
            data,
            binary: true,
        } = &mut node.buf
        else {
            return false;
        };
        f.binary(offsets, data);
        node.nulls.append_n_non_nulls(f.rows());
        true
    }

    fn values(&mut self, col: u32, v: &[Value<'_>]) -> bool {
        let Some(id) = self.column(col) else {
            return false;
        };
        // the general path's own pushes, value by value
        for x in v {
            match *x {
                Value::Int(i) => self.int_into(id, i),
                Value::F32(f) => self.f32_into(id, f),
                Value::F64(f) => self.float_into(id, f),
                Value::Bool(b) => self.bool_into(id, b),
                Value::Name(n) => self.str_into(id, n),
            }
        }
        self.problem.is_none()
    }

    fn end(&mut self, rows: usize) {
        let total = self.run_start + rows;
        self.cut_columns(total);
        self.nodes[0].nulls.append_n_non_nulls(rows);
    }

    fn abort(&mut self) {
        self.cut_columns(self.run_start);
        self.problem = None;
        self.columns_off = true;
    }
}
