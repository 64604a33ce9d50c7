export { detectCodeInjection } from "./detect";
export { tokenize } from "./tokenizer";
export { TokenKind, TokenList, type Token } from "./tokens";
