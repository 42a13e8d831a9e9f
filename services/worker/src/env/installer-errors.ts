/**
 * What the user should read when an installer step failed (python-client-protocol §6.1: the
 * op's stderr is all they see). Network failures name the index and the worker settings that
 * reach it; anything else keeps uv's own last lines, which say what failed.
 */
export function describeInstallerFailure(
  step: { what: string; rc: number; tail: string },
  installerEnv: Readonly<Record<string, string>>,
): string {
  const { what, rc, tail } = step;
  const lines = `uv's last lines:\n${tail}`;
  const failedUrl =
    /Failed to fetch:\s*`?([^\s`]+)`?/.exec(tail)?.[1] ??
    /for url \(([^)\s]+)\)/.exec(tail)?.[1] ??
    undefined;
  const index = configuredIndex(installerEnv);
  const where = failedUrl === undefined ? index : `${index} (fetching ${failedUrl})`;
  if (/invalid peer certificate|certificate verify failed|UnknownIssuer|tls handshake/i.test(tail))
    return (
      `${what} failed: the package index ${where} presented a TLS certificate the worker does ` +
      `not trust. uv trusts the system's certificate store by default (UV_SYSTEM_CERTS); behind ` +
      `a TLS-intercepting proxy set SSL_CERT_FILE or SSL_CERT_DIR in the worker's environment to ` +
      `the proxy's CA certificates, or UV_DEFAULT_INDEX to an index it trusts. ${lines}`
    );
  if (
    /Failed to fetch|error sending request|tcp connect error|dns error|failed to lookup address|Connection refused|Could not connect|operation timed out|Network is unreachable/i.test(
      tail,
    )
  )
    return (
      `${what} failed: the worker cannot reach the package index ${where}. It installs the op's ` +
      `pip packages from PyPI (https://pypi.org/simple) unless UV_DEFAULT_INDEX (or UV_INDEX_URL) ` +
      `in its environment names another index. Give the worker network access to that index, or ` +
      `set UV_DEFAULT_INDEX to a mirror it can reach, or HTTPS_PROXY/HTTP_PROXY/NO_PROXY for a ` +
      `proxy (SSL_CERT_FILE for a proxy's own CA). ${lines}`
    );
  return `${what} failed (exit code ${rc}); ${lines}`;
}

/** The index uv uses: UV_DEFAULT_INDEX, else the older UV_INDEX_URL, else PyPI. */
function configuredIndex(installerEnv: Readonly<Record<string, string>>): string {
  return installerEnv.UV_DEFAULT_INDEX ?? installerEnv.UV_INDEX_URL ?? 'https://pypi.org/simple';
}
