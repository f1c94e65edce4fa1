// Server-wide option values with rules beyond their type: the status page's path.

/** "/_portico/" → "/_portico"; "" stays off. `fail` gets the message for anything else. */
export function normalizeStatusPath(value: string, fail: (message: string) => never): string {
  if (value === "") return "";
  if (!value.startsWith("/") || /[\s?#%]/.test(value))
    return fail(`status_path: expected a path such as /_portico, got ${JSON.stringify(value)}`);
  return value.replace(/\/+$/, "") || "/_portico";
}
