// Compiles a .ksy (given as JSON on stdin) to Python with the Kaitai Struct compiler's
// JavaScript build (the npm package kaitai-struct-compiler): node ksc_python.js COMPILER OUTDIR
const fs = require("fs");
const path = require("path");
const Compiler = require(process.argv[2]);
const compiler = typeof Compiler === "function" ? new Compiler() : Compiler;
let input = "";
process.stdin.on("data", (d) => (input += d));
process.stdin.on("end", () => {
  compiler
    .compile("python", JSON.parse(input), null, false)
    .then((files) => {
      for (const [name, text] of Object.entries(files)) {
        fs.writeFileSync(path.join(process.argv[3], name), text);
      }
    })
    .catch((e) => {
      console.error("kaitai-struct-compiler: " + e);
      process.exit(1);
    });
});
