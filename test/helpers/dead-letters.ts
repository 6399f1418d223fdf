import { readFile } from 'node:fs/promises';

/** The local dead-letter queue's messages (one JSON line each), oldest first; none if the file does not exist. */
export async function readDeadLetters(file: string): Promise<Array<Record<string, any>>> {
  const text = await readFile(file, 'utf8').catch(() => '');
  return text.split('\n').filter((line) => line.trim() !== '').map((line) => JSON.parse(line) as Record<string, any>);
}
