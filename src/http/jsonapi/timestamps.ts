/** RFC 3339 UTC, as every `*_at` attribute (API.md §1). */
export const rfc3339 = (d: Date | null | undefined): string | null => (d ? d.toISOString() : null);
