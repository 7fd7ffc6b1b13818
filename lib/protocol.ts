// The layout of the buffers shared with the native core (native/batch.h and Server::take_responses).
// Kept in one place: a change on one side must change the other.

/** Request record: fixed words, then 4 words a header, then 2 words a param. */
export const REQ_CONN = 0;
export const REQ_SEQ = 1;
export const REQ_HANDLER = 2;
export const REQ_FLAGS = 3;
export const REQ_METHOD_OFF = 4;
export const REQ_METHOD_LEN = 5;
export const REQ_TARGET_OFF = 6;
export const REQ_TARGET_LEN = 7;
export const REQ_PATH_LEN = 8;
export const REQ_BODY_OFF = 9;
export const REQ_BODY_LEN = 10;
export const REQ_NUM_HEADERS = 11;
export const REQ_NUM_PARAMS = 12;
export const REQ_FIXED_WORDS = 13;

export const FLAG_HEAD = 1;
export const FLAG_HTTP10 = 2;

/** Response records: records[0] is the count, then 5 words each. */
export const RES_WORDS = 5;
