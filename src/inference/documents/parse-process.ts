/** Child process body for `IsolatedParser`: parses uploads one at a time, replies over IPC. */
import { parseDocument } from './parse.ts';
import { DocumentError, type ParseLimits } from './types.ts';

interface Request {
  id: number;
  name: string;
  bytes: Uint8Array;
  limits: ParseLimits;
}

process.on('message', (req: Request) => {
  void parseDocument(req.name, req.bytes, req.limits).then(
    (doc) => process.send?.({ id: req.id, ok: true, doc }),
    (err: unknown) =>
      process.send?.(
        err instanceof DocumentError
          ? { id: req.id, ok: false, code: err.code, message: err.message }
          : { id: req.id, ok: false, code: 'malformed', message: 'the file could not be read' },
      ),
  );
});
process.on('disconnect', () => process.exit(0));
process.send?.({ ready: true });
