// Opens an HTML report of `ssoaudit check` in Debian's Chromium (headless, no network), reads
// what it shows, works its filters and its access matrix as a user would, and takes
// screenshots. Usage: node report.mjs REPORT.html OUT_DIR [ACCOUNT GROUP [OTHER_GROUP]]
// Prints one JSON object of what it saw; exits non-zero on a script error in the page.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [report, out, account, group, otherGroup] = process.argv.slice(2);
const started = Date.now();
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const page = await browser.newPage({ viewport: { width: 1400, height: 1000 } });
const errors = [];
const requests = [];
page.on("pageerror", (e) => errors.push(String(e)));
page.on("console", (m) => { if (m.type() === "error") errors.push(m.text()); });
page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) requests.push(r.url()); });
const loadStart = Date.now();
await page.goto(pathToFileURL(report).href, { waitUntil: "load" });
await page.waitForSelector("#finding-count:not(:empty)");
const renderMs = Date.now() - loadStart;
const seen = {};
seen.render_ms = renderMs;
seen.summary = await page.textContent("#summary");
seen.finding_count = await page.textContent("#finding-count");
seen.finding_rows = await page.locator("#finding-table tbody tr").count();
seen.severities = await page.$$eval("#finding-table tbody tr", (rows) => rows.map((r) => r.dataset.severity));
seen.gap_rows = await page.locator("#gaps-body tbody tr").count();
seen.gaps_alert = (await page.getAttribute("#gaps", "role")) === "alert";
seen.matrix_count = await page.textContent("#matrix-count");
seen.matrix_columns = await page.locator("#matrix-table thead th").count();
seen.matrix_rows = await page.locator("#matrix-table tbody tr").count();
seen.set_rows = await page.locator("#set-table tbody tr").count();
seen.coverage = await page.textContent("#coverage-body");
await page.screenshot({ path: join(out, "overview.png") });

// Filters, with the keyboard and the mouse as a user would.
if (await page.locator('#f-severity option[value="critical"]').count()) {
  await page.selectOption("#f-severity", "critical");
  seen.critical_rows = await page.locator("#finding-table tbody tr").count();
  seen.critical_count = await page.textContent("#finding-count");
  seen.critical_all = (await page.$$eval("#finding-table tbody tr", (rows) => rows.map((r) => r.dataset.severity))).every((s) => s === "critical");
  await page.selectOption("#f-severity", "");
}
await page.focus("#f-text");
await page.keyboard.type("breakglass");
seen.search_rows = await page.locator("#finding-table tbody tr").count();
seen.search_text = await page.$$eval("#finding-table tbody tr", (rows) => rows.map((r) => r.textContent));
await page.fill("#f-text", "");
seen.after_clear_rows = await page.locator("#finding-table tbody tr").count();

// The matrix: one account, one cell opened to the users behind it.
if (account) {
  await page.fill("#m-account", account);
  seen.matrix_filtered_rows = await page.locator("#matrix-table tbody tr").count();
  if (group) await page.fill("#m-group", group);
  const cell = page.locator("#matrix-table tbody details").first();
  seen.cell_chips = await cell.locator("summary .chip").allTextContents();
  seen.cell_classes = await cell.locator("summary .chip").evaluateAll((chips) => chips.map((c) => c.className));
  await cell.locator("summary").focus();
  await page.keyboard.press("Enter");
  seen.cell_open = await cell.evaluate((d) => d.open);
  seen.cell_users = await cell.locator("li").allTextContents();
  if (otherGroup) {
    await page.fill("#m-group", otherGroup);
    const other = page.locator("#matrix-table tbody details").first();
    seen.other_chips = await other.locator("summary .chip").allTextContents();
    seen.other_classes = await other.locator("summary .chip").evaluateAll((chips) => chips.map((c) => c.className));
  }
  await page.locator("#matrix").scrollIntoViewIfNeeded();
  await page.fill("#m-group", "");
  await page.fill("#m-account", "");
  await page.locator("#matrix-table tbody details").first().evaluate((d) => { d.open = true; });
  await page.locator("#matrix").screenshot({ path: join(out, "matrix.png") });
}
seen.errors = errors;
seen.requests = requests;
seen.total_ms = Date.now() - started;
await browser.close();
console.log(JSON.stringify(seen));
