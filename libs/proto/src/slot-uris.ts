/**
 * The URI of a slot a portal serves: `slot://<host:port>/portal/<slotName>`. The portal names its
 * slots so (OpenSlots), and lzy-service names the portal's sender of a stored input so in the
 * task it plans (SlotToChannelAssignment.lzyTsSenderUri), before the portal has bound it.
 */
export function portalSlotUri(portalAddress: string, slotName: string): string {
  return `slot://${portalAddress}/portal/${slotName}`;
}
