// The layout of the buffers shared with the native core (native/batch.h and Server::take_responses).
// Kept in one place: a change on one side must change the other.

/**
 * Request record: fixed words, then 4 words a header, then 2 words a param. A connection is named by
 * its slot and a 64-bit serial (two words) that no later connection shares.
 */
export const REQ_CONN = 0;
export const REQ_SERIAL_LO = 1;
export const REQ_SERIAL_HI = 2;
export const REQ_SEQ = 3;
export const REQ_HANDLER = 4;
export const REQ_FLAGS = 5;
export const REQ_METHOD_OFF = 6;
export const REQ_METHOD_LEN = 7;
export const REQ_TARGET_OFF = 8;
export const REQ_TARGET_LEN = 9;
export const REQ_PATH_LEN = 10;
export const REQ_BODY_OFF = 11;
export const REQ_BODY_LEN = 12;
export const REQ_NUM_HEADERS = 13;
export const REQ_NUM_PARAMS = 14;
export const REQ_FIXED_WORDS = 15;

export const FLAG_HEAD = 1;
export const FLAG_HTTP10 = 2;
/** The body follows: read it with native readBody as it arrives (the record's body is empty). */
export const FLAG_BODY_STREAM = 4;

/**
 * Response records (native/core/response_record.h): records[0] is the count, then 8 words each
 * (slot, serial low, serial high, seq, head offset, head length, body length, part | flags).
 */
export const RES_WORDS = 8;

/** How much of a response a record brings: all of it, or a part of a streamed one. */
export const PART_WHOLE = 0;
export const PART_START = 1;
export const PART_MORE = 2;
export const PART_LAST = 3;
/** The streamed response cannot complete: what was queued goes out and the connection ends. */
export const PART_ABORT = 4;
/** Flag: report when the connection's output has drained (onDrained). */
export const RES_WANT_DRAIN = 0x100;
/** Flag on PART_START: the body ends when the connection closes (HTTP/1.0, no Content-Length). */
export const RES_CLOSE_DELIMITED = 0x200;

/**
 * Lost responses (onAborted): 4 words each (slot, serial low, serial high, first lost sequence
 * number; the connection's later ones are lost too).
 */
export const ABORTED_WORDS = 4;

/** Drained connections (onDrained): 3 words each (slot, serial low, serial high). */
export const DRAINED_WORDS = 3;
