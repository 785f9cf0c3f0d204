// The result table (Markdown, so docs/PERFORMANCE.md can take it as it is).
export interface Row {
  scenario: string;
  rps?: number | undefined;
  p50?: number | undefined;
  p99?: number | undefined;
  /** requests/s relative to the baseline measured in the same run. */
  ratio?: number | undefined;
  /** Highest RSS per process during the scenario, bytes. */
  rss: Record<string, number>;
  /** Average cores used by other work on the machine meanwhile. */
  foreignCores: number;
  target: string;
  met: boolean | undefined;
  notes: string;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined || Number.isNaN(v) ? '–' : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const mb = (bytes: number | undefined) => (bytes === undefined ? '–' : String(Math.round(bytes / 2 ** 20)));

export function markdownTable(rows: Row[]): string {
  const head =
    '| scenario | req/s | p50 ms | p99 ms | × baseline | max RSS MB (service / baseline) | other load (cores) | target | met | notes |';
  const sep = '|---|--:|--:|--:|--:|--:|--:|---|:-:|---|';
  const lines = rows.map((r) =>
    [
      r.scenario,
      fmt(r.rps, 0),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      r.ratio === undefined ? '–' : `${fmt(r.ratio, 2)}×`,
      `${mb(r.rss.service)} / ${mb(r.rss.baseline)}`,
      fmt(r.foreignCores, 2),
      r.target || '–',
      r.met === undefined ? '–' : r.met ? 'yes' : '**no**',
      r.notes,
    ].join(' | '),
  );
  return [head, sep, ...lines.map((l) => `| ${l} |`)].join('\n');
}
