// Buffer's unchecked string codecs. They are the ones Buffer#toString and Buffer#write call after
// validating their arguments; the hot path calls them directly (present since Node 0.x, untyped).
export interface FastBuffer extends Buffer {
  latin1Slice(start: number, end: number): string;
  latin1Write(value: string, offset: number): number;
  utf8Write(value: string, offset: number): number;
}
