export {
  listAll,
  type BlobBody,
  type BlobInfo,
  type BlobPage,
  type BlobStore,
  type ByteRange,
  type GetOptions,
  type ListOptions,
  type PutOptions,
} from './blob-store.ts';
export { FsBlobStore } from './fs-blob-store.ts';
export { PresignedUploader, type PositionalSource } from './presigned-put.ts';
export { S3BlobStore, type S3BlobStoreOptions } from './s3-blob-store.ts';
export type { PartSender, PresignedPart, StoredPart } from './s3-sender-upload.ts';
export {
  MAX_PRESIGN_EXPIRES_S,
  objectAddress,
  presignS3Url,
  type ObjectAddress,
  type SigningCredentials,
} from './s3-presign.ts';
