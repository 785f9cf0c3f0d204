// Several middlewares as one Express layer. Each layer of Express's router costs a match and a
// round of its `next()` bookkeeping on every request; for the chain every request passes through
// that showed in the CPU profile of the hot path (docs/PERFORMANCE.md). Behaviour is that of
// `app.use(a); app.use(b); …` for middlewares that only call next() or next(err).
import type { NextFunction, Request, RequestHandler, Response } from 'express';

export function series(...handlers: RequestHandler[]): RequestHandler {
  return (req: Request, res: Response, next: NextFunction) => {
    let index = 0;
    const step = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        next(err);
        return;
      }
      const handler = handlers[index++];
      if (!handler) {
        next();
        return;
      }
      try {
        // Express 5 turns a rejected promise from a middleware into next(err): so does this.
        const result: unknown = handler(req, res, step);
        if (result instanceof Promise) result.catch(next);
      } catch (thrown) {
        next(thrown);
      }
    };
    step();
  };
}
