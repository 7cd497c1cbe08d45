//! Decodes a file with a descriptor into a JSON tree (a quick way to try the library).
//! usage: cargo run --example tree DESCRIPTOR FILE
fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    let (desc, file) = (&args[1], &args[2]);
    let text = std::fs::read_to_string(desc)?;
    let plan = unstruct::lang::compile_str(desc, &text).map_err(|e| e.to_string())?;
    let data = std::fs::read(file)?;
    let mut sink = unstruct::emit::tree::TreeSink::default();
    let r = unstruct::decode::decode_document(
        &plan,
        unstruct::Input::whole(&data),
        Default::default(),
        &mut sink,
    );
    for v in &sink.values {
        println!("{}", serde_json::to_string_pretty(v)?);
    }
    if let Err(e) = r {
        eprintln!("error: {e}");
    }
    Ok(())
}
