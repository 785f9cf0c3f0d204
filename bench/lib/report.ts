// The result table (Markdown, so docs/PERFORMANCE.md can take it as it is).
export interface Row {
  scenario: string;
  rps?: number | undefined;
  p50?: number | undefined;
  p99?: number | undefined;
  /** requests/s relative to the baseline measured in the same run. */
  ratio?: number | undefined;
  /** Set at the end of the run: ratio = rps / the median of the run's baseline measurements. */
  relativeToBaseline?: boolean;
  /** With relativeToBaseline: the target also needs ratio ≥ this. */
  minRatio?: number;
  /** Highest RSS per process during the scenario, bytes. */
  rss: Record<string, number>;
  /** Average cores used per process group (service, baseline, postgres, load generator, other). */
  cpu: Record<string, number>;
  target: string;
  met: boolean | undefined;
  notes: string;
}

const fmt = (v: number | undefined, digits = 1) =>
  v === undefined || Number.isNaN(v)
    ? '–'
    : v.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

const mb = (bytes: number | undefined) => (bytes === undefined ? '–' : String(Math.round(bytes / 2 ** 20)));

export function markdownTable(rows: Row[]): string {
  const head =
    '| scenario | req/s | p50 ms | p99 ms | × baseline | max RSS MB (service / baseline) | CPU cores: server under test / PostgreSQL / load gen. / other | target | met | notes |';
  const sep = '|---|--:|--:|--:|--:|--:|--:|---|:-:|---|';
  const lines = rows.map((r) =>
    [
      r.scenario,
      fmt(r.rps, 0),
      fmt(r.p50, 1),
      fmt(r.p99, 1),
      r.ratio === undefined ? '–' : `${fmt(r.ratio, 2)}×`,
      `${mb(r.rss.service)} / ${mb(r.rss.baseline)}`,
      r.cpu.other === undefined
        ? '–'
        : [
            r.cpu.baseline && r.cpu.baseline > 0.05 ? r.cpu.baseline : r.cpu.service,
            r.cpu.postgres,
            r.cpu['load generator'],
            r.cpu.other,
          ]
            .map((c) => fmt(c, 2))
            .join(' / '),
      r.target || '–',
      r.met === undefined ? '–' : r.met ? 'yes' : '**no**',
      r.notes,
    ].join(' | '),
  );
  return [head, sep, ...lines.map((l) => `| ${l} |`)].join('\n');
}
