import type { Response } from 'express';
import { JSONAPI_MEDIA_TYPE } from './media-type.js';

/**
 * Writes a JSON:API document (or, with another `mediaType`, plain JSON). Bypasses
 * res.json()/res.send() on purpose: they append "; charset=utf-8", and API.md §1 requires the bare
 * media type.
 */
export function sendDocument(
  res: Response,
  status: number,
  document: unknown,
  mediaType = JSONAPI_MEDIA_TYPE,
): void {
  const body = Buffer.from(JSON.stringify(document), 'utf8');
  res.status(status);
  res.setHeader('Content-Type', mediaType);
  res.setHeader('Content-Length', body.length);
  res.end(body);
}

/** Writes an HTML page (the OAuth callback's): the caller has escaped every value in it. */
export function sendHtml(res: Response, status: number, html: string): void {
  const body = Buffer.from(html, 'utf8');
  res.status(status);
  res.setHeader('Content-Type', 'text/html; charset=utf-8');
  res.setHeader('Content-Length', body.length);
  res.end(body);
}
