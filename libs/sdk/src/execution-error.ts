/** An op of the workflow failed; the message carries the server's description (exit code, stderr tail). */
export class LzyExecutionError extends Error {
  readonly graphId: string;
  constructor(graphId: string, description: string) {
    super(`Failed executing graph ${graphId}: ${description}`);
    this.name = 'LzyExecutionError';
    this.graphId = graphId;
  }
}
