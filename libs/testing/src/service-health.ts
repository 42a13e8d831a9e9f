import { credentials } from '@grpc/grpc-js';
import { unaryCall } from '@lzy/grpc';
import { health } from '@lzy/proto';

/**
 * Asks `grpc.health.v1.Health/Check` at `address` (`host:port`) and returns the status name
 * (`SERVING`, `NOT_SERVING`, …). `service` '' is the whole server.
 * @throws the mapped DomainError when the call fails (e.g. Unavailable when nothing listens).
 */
export async function checkHealth(
  address: string,
  service = '',
  deadlineMs = 5_000,
): Promise<string> {
  const client = new health.HealthClient(address, credentials.createInsecure());
  try {
    const response = await unaryCall(client.check.bind(client), { service }, { deadlineMs });
    return health.healthCheckResponse_ServingStatusToJSON(response.status);
  } finally {
    client.close();
  }
}
