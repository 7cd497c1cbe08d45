//! A whole-file decode written as one JSON document, or through `--select` and `--partial`.

use std::io::Write;

use unstruct::decode::{self, Input};
use unstruct::emit::Sink;
use unstruct::emit::json::JsonWriter;
use unstruct::emit::partial::Partial;
use unstruct::error::{DataError, DataErrorKind, PathSeg};
use unstruct::records::{RunError, Summary};
use unstruct::select::{Select, Step};

use super::Job;

/// Decodes the document of `input` (at file offset `base`) into `w`.
pub fn run<W: Write>(
    job: &Job,
    input: Input,
    base: u64,
    w: &mut JsonWriter<W>,
) -> Result<Summary, RunError> {
    if job.select.is_some() {
        return run_select(job, input, base, w);
    }
    let plan = &job.plan;
    let opts = job.opts;
    if job.partial {
        let mut p = Partial::new(w);
        return match decode::decode_document(plan, input, opts, &mut p) {
            Ok(_) => {
                w.end_record().map_err(RunError::Output)?;
                w.finish().map_err(RunError::Output)?;
                Ok(Summary::default())
            }
            Err(e) => {
                p.fail(&e, base).map_err(RunError::Output)?;
                Err(RunError::Data(e))
            }
        };
    }
    match decode::decode_document(plan, input, opts, w) {
        Ok(_) => {
            w.end_record().map_err(RunError::Output)?;
            w.finish().map_err(RunError::Output)?;
            Ok(Summary::default())
        }
        // what was decoded is written, unterminated, so it cannot pass for complete
        Err(e) => Err(RunError::Data(e)),
    }
}

/// Decodes the document of `input` into `w` through `--select`: only the values at the path
/// reach `w`, each ended as a record (a JSON value or NDJSON line, or a columnar row).
pub fn run_select<S: Sink>(
    job: &Job,
    input: Input,
    base: u64,
    w: &mut S,
) -> Result<Summary, RunError> {
    let (plan, opts) = (&job.plan, job.opts);
    let Some(path) = &job.select else {
        return Ok(Summary::default());
    };
    let mut sel = Select::new(w, path);
    match decode::decode_document(plan, input, opts, &mut sel) {
        Ok(_) if sel.found == 0 && !(path.has_all() && sel.reached_all) => {
            let mut e = DataError::new(
                base + input.data.len() as u64,
                DataErrorKind::Type("--select found no value at this path".into()),
            );
            e.path = path
                .steps
                .iter()
                .map(|s| match s {
                    Step::Field(n) => PathSeg::Field(n.clone()),
                    Step::Index(i) => PathSeg::Index(*i),
                    Step::All => PathSeg::Field("*".into()),
                })
                .collect();
            // reported with file offsets by the caller
            e.offset = input.data.len() as u64;
            Err(RunError::Data(e))
        }
        Ok(_) => {
            w.finish().map_err(RunError::Output)?;
            Ok(Summary::default())
        }
        Err(e) => {
            sel.fail(&e, base, job.partial).map_err(RunError::Output)?;
            Err(RunError::Data(e))
        }
    }
}
