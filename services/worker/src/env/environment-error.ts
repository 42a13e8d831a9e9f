import { FailedPrecondition } from '@lzy/errors';

/**
 * The op's Python environment cannot be prepared (unknown Python version, a pin that does not
 * install or breaks the start-up import, a local module that cannot be fetched). The task ends
 * with rc 97 and this message (python-client-protocol.md §8: Java's environment error code);
 * the message is shown to the user, so it says what to change.
 */
export class EnvironmentError extends FailedPrecondition {}
