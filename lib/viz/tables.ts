/**
 * Arquero tables to CSV, Markdown and HTML.
 *
 * @example
 * ```ts
 * import { tableToMarkdown } from "./tables.ts";
 * import * as aq from "arquero";
 * const md = tableToMarkdown(aq.table({ a: [1], b: ["x"] }));
 * console.log(md.split("\n")); // [ "| a | b |", "| --- | --- |", "| 1 | x |" ]
 * ```
 * @module
 */
import type { ColumnTable } from "arquero";

function cell(v: unknown, digits = 4): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return String(v);
    if (Number.isInteger(v)) return String(v);
    return Math.abs(v) >= 1000 ? v.toFixed(1) : Number(v.toPrecision(digits)).toString();
  }
  return String(v);
}

/**
 * @param table an arquero table
 * @returns RFC 4180 CSV with a header row (full precision numbers)
 * @example
 * ```ts
 * import { tableToCsv } from "./tables.ts";
 * import * as aq from "arquero";
 * console.log(tableToCsv(aq.table({ a: [1, 2] }))); // "a\n1\n2\n"
 * ```
 */
export function tableToCsv(table: ColumnTable): string {
  const names = table.columnNames();
  const esc = (v: unknown) => {
    const s = v === null || v === undefined ? "" : String(v);
    return /[",\n\r]/.test(s) ? `"${s.replaceAll('"', '""')}"` : s;
  };
  const lines = [names.map(esc).join(",")];
  for (const row of table.objects()) {
    lines.push(names.map((n) => esc((row as Record<string, unknown>)[n])).join(","));
  }
  return lines.join("\n") + "\n";
}

/**
 * @param table an arquero table
 * @returns a GitHub Markdown table (numbers to 4 significant digits)
 * @example
 * ```ts
 * import { tableToMarkdown } from "./tables.ts";
 * import * as aq from "arquero";
 * console.log(tableToMarkdown(aq.table({ a: [1.23456] })).split("\n")[2]); // | 1.235 |
 * ```
 */
export function tableToMarkdown(table: ColumnTable): string {
  const names = table.columnNames();
  const esc = (s: string) => s.replaceAll("|", "\\|").replaceAll("\n", " ");
  const lines = [`| ${names.map(esc).join(" | ")} |`, `| ${names.map(() => "---").join(" | ")} |`];
  for (const row of table.objects()) {
    lines.push(
      `| ${names.map((n) => esc(cell((row as Record<string, unknown>)[n]))).join(" | ")} |`,
    );
  }
  return lines.join("\n");
}

/**
 * @param table an arquero table
 * @param caption optional caption
 * @returns an HTML `<table>` element (no page, no global styles), for notebooks and pages
 * @example
 * ```ts
 * import { tableToHtmlFragment } from "./tables.ts";
 * import * as aq from "arquero";
 * console.log(tableToHtmlFragment(aq.table({ a: [1] })).startsWith("<table")); // true
 * ```
 */
export function tableToHtmlFragment(table: ColumnTable, caption?: string): string {
  const names = table.columnNames();
  const esc = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  const td = "border:1px solid #ccc;padding:3px 8px;text-align:right";
  const rows = table.objects().map((r) =>
    `<tr>${
      names.map((n) => `<td style="${td}">${esc(cell((r as Record<string, unknown>)[n]))}</td>`)
        .join("")
    }</tr>`
  );
  return `<table style="border-collapse:collapse;font-family:sans-serif;font-size:13px">` +
    `${caption ? `<caption style="text-align:left">${esc(caption)}</caption>` : ""}<thead><tr>${
      names.map((n) => `<th style="${td}">${esc(n)}</th>`).join("")
    }</tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

/**
 * @param table an arquero table
 * @param caption optional caption
 * @returns a standalone HTML page with the table
 * @example
 * ```ts
 * import { tableToHtml } from "./tables.ts";
 * import * as aq from "arquero";
 * console.log(tableToHtml(aq.table({ a: [1] })).includes("<table")); // true
 * ```
 */
export function tableToHtml(table: ColumnTable, caption?: string): string {
  return `<!doctype html><meta charset="utf-8"><title>${
    caption ? caption.replaceAll("<", "&lt;") : "table"
  }</title>\n${tableToHtmlFragment(table, caption)}\n`;
}
