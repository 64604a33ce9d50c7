export { detectXss, markupInputs, minInputLength, type XssFindingReason } from "./xss";
export {
  tokenizeHtml,
  type HtmlAttribute,
  type HtmlComment,
  type HtmlRawText,
  type HtmlStructure,
  type HtmlTag,
} from "./tokenizer";
