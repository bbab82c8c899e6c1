/** The official openai client with its default retries, counting the HTTP requests it makes. Not a test file. */
import OpenAI from 'openai';

export function countingOpenAiClient(
  baseUrl: string,
  apiKey: string,
): { client: OpenAI; requests: () => number } {
  let requests = 0;
  const client = new OpenAI({
    baseURL: `${baseUrl}/v1`,
    apiKey,
    maxRetries: 2,
    fetch: (url, init) => {
      requests++;
      return fetch(url, init);
    },
  });
  return { client, requests: () => requests };
}
