// Everything the benchmark starts registers how to stop it here; run.ts runs the list in reverse
// order on success, on failure and on SIGINT/SIGTERM, each step bounded in time.
type Step = { name: string; fn: () => Promise<void> | void };

const steps: Step[] = [];

export function onCleanup(name: string, fn: () => Promise<void> | void): void {
  steps.push({ name, fn });
}

export async function runCleanups(log: (line: string) => void): Promise<void> {
  for (let step = steps.pop(); step !== undefined; step = steps.pop()) {
    const current = step;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        Promise.resolve().then(current.fn),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error('timed out after 30 s')), 30_000);
        }),
      ]);
    } catch (err) {
      log(`cleanup "${current.name}" failed: ${err instanceof Error ? err.message : String(err)}`);
    } finally {
      clearTimeout(timer);
    }
  }
}
