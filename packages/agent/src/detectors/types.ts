/** Part of the request that a user input came from. */
export type InputSource = "query" | "body" | "params" | "headers" | "cookies" | "path";

/** One string that the client controls, with the path that names it in events (`query.user.name`). */
export interface UserInput {
  readonly source: InputSource;
  readonly path: string;
  readonly value: string;
}

/** A detector's verdict that an input changed the structure of an operation. */
export interface Finding {
  /** Undefined when the operation is refused whatever its origin (a request to a cloud-metadata address). */
  readonly input?: UserInput;
  /** Offset in UTF-16 code units of the offending occurrence inside the operation text. */
  readonly offset: number;
  /** Short machine-readable reason, such as `spans-tokens` or `unterminated-literal`. */
  readonly reason: string;
}
