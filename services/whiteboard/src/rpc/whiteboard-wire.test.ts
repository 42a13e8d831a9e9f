import { lzyWhiteboardService } from '@lzy/proto';
import { describe, expect, it } from 'vitest';
import { encodeWhiteboards, whiteboardServiceDefinition } from './whiteboard-wire.ts';

// RegisterWhiteboardRequest of public-api.md appendix D (65 bytes).
const REGISTER_HEX =
  '0a 3f 0a 02 77 31 12 01 6e 1a 01 74 22 11 0a 01 66 12 0c 0a 06 70 69 63 6b 6c 65 12 02 70 79 ' +
  '2a 0d 0a 01 73 1a 08 73 33 3a 2f 2f 62 2f 77 32 07 64 65 66 61 75 6c 74 38 01 42 06 08 e0 a6 f4 9e 06';

describe('whiteboard wire codecs', () => {
  it('decodes the appendix D registration and re-encodes the same bytes as a GetResponse', () => {
    const bytes = Buffer.from(REGISTER_HEX.replaceAll(' ', ''), 'hex');
    const { whiteboard } = whiteboardServiceDefinition.registerWhiteboard.requestDeserialize(bytes);
    expect(whiteboard).toMatchObject({
      id: 'w1',
      tags: ['t'],
      status: 'CREATED',
      createdAt: { seconds: 1675432800, nanos: 0 },
    });
    const registered = {
      ...whiteboard!,
      status: 'CREATED' as const,
      createdAt: whiteboard!.createdAt!,
    };
    const fields = registered.fields.map((f) => ({ name: f.name, scheme: f.scheme! }));
    expect(encodeWhiteboards([{ ...registered, fields }]).toString('hex')).toBe(
      bytes.toString('hex'),
    );
    expect(lzyWhiteboardService.GetResponse.decode(bytes).whiteboard?.id).toBe('w1');
  });

  it("reads pylzy's finalize update (only id and status)", () => {
    const bytes = Buffer.from('0a060a0277313802', 'hex');
    const { whiteboard } = whiteboardServiceDefinition.updateWhiteboard.requestDeserialize(bytes);
    expect(whiteboard).toMatchObject({
      id: 'w1',
      status: 'FINALIZED',
      createdAt: undefined,
      fields: [],
    });
  });
});
