export { detectHeaderInjection, type HeaderFindingReason } from "./header-injection";
export {
  detectOpenRedirect,
  type RedirectFindingReason,
  type RedirectPolicy,
} from "./open-redirect";
