/** An instant as every API answer, CSV file and run record writes it: ISO-8601 in UTC. */
export const isoOf = (epochMs: number): string => new Date(epochMs).toISOString();
