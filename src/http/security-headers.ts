import type { NextFunction, Request, Response } from 'express';

// An API that returns credentials: nothing may be cached, sniffed, framed or sent as a referrer.
export function securityHeaders(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('X-Content-Type-Options', 'nosniff');
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
  res.setHeader('Content-Security-Policy', "default-src 'none'; frame-ancestors 'none'");
  // Always, not only when PUBLIC_URL is https: behind a TLS-terminating proxy the service sees
  // plain http, and browsers ignore the header on a response that did not come over https.
  res.setHeader('Strict-Transport-Security', 'max-age=31536000; includeSubDomains');
  next();
}
