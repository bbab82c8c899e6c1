/** The tools Ponder ships with. Small and read-only; web search, page reading and MCP join later. */
import { z } from 'zod';
import { defineTool, type PonderTool, ToolInputError } from './tool-registry.ts';

/** The date and time now (models do not know it): a zone's local time, UTC by default. */
export function currentTimeTool(now: () => Date = () => new Date()): PonderTool {
  return defineTool({
    name: 'current_time',
    title: 'Current time',
    description:
      'The current date and time. Give an IANA time zone (e.g. "Europe/Paris") for its local time; UTC otherwise.',
    readOnly: true,
    input: z.object({
      timezone: z.string().max(64).optional().describe('IANA time zone name, e.g. "Asia/Shanghai"'),
    }),
    run: async ({ timezone }) => {
      const zone = timezone?.trim() || 'UTC';
      let local: string;
      try {
        local = new Intl.DateTimeFormat('en-GB', {
          timeZone: zone,
          dateStyle: 'full',
          timeStyle: 'long',
        }).format(now());
      } catch {
        throw new ToolInputError(`unknown time zone "${zone}"; use an IANA name such as "Europe/Paris"`);
      }
      return JSON.stringify({ utc: now().toISOString(), timezone: zone, local });
    },
  });
}

export function builtinTools(): PonderTool[] {
  return [currentTimeTool()];
}
