// Validate glTF files with the Khronos glTF validator: `node validate.js FILE...`.
// Prints one JSON report per file (the validator's own format) as a JSON array; exits 1 when any
// file has errors, 2 when a file cannot be read. tests/world/test_mesh.py runs it.
"use strict";
const fs = require("fs");
const validator = require("gltf-validator");

async function main(paths) {
  if (paths.length === 0) {
    console.error("usage: node validate.js FILE.glb...");
    process.exit(2);
  }
  const reports = [];
  for (const path of paths) {
    let bytes;
    try {
      bytes = new Uint8Array(fs.readFileSync(path));
    } catch (e) {
      console.error(`cannot read ${path}: ${e.message}`);
      process.exit(2);
    }
    reports.push(await validator.validateBytes(bytes, { uri: path, maxIssues: 100 }));
  }
  console.log(JSON.stringify(reports));
  process.exit(reports.some((r) => r.issues.numErrors > 0) ? 1 : 0);
}

main(process.argv.slice(2));
