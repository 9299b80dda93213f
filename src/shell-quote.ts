/** One word for a POSIX shell: single quotes stop every expansion; a quote inside is closed, escaped, reopened. */
export const shellQuote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`;
