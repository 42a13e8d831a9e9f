import { credentials, makeGenericClientConstructor } from '@grpc/grpc-js';
import type {
  CallOptions,
  ChannelCredentials,
  Client,
  ClientDuplexStream,
  ClientOptions,
  ClientReadableStream,
  ClientUnaryCall,
  ClientWritableStream,
  Metadata,
  ServiceError,
} from '@grpc/grpc-js';

/**
 * A hand-built service definition for testing the bootstrap: JSON on the wire, one method of each
 * kind, shaped like ts-proto's grpc-js output (`as const` flags, typed serializers).
 */
export interface EchoRequest {
  text: string;
}
export interface EchoReply {
  text: string;
}

function json<T>() {
  return {
    serialize: (value: T): Buffer => Buffer.from(JSON.stringify(value)),
    deserialize: (bytes: Buffer): T => JSON.parse(bytes.toString('utf8')) as T,
  };
}
const request = json<EchoRequest>();
const reply = json<EchoReply>();
const codecs = {
  requestSerialize: request.serialize,
  requestDeserialize: request.deserialize,
  responseSerialize: reply.serialize,
  responseDeserialize: reply.deserialize,
};

export const EchoService = {
  echo: {
    path: '/lzy.test.Echo/Echo' as const,
    requestStream: false as const,
    responseStream: false as const,
    ...codecs,
  },
  repeat: {
    path: '/lzy.test.Echo/Repeat' as const,
    requestStream: false as const,
    responseStream: true as const,
    ...codecs,
  },
  join: {
    path: '/lzy.test.Echo/Join' as const,
    requestStream: true as const,
    responseStream: false as const,
    ...codecs,
  },
  chat: {
    path: '/lzy.test.Echo/Chat' as const,
    requestStream: true as const,
    responseStream: true as const,
    ...codecs,
  },
} as const;

type Callback = (error: ServiceError | null, response: EchoReply) => void;

export interface EchoClient extends Client {
  echo(
    request: EchoRequest,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: Callback,
  ): ClientUnaryCall;
  repeat(
    request: EchoRequest,
    metadata?: Metadata,
    options?: Partial<CallOptions>,
  ): ClientReadableStream<EchoReply>;
  join(
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: Callback,
  ): ClientWritableStream<EchoRequest>;
  chat(
    metadata?: Metadata,
    options?: Partial<CallOptions>,
  ): ClientDuplexStream<EchoRequest, EchoReply>;
}

export const EchoClient = makeGenericClientConstructor(
  EchoService,
  'lzy.test.Echo',
) as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => EchoClient;

/** A plain client (no interceptors, no retries) to look at raw wire behaviour. */
export function rawEchoClient(port: number, options: Partial<ClientOptions> = {}): EchoClient {
  return new EchoClient(`127.0.0.1:${port}`, credentials.createInsecure(), options);
}
