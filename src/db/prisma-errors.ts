// Recognises Prisma's known request errors without depending on its class identity
// (the adapter and the generated client may each bring their own copy).
export function isUniqueViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'P2002';
}

export function isForeignKeyViolation(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === 'P2003';
}
