const HOST_TOOL_ENV =
  /^(HOME|XDG_CACHE_HOME|SSL_CERT_FILE|SSL_CERT_DIR|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|UV_.+)$/;

/**
 * What a service process started by a test takes from this machine's environment besides PATH
 * (startServiceProcess passes nothing else): HOME and the TLS/proxy settings that tools run by
 * VMs (uv building a worker's Python environment) need to reach PyPI. Nothing secret, no LZY_*.
 */
export function hostToolEnv(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(process.env).filter(
      (entry): entry is [string, string] => HOST_TOOL_ENV.test(entry[0]) && entry[1] !== undefined,
    ),
  );
}
