/**
 * @lzy/events — in-process change notifications per key (`ChangeEvents`): the code that changes
 * some state calls `notify(key)` (so does a service's pg LISTEN handler for changes made by
 * another instance), and server streams watching that key wake up and re-read instead of
 * polling. Not gRPC and not the database: both sides plug into it.
 */
export { ChangeEvents } from './change-events.ts';
export type { ChangeSubscription } from './change-events.ts';
