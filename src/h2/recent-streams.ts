// The streams of a connection that ended lately, for the frames that may still come for them (RFC
// 9113 §5.1): after our RST_STREAM they are ignored; after a normal close (or the client's reset)
// they are a STREAM_CLOSED error; a stream id below the highest opened that is in neither list never
// opened (PROTOCOL_ERROR, §5.1.1). A fixed ring: old ends are forgotten. Pure.

const SIZE = 64;

export class RecentStreams {
  /** Stream ids, negative for streams we reset. */
  readonly #ids = new Int32Array(SIZE);
  #at = 0;

  /** We reset the stream: its late frames are to be ignored. */
  reset(id: number): void {
    this.#add(-id);
  }

  /** The stream closed normally, or the client reset it. */
  closed(id: number): void {
    this.#add(id);
  }

  wasReset(id: number): boolean {
    return this.#ids.includes(-id);
  }

  wasClosed(id: number): boolean {
    return this.#ids.includes(id);
  }

  #add(signedId: number): void {
    this.#ids[this.#at] = signedId;
    this.#at = (this.#at + 1) % SIZE;
  }
}
