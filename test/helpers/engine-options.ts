// Engine options for in-process tests of the HTTP engine: generous limits and 5 s timeouts.

import { DEFAULT_CHUNKED_LIMITS } from "../../src/http/chunked.ts";
import type { EngineOptions } from "../../src/http/engine-options.ts";
import { DEFAULT_PARSE_LIMITS } from "../../src/http/parse-request.ts";

export const TEST_ENGINE_OPTIONS: EngineOptions = {
  limits: DEFAULT_PARSE_LIMITS,
  chunkedLimits: DEFAULT_CHUNKED_LIMITS,
  maxBodyBytes: 1 << 30,
  headersTimeoutMs: 5000,
  bodyTimeoutMs: 5000,
  keepAliveTimeoutMs: 5000,
  sendTimeoutMs: 5000,
  lingerMs: 2000,
  discardBodyBytes: 64 * 1024,
  maxRequestsPerConnection: 0,
  errorDetail: true,
};
