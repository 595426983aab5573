// Render CSL-JSON items with citeproc-js (the CSL engine of Zotero and Mendeley) for reflib's conformance check.
// stdin: {"style": "<csl xml>", "locale": "<locale xml>", "items": [...], "format": "text"|"html"}
// stdout: JSON list, one rendered bibliography entry per item (each item rendered on its own), in input order.
"use strict";
const CSL = require("citeproc");

let input = "";
process.stdin.setEncoding("utf8");
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const job = JSON.parse(input);
  const items = {};
  for (const item of job.items) items[item.id] = item;
  const sys = {
    retrieveLocale: () => job.locale,
    retrieveItem: (id) => items[id],
  };
  const engine = new CSL.Engine(sys, job.style, "en-US");
  engine.setOutputFormat(job.format || "text");
  const out = [];
  for (const item of job.items) {
    engine.updateItems([item.id]);
    const result = engine.makeBibliography();
    out.push(result ? result[1].join("").trim() : "");
  }
  process.stdout.write(JSON.stringify(out));
});
