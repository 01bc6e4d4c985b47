// Opens an HTML page with the history section (`history --format html`, or `check --format html
// --history DIR`) in Debian's Chromium (headless, no network), in light and in dark mode, and
// reads what its plots draw: every point's series, run and value, where it is drawn, the tables
// below the plots, and the contrast of text against the page. Takes a screenshot of each mode.
// Usage: node history.mjs PAGE.html OUT_DIR. Prints one JSON object of what it saw.
import { chromium } from "playwright-core";
import { pathToFileURL } from "node:url";
import { join } from "node:path";

const [file, out] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
const seen = { errors: [], requests: [] };
for (const scheme of ["light", "dark"]) {
  const page = await browser.newPage({ viewport: { width: 1200, height: 900 }, colorScheme: scheme });
  page.on("pageerror", (e) => seen.errors.push(String(e)));
  page.on("request", (r) => { if (!r.url().startsWith("file:") && !r.url().startsWith("data:")) seen.requests.push(r.url()); });
  await page.goto(pathToFileURL(file).href, { waitUntil: "load" });
  seen[scheme] = await page.evaluate(() => {
    const luminance = (css) => {
      const [r, g, b] = css.match(/\d+(\.\d+)?/g).slice(0, 3).map(Number).map((c) => {
        c /= 255; return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
      });
      return 0.2126 * r + 0.7152 * g + 0.0722 * b;
    };
    const contrast = (a, b) => {
      const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
      return (x + 0.05) / (y + 0.05);
    };
    const section = document.querySelector("#history");
    const card = getComputedStyle(section).backgroundColor;
    const plots = {};
    for (const svg of section.querySelectorAll("svg")) {
      const max = Number(svg.dataset.yMax), top = Number(svg.dataset.top), height = Number(svg.dataset.height);
      const points = [...svg.querySelectorAll(".point")].map((p) => {
        const value = Number(p.dataset.value);
        // Where it is drawn: a circle's centre, a bar's top.
        const y = p.tagName === "circle" ? Number(p.getAttribute("cy")) : Number(p.getAttribute("y"));
        const colour = getComputedStyle(p).fill;
        return {
          series: p.dataset.series, run: p.dataset.run, value,
          drawn_at_value: Math.abs(y - (top + height - value / max * height)) < 0.11,
          contrast: contrast(colour, card),
        };
      });
      const text = svg.querySelector("text");
      plots[svg.id] = { points, text_contrast: contrast(getComputedStyle(text).fill, card), width: svg.getBoundingClientRect().width };
    }
    const tables = {};
    for (const table of section.querySelectorAll("table.numbers")) {
      const head = [...table.querySelectorAll("thead th")].map((th) => th.textContent);
      tables[table.id] = [...table.querySelectorAll("tbody tr")].map((tr) => {
        const cells = [...tr.querySelectorAll("td")].map((td) => td.textContent);
        return Object.fromEntries(head.map((h, i) => [h, cells[i]]));
      });
    }
    return { plots, tables, background: card, body_contrast: contrast(getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor) };
  });
  await page.screenshot({ path: join(out, `history-${scheme}.png`), fullPage: true });
  await page.close();
}
await browser.close();
console.log(JSON.stringify(seen));
