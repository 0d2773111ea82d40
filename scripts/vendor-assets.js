// Copies the installed front-end assets into static/vendor/ (git-ignored), so Flask
// serves them from our own origin. Run by `npm ci` as its postinstall step.
const fs = require("fs");
const path = require("path");

const root = path.resolve(__dirname, "..");
const target = path.join(root, "static", "vendor");
const assets = [["htmx.org/dist/htmx.min.js", "htmx.min.js"]];

fs.mkdirSync(target, { recursive: true });
for (const [from, to] of assets) {
  fs.copyFileSync(path.join(root, "node_modules", from), path.join(target, to));
}
console.log(`copied ${assets.length} asset(s) to static/vendor/`);
