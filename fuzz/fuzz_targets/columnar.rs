//! Columnar outputs from a descriptor and data (split at the first 0xFF byte, as in
//! `descriptor_data`). When the root struct has a column shape, its records go through the
//! NDJSON writer and through the Arrow batch builder: never a panic, the same outcome, the
//! same number of rows and of non-null values in each; the batches then go through the CSV,
//! Arrow IPC and Parquet writers, and the IPC stream reads back to the same batches.
#![no_main]

use arrow_array::cast::AsArray;
use arrow_array::{Array, RecordBatch};
use arrow_schema::DataType;
use libfuzzer_sys::fuzz_target;
use unstruct::columnar::{self, BatchWrite};
use unstruct::decode::{Input, Options};
use unstruct::emit::json::{JsonOptions, JsonWriter, Style};
use unstruct::records::{self, OnError, RecordsConfig};


const OPTS: Options = Options {
    max_depth: 64,
    max_values: Some(100_000),
    lossy: false,
};

/// Non-null scalars of a JSON value (NDJSON leaves an absent field out; a tuple struct is
/// an array).
fn json_values(v: &serde_json::Value) -> usize {
    match v {
        serde_json::Value::Null => 0,
        serde_json::Value::Array(a) => a.iter().map(json_values).sum(),
        serde_json::Value::Object(o) => o.values().map(json_values).sum(),
        _ => 1,
    }
}

/// Non-null values in the leaves of a column.
fn arrow_values(a: &dyn Array) -> usize {
    match a.data_type() {
        DataType::Struct(_) => {
            let s = a.as_struct();
            s.columns().iter().map(|c| arrow_values(c.as_ref())).sum()
        }
        DataType::List(_) => {
            let l = a.as_list::<i32>();
            let mut n = 0;
            for i in 0..l.len() {
                if l.is_valid(i) {
                    n += arrow_values(l.value(i).as_ref());
                }
            }
            n
        }
        _ => a.len() - a.null_count(),
    }
}

fn batch_values(b: &RecordBatch) -> usize {
    b.columns().iter().map(|c| arrow_values(c.as_ref())).sum()
}

fuzz_target!(|input: &[u8]| {
    let split = input.iter().position(|&b| b == 0xff).unwrap_or(input.len());
    let text = String::from_utf8_lossy(&input[..split]);
    let data = input.get(split + 1..).unwrap_or_default();
    let Ok(plan) = unstruct::lang::compile_str("fuzz.struct", &text) else {
        return;
    };
    let sid = plan.root;
    if plan.structs[sid as usize].params > 0 {
        return;
    }
    let Ok(shape) = columnar::record_shape(&plan, sid) else {
        return;
    };
    let flags = data.last().copied().unwrap_or(0);
    let cfg = RecordsConfig {
        count: Some(500),
        allow_remainder: flags & 2 != 0,
        on_error: if flags & 4 != 0 {
            OnError::Skip
        } else {
            OnError::Stop
        },
        ..RecordsConfig::default()
    };

    let mut w = JsonWriter::new(
        Vec::new(),
        JsonOptions {
            style: Style::Ndjson,
            ..JsonOptions::default()
        },
    );
    let json = records::run_slice(&plan, sid, Input::whole(data), OPTS, &cfg, &mut w, &mut |_, _, _| {});
    let out = w.into_inner();
    let lines: Vec<serde_json::Value> = out
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| serde_json::from_slice(l).expect("NDJSON line"))
        .collect();

    let mut b = columnar::BatchBuilder::new(&shape);
    let col = records::run_slice(&plan, sid, Input::whole(data), OPTS, &cfg, &mut b, &mut |_, _, _| {});
    let schema = b.schema();
    let batch = b.take_batch().expect("a batch of the rows collected");
    // the same outcome as the JSON writer, unless a value did not fit its column
    match (&json, &col) {
        (Ok(a), Ok(c)) => {
            assert_eq!(a, c, "summaries differ");
            assert_eq!(batch.num_rows(), lines.len(), "rows differ from the NDJSON");
            let want: usize = lines.iter().map(json_values).sum();
            assert_eq!(batch_values(&batch), want, "non-null values differ from the NDJSON");
        }
        (Err(a), Err(c)) => {
            if c.data().is_some() {
                assert_eq!(a.to_string(), c.to_string(), "errors differ");
            }
        }
        (Ok(_), Err(c)) => assert!(c.data().is_none(), "only the columnar run failed: {c}"),
        (Err(a), Ok(_)) => panic!("only the JSON run failed: {a}"),
    }

    // the library's iterator, in batches of 7 rows: the same rows as one batch
    let mut batches = Vec::new();
    if let Ok(iter) = columnar::record_batches(&plan, sid, data, OPTS, 7) {
        for r in iter.take(80) {
            match r {
                Ok(bt) => batches.push(bt),
                Err(_) => break,
            }
        }
    }
    if cfg.on_error == OnError::Stop && !cfg.allow_remainder && col.is_ok() && json.is_ok() {
        let rows: usize = batches.iter().map(|b| b.num_rows()).sum();
        if lines.len() < 500 && rows < 7 * 80 {
            assert_eq!(rows, lines.len(), "the iterator's rows differ");
            let got: usize = batches.iter().map(batch_values).sum();
            assert_eq!(got, batch_values(&batch), "the iterator's values differ");
        }
    }

    // every writer takes the batches
    let fmt = columnar::CsvFormat {
        sep: b',',
        bytes: unstruct::emit::BytesStyle::Hex,
    };
    let mut text = Vec::new();
    fmt.format(&batch, &mut text);
    let mut ipc = columnar::IpcWriter::new(Vec::new(), &schema).expect("IPC header");
    let mut pq = columnar::ParquetWriter::new(Vec::new(), &schema, 2).expect("Parquet header");
    for bt in batches.iter().chain([&batch]) {
        ipc.write(bt.clone()).expect("IPC batch");
        pq.write(bt.clone()).expect("Parquet batch");
    }
    ipc.close().expect("IPC end");
    pq.close().expect("Parquet footer");
});
