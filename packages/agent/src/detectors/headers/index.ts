export { detectHeaderInjection, type HeaderFindingReason } from "./header-injection";
export {
  detectOpenRedirect,
  offsiteRedirectTarget,
  type RedirectFindingReason,
  type RedirectPolicy,
} from "./open-redirect";
