/** Structured one-line JSON logs (CloudWatch-friendly; readable in the local stack's output). */
function write(level: 'info' | 'warn' | 'error', message: string, fields?: Record<string, unknown>): void {
  if (process.env.SFDAQ_LOG_LEVEL === 'silent') return;
  const line = JSON.stringify({ level, time: new Date().toISOString(), message, ...fields });
  (level === 'error' ? process.stderr : process.stdout).write(line + '\n');
}

export const log = {
  info: (message: string, fields?: Record<string, unknown>) => write('info', message, fields),
  warn: (message: string, fields?: Record<string, unknown>) => write('warn', message, fields),
  error: (message: string, fields?: Record<string, unknown>) => write('error', message, fields),
};
