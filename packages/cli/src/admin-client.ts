/** HTTP client of a node's admin endpoint. */

/** A failure to report as one line (exit code 1). */
export class CliError extends Error {}

/** Longest the CLI waits for the endpoint, in milliseconds. */
const REQUEST_TIMEOUT_MS = 10_000;

export class AdminClient {
  constructor(
    readonly admin: string,
    readonly token: string | undefined,
  ) {}

  get(path: string): Promise<unknown> {
    return this.#request("GET", path, undefined);
  }

  post(path: string, body: unknown): Promise<unknown> {
    return this.#request("POST", path, JSON.stringify(body));
  }

  async #request(method: string, path: string, body: string | undefined): Promise<unknown> {
    const headers: Record<string, string> = {};
    if (this.token !== undefined) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers["content-type"] = "application/json";
    let response: Response;
    try {
      response = await fetch(`http://${this.admin}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string } }).cause?.code ?? (error as Error).name;
      throw new CliError(`cannot reach the admin endpoint at ${this.admin} (${cause})`);
    }
    const text = await response.text();
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      throw new CliError(`${this.admin} answered ${response.status} with something that is not JSON`);
    }
    if (!response.ok) {
      const error = (parsed as { error?: { code?: string; message?: string } }).error;
      throw new CliError(`${error?.code ?? `HTTP ${response.status}`}: ${error?.message ?? response.statusText}`);
    }
    return parsed;
  }
}
