/**
 * @lzy/auth — the self-signed PS256 JWTs of LZY (public-api.md §4): every principal signs its own
 * token with its RSA private key and IAM verifies it against the stored public keys. Pure
 * functions; time comes in as `nowMs`. Also SecretBox: secrets encrypted at rest.
 */
export { generateRsaKeyPair, importPrivateKey, importPublicKey } from './keys.ts';
export type { RsaKeyPair } from './keys.ts';
export { decodeLzyJwtUnverified, JWT_SHAPE } from './lzy-jwt.ts';
export type { AuthProvider, LzyJwtClaims, LzyJwtHeader } from './lzy-jwt.ts';
export { signLzyJwt } from './sign-lzy-jwt.ts';
export type { SignLzyJwtOptions } from './sign-lzy-jwt.ts';
export { verifyLzyJwt } from './verify-lzy-jwt.ts';
export type { VerifyLzyJwtOptions } from './verify-lzy-jwt.ts';
export { SecretBox } from './secret-box.ts';
export type { SecretBoxKey } from './secret-box.ts';
